"""The text message's two wire shapes: built and read in one place, so every side reads what another built."""

from __future__ import annotations

from typing import Any

import pytest

from harness.wire.entries import Entry, Sender, entry_from_sse, entry_to_sse_data
from harness.wire.events import EntryType, Role
from harness.wire.messages import (
    MalformedMessage,
    TextMessage,
    message_payload,
    message_text,
    parse_text_message,
    text_message,
)


def test_a_sent_message_reads_back_as_built() -> None:
    assert parse_text_message(text_message("m-1", "hello")) == TextMessage("m-1", "hello")


def test_an_entry_payload_keeps_its_text_over_the_wire() -> None:
    payload = message_payload("m-2", "hi there", in_reply_to="m-1")
    entry = Entry("c1", "m-2", EntryType.MESSAGE, payload, Sender(Role.AGENT, "rep"), "Rep", 0)
    assert message_text(entry_from_sse(entry_to_sse_data(entry)).payload) == "hi there"
    assert payload["abstractMessage"]["inReplyToMessageId"] == "m-1"


@pytest.mark.parametrize(
    "payload", [{}, {"abstractMessage": None}, {"abstractMessage": {"staticContent": "text"}}, {"abstractMessage": 3}]
)
def test_a_payload_without_text_reads_as_empty(payload: dict[str, Any]) -> None:
    assert message_text(payload) == ""


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"messageType": "StaticContentMessage", "staticContent": {"text": "x"}}, "id"),
        ({"id": "m", "messageType": "ChoicesMessage", "staticContent": {"text": "x"}}, "messageType"),
        ({"id": "m", "staticContent": {"text": 3}}, "staticContent"),
        ({"id": "m", "staticContent": {"text": "x"}, "inReplyToMessageId": 5}, "inReplyToMessageId"),
    ],
)
def test_a_malformed_message_names_its_field(message: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        parse_text_message(message)
    assert caught.value.field == field and str(caught.value).startswith(field + " ")
