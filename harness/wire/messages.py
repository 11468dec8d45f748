"""A text message's two wire shapes: what a client sends (`message`) and the entry payload (`abstractMessage`).

Both are built and read here, so the runtime, the SDK, the real-org probe and the oracles agree on them
(miaw-api.md §3.5 for the request, §4.5 for the entry payload).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "STATIC_CONTENT",
    "MalformedMessage",
    "TextMessage",
    "message_payload",
    "message_text",
    "parse_text_message",
    "text_message",
]

STATIC_CONTENT = "StaticContentMessage"


class MalformedMessage(ValueError):
    """A sent message without the shape of a text message; `field` names what is wrong."""

    def __init__(self, field: str, why: str) -> None:
        self.field = field
        self.why = why
        super().__init__(f"{field} {why}")


@dataclass(frozen=True, slots=True)
class TextMessage:
    message_id: str
    text: str
    message_type: str = STATIC_CONTENT
    in_reply_to: str | None = None


def text_message(message_id: str, text: str) -> dict[str, Any]:
    """The `message` object of a send request."""
    return {"id": message_id, "messageType": STATIC_CONTENT, "staticContent": {"formatType": "Text", "text": text}}


def parse_text_message(message: Mapping[str, Any]) -> TextMessage:
    """The fields of a sent `message` object, checked (a missing messageType means a static one)."""
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id:
        raise MalformedMessage("id", f"must be a non-empty string, got {message_id!r}")
    message_type = message.get("messageType", STATIC_CONTENT)
    if message_type != STATIC_CONTENT:
        raise MalformedMessage("messageType", f"{message_type!r} is not supported (use {STATIC_CONTENT})")
    content = message.get("staticContent")
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        raise MalformedMessage("staticContent", "must be an object with a string text")
    in_reply_to = message.get("inReplyToMessageId")
    if in_reply_to is not None and not isinstance(in_reply_to, str):
        raise MalformedMessage("inReplyToMessageId", "must be a string")
    return TextMessage(message_id, content["text"], message_type, in_reply_to)


def message_payload(
    message_id: str, text: str, *, message_type: str = STATIC_CONTENT, in_reply_to: str | None = None
) -> dict[str, Any]:
    """The payload of a Message entry."""
    return {
        "abstractMessage": {
            "messageType": message_type,
            "id": message_id,
            "inReplyToMessageId": in_reply_to,
            "references": None,
            "staticContent": {"formatType": "Text", "text": text},
        },
        "messageReason": None,
    }


def message_text(payload: Mapping[str, Any]) -> str:
    """The text of a Message entry's payload ("" when it has none)."""
    message = payload.get("abstractMessage") or {}
    static = message.get("staticContent") or {} if isinstance(message, dict) else {}
    return str(static.get("text", "")) if isinstance(static, dict) else ""
