"""SSE event names, conversation-entry types, participant roles and session statuses."""

from __future__ import annotations

from enum import StrEnum


class EventName(StrEnum):
    """Server-sent event names on `/eventrouter/v1/sse` (miaw-api.md §4.4)."""

    CLIENT_ACTION = "CONVERSATION_CLIENT_ACTION"
    CLOSE_CONVERSATION = "CONVERSATION_CLOSE_CONVERSATION"
    DELIVERY_ACKNOWLEDGEMENT = "CONVERSATION_DELIVERY_ACKNOWLEDGEMENT"
    MESSAGE = "CONVERSATION_MESSAGE"
    PARTICIPANT_CHANGED = "CONVERSATION_PARTICIPANT_CHANGED"
    PROGRESS_INDICATOR = "CONVERSATION_PROGRESS_INDICATOR"
    READ_ACKNOWLEDGEMENT = "CONVERSATION_READ_ACKNOWLEDGEMENT"
    ROUTING_RESULT = "CONVERSATION_ROUTING_RESULT"
    ROUTING_WORK_RESULT = "CONVERSATION_ROUTING_WORK_RESULT"
    SESSION_STATUS_CHANGED = "CONVERSATION_SESSION_STATUS_CHANGED"
    STREAMING_TOKEN = "CONVERSATION_STREAMING_TOKEN"
    TYPING_STARTED_INDICATOR = "CONVERSATION_TYPING_STARTED_INDICATOR"
    TYPING_STOPPED_INDICATOR = "CONVERSATION_TYPING_STOPPED_INDICATOR"
    QUEUE_POSITION = "CONVERSATION_QUEUE_POSITION"


PING_EVENT = "ping"
"""Keep-alive event name; its data is `0`."""


class EntryType(StrEnum):
    """`entryType` values carried in conversation entries."""

    CLIENT_ACTION = "ClientAction"
    CLOSE_CONVERSATION = "CloseConversation"
    DELIVERY_ACKNOWLEDGEMENT = "DeliveryAcknowledgement"
    MESSAGE = "Message"
    PARTICIPANT_CHANGED = "ParticipantChanged"
    PROGRESS_INDICATOR = "ProgressIndicator"
    READ_ACKNOWLEDGEMENT = "ReadAcknowledgement"
    ROUTING_RESULT = "RoutingResult"
    ROUTING_WORK_RESULT = "RoutingWorkResult"
    SESSION_STATUS_CHANGED = "SessionStatusChanged"
    STREAMING_TOKEN = "StreamingToken"
    TYPING_STARTED_INDICATOR = "TypingStartedIndicator"
    TYPING_STOPPED_INDICATOR = "TypingStoppedIndicator"
    QUEUE_POSITION = "QueuePosition"


class Role(StrEnum):
    """`sender.role` / participant roles."""

    END_USER = "EndUser"
    AGENT = "Agent"
    CHATBOT = "Chatbot"
    SYSTEM = "System"
    ROUTER = "Router"
    SUPERVISOR = "Supervisor"


class SessionStatus(StrEnum):
    """`sessionStatus` values of a messaging session (MessagingSession.Status)."""

    NEW = "New"
    WAITING = "Waiting"
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    PAUSED = "Paused"
    CONSENT = "Consent"
    ERROR = "Error"
    ENDED = "Ended"


_EVENT_BY_ENTRY: dict[EntryType, EventName] = {
    EntryType.CLIENT_ACTION: EventName.CLIENT_ACTION,
    EntryType.CLOSE_CONVERSATION: EventName.CLOSE_CONVERSATION,
    EntryType.DELIVERY_ACKNOWLEDGEMENT: EventName.DELIVERY_ACKNOWLEDGEMENT,
    EntryType.MESSAGE: EventName.MESSAGE,
    EntryType.PARTICIPANT_CHANGED: EventName.PARTICIPANT_CHANGED,
    EntryType.PROGRESS_INDICATOR: EventName.PROGRESS_INDICATOR,
    EntryType.READ_ACKNOWLEDGEMENT: EventName.READ_ACKNOWLEDGEMENT,
    EntryType.ROUTING_RESULT: EventName.ROUTING_RESULT,
    EntryType.ROUTING_WORK_RESULT: EventName.ROUTING_WORK_RESULT,
    EntryType.SESSION_STATUS_CHANGED: EventName.SESSION_STATUS_CHANGED,
    EntryType.STREAMING_TOKEN: EventName.STREAMING_TOKEN,
    EntryType.TYPING_STARTED_INDICATOR: EventName.TYPING_STARTED_INDICATOR,
    EntryType.TYPING_STOPPED_INDICATOR: EventName.TYPING_STOPPED_INDICATOR,
    EntryType.QUEUE_POSITION: EventName.QUEUE_POSITION,
}

CONVERSATION_EVENTS: frozenset[str] = frozenset(e.value for e in EventName)


def event_for_entry_type(entry_type: EntryType) -> EventName:
    """The SSE event name that carries an entry of `entry_type`."""
    return _EVENT_BY_ENTRY[entry_type]
