"""How a server event surfaces to the app, per profile: a typed entry, an Unknown entry, or nothing."""

from __future__ import annotations

import json

import pytest

from harness.sdk.entries import UNKNOWN, surface
from harness.wire import Entry, EntryType, Role, Sender, entry_to_sse_data

from .sdk_helpers import profile

CID = "3f2b8c1e-7d4a-4e6b-9a1c-2b3c4d5e6f70"


def _event(entry_type: EntryType, payload: dict[str, object] | None = None) -> str:
    entry = Entry(CID, "e-1", entry_type, payload or {}, Sender(Role.SYSTEM, "005x"), "System", 1)
    return json.dumps(entry_to_sse_data(entry))


@pytest.mark.parametrize(
    ("sdk", "entry_type", "kind"),
    [
        ("android-1.0", EntryType.MESSAGE, "Message"),
        ("android-1.0", EntryType.PARTICIPANT_CHANGED, "ParticipantChanged"),
        ("android-1.3", EntryType.CLOSE_CONVERSATION, None),
        ("android-1.3", EntryType.SESSION_STATUS_CHANGED, None),
        ("android-1.7", EntryType.CLOSE_CONVERSATION, UNKNOWN),
        ("android-1.9", EntryType.SESSION_STATUS_CHANGED, UNKNOWN),
        ("android-1.10", EntryType.CLOSE_CONVERSATION, "CloseConversation"),
        ("android-1.10", EntryType.SESSION_STATUS_CHANGED, "SessionStatusChanged"),
        ("ios-1.9", EntryType.CLOSE_CONVERSATION, UNKNOWN),
        ("ios-1.11", EntryType.CLOSE_CONVERSATION, "CloseConversation"),
        ("web", EntryType.CLOSE_CONVERSATION, "CloseConversation"),
        ("web", EntryType.SESSION_STATUS_CHANGED, None),
        ("android-1.10", EntryType.QUEUE_POSITION, UNKNOWN),
        ("web", EntryType.QUEUE_POSITION, None),
    ],
)
def test_surface(sdk: str, entry_type: EntryType, kind: str | None) -> None:
    event = f"CONVERSATION_{entry_type.name}"
    result = surface(profile(sdk), event, _event(entry_type, {"sessionStatus": "Ended"}))
    if kind is None:
        assert result is None
    else:
        assert result is not None
        assert (result.kind, result.conversation_id) == (kind, CID)


def test_unrecognised_event_names_are_ignored_by_every_sdk() -> None:
    for name in ("android-1.0", "android-1.10", "web"):
        assert surface(profile(name), "CONVERSATION_SOMETHING_NEW", _event(EntryType.MESSAGE)) is None


@pytest.mark.parametrize(("sdk", "kind"), [("android-1.10", UNKNOWN), ("android-1.3", None)])
def test_malformed_conversation_event(sdk: str, kind: str | None) -> None:
    data = json.dumps({"conversationId": CID, "conversationEntry": {"entryType": "FlagRaise", "entryPayload": "{}"}})
    result = surface(profile(sdk), "CONVERSATION_MESSAGE", data)
    assert (result.kind if result else None) == kind
    if result is not None:
        assert result.conversation_id == CID and result.entry is None and result.payload == {}
