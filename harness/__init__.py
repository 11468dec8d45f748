"""miaw-harness: conformance harness and SDK simulator for Salesforce Session-Based Chat."""

from __future__ import annotations

from harness.errors import UserError
from harness.lifecycle import (
    ConversationState,
    EndCause,
    IllegalTransition,
    Lifecycle,
    Policy,
    SessionEvent,
)
from harness.timeline import Timeline
from harness.wire.events import EntryType, EventName, Role, SessionStatus

__version__ = "0.1.0"

__all__ = [
    "ConversationState",
    "EndCause",
    "EntryType",
    "EventName",
    "IllegalTransition",
    "Lifecycle",
    "Policy",
    "Role",
    "SessionEvent",
    "SessionStatus",
    "Timeline",
    "UserError",
    "__version__",
]
