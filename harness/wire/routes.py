"""The names of the public API's operations, as faults and latency address them (`POST /control/faults`)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RouteName"]


class RouteName(StrEnum):
    TOKEN = "token"  # POST .../access-token (unauthenticated and authenticated)
    CONTINUATION = "continuation"  # GET .../continuation-access-token
    CREATE_CONVERSATION = "create_conversation"  # POST /conversation
    LIST_CONVERSATIONS = "list_conversations"  # GET /conversation/list
    LIST_ENTRIES = "list_entries"  # GET /conversation/{id}/entries
    SEND_MESSAGE = "send_message"  # POST /conversation/{id}/message
    ENTRY = "entry"  # POST /conversation/{id}/entry
    ACKNOWLEDGE = "acknowledge"  # POST /conversation/{id}/acknowledge-entries
    CLOSE_CONVERSATION = "close_conversation"  # DELETE /conversation/{id}
    END_SESSION = "end_session"  # DELETE /conversation/{id}/session
    ROUTING_STATUS = "routing_status"  # GET /conversation/{id}
    SSE = "sse"  # GET /eventrouter/v1/sse
