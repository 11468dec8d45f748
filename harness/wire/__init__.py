"""MIAW wire vocabulary shared by the mock runtime and the simulated client."""

from __future__ import annotations

from harness.wire.entries import (
    Entry,
    Sender,
    entry_from_history,
    entry_from_sse,
    entry_to_history,
    entry_to_sse_data,
)
from harness.wire.events import (
    CONVERSATION_EVENTS,
    PING_EVENT,
    EntryType,
    EventName,
    Role,
    SessionStatus,
    event_for_entry_type,
)
from harness.wire.ids import (
    InvalidConversationId,
    is_valid_conversation_id,
    is_valid_org_id,
    new_uuid,
    org_id_key,
    validate_conversation_id,
)

__all__ = [
    "CONVERSATION_EVENTS",
    "PING_EVENT",
    "Entry",
    "EntryType",
    "EventName",
    "InvalidConversationId",
    "Role",
    "Sender",
    "SessionStatus",
    "entry_from_history",
    "entry_from_sse",
    "entry_to_history",
    "entry_to_sse_data",
    "event_for_entry_type",
    "is_valid_conversation_id",
    "is_valid_org_id",
    "new_uuid",
    "org_id_key",
    "validate_conversation_id",
]
