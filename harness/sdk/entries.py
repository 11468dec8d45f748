"""How server events surface to the app as the SDK's own entries, per profile (typed, Unknown, or not at all)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.sdk.profiles import SdkProfile
from harness.wire import CONVERSATION_EVENTS, Entry, EntryType, entry_from_sse
from harness.wire.entries import MalformedEntry

UNKNOWN = "Unknown"

# Entry types every bundled SDK version knows (sdk-versions.md §2.1); the rest depend on profile flags.
BASE_ENTRY_TYPES: frozenset[EntryType] = frozenset(
    {
        EntryType.MESSAGE,
        EntryType.PARTICIPANT_CHANGED,
        EntryType.ROUTING_RESULT,
        EntryType.ROUTING_WORK_RESULT,
        EntryType.TYPING_STARTED_INDICATOR,
        EntryType.TYPING_STOPPED_INDICATOR,
        EntryType.DELIVERY_ACKNOWLEDGEMENT,
        EntryType.READ_ACKNOWLEDGEMENT,
    }
)

# Entry types an SDK knows only when the named flag is on.
FLAGGED_ENTRY_TYPES: dict[EntryType, str] = {
    EntryType.CLOSE_CONVERSATION: "typed_close_entry",
    EntryType.SESSION_STATUS_CHANGED: "session_status_entries",
}


@dataclass(frozen=True, slots=True)
class SdkEntry:
    """What the SDK hands the app: `kind` is an entry type name, or "Unknown" for one the SDK predates."""

    kind: str
    conversation_id: str
    entry: Entry | None
    event_name: str

    @property
    def payload(self) -> dict[str, Any]:
        return self.entry.payload if self.entry is not None else {}


def _knows(profile: SdkProfile, entry_type: EntryType) -> bool:
    if entry_type in BASE_ENTRY_TYPES:
        return True
    flag = FLAGGED_ENTRY_TYPES.get(entry_type)
    return flag is not None and bool(profile.flag(flag))


def _conversation_id(data: str) -> str:
    try:
        value = json.loads(data).get("conversationId", "")
    except (ValueError, AttributeError):
        return ""
    return str(value)


def surface(profile: SdkProfile, event_name: str, data: str) -> SdkEntry | None:
    """The SDK entry for one SSE event, or None when this SDK drops it."""
    if event_name not in CONVERSATION_EVENTS:
        return None  # "your implementation must ignore unrecognized event types" (miaw-api.md §4.2)
    try:
        entry = entry_from_sse(data)
    except MalformedEntry:
        entry = None
    if entry is not None and _knows(profile, entry.entry_type):
        return SdkEntry(entry.entry_type.value, entry.conversation_id, entry, event_name)
    if profile.flag("unknown_entries") == "unknown_entry":
        cid = entry.conversation_id if entry is not None else _conversation_id(data)
        return SdkEntry(UNKNOWN, cid, entry, event_name)
    return None
