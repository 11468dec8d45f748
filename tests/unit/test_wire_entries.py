"""Entries: the SSE envelope carries entryPayload as a string, the history listing as an object; both parse back."""

from __future__ import annotations

import json

import pytest

from harness.wire import (
    Entry,
    EntryType,
    Role,
    Sender,
    entry_from_history,
    entry_from_sse,
    entry_to_history,
    entry_to_sse_data,
)
from harness.wire.entries import MalformedEntry

ENTRY = Entry(
    conversation_id="6cd22b8d-e14b-47c2-bffb-1d7d7015c189",
    identifier="m1",
    entry_type=EntryType.MESSAGE,
    payload={"abstractMessage": {"staticContent": {"formatType": "Text", "text": "hi"}}},
    sender=Sender(Role.END_USER, "v2/iamessage/UNAUTH/NA/uid:x", "iamessage", "c1"),
    sender_display_name="Guest",
    transcripted_timestamp=1000,
    client_timestamp=999,
)


def test_sse_shape_round_trips() -> None:
    data = entry_to_sse_data(ENTRY)
    assert data["channelType"] == "embedded_messaging"
    raw = data["conversationEntry"]["entryPayload"]
    assert isinstance(raw, str) and json.loads(raw)["entryType"] == "Message"
    assert entry_from_sse(json.dumps(data)) == ENTRY


def test_history_shape_round_trips() -> None:
    fields = entry_to_history(ENTRY)
    assert isinstance(fields["entryPayload"], dict) and fields["entryPayload"]["id"] == "m1"
    assert entry_from_history(ENTRY.conversation_id, fields) == ENTRY


@pytest.mark.parametrize(
    "data",
    ["not json", {"conversationId": "c"}, {"conversationId": "c", "conversationEntry": {"entryPayload": "[1]"}}],
)
def test_malformed_sse_data_is_refused(data: object) -> None:
    with pytest.raises(MalformedEntry):
        entry_from_sse(data)  # type: ignore[arg-type]
