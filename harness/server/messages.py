"""A message an end user sends, read from a request body: the same rules for v2 (`message` wrapper) and v1 (flat)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.server.state import ApiError

__all__ = ["SentMessage", "parse_sent_message"]


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: str
    text: str
    message_type: str
    new_session: bool
    in_reply_to: str | None


def parse_sent_message(message: dict[str, Any], new_session: Any, where: str = "") -> SentMessage:
    """The message's fields, checked; `where` prefixes field names in errors (v2: "message.")."""
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id:
        raise ApiError(400, f"{where}id must be a non-empty string, got {message_id!r}")
    message_type = message.get("messageType", "StaticContentMessage")
    if message_type != "StaticContentMessage":
        raise ApiError(400, f"{where}messageType {message_type!r} is not supported (use StaticContentMessage)")
    content = message.get("staticContent")
    if not isinstance(content, dict) or not isinstance(content.get("text"), str):
        raise ApiError(400, f"{where}staticContent must be an object with a string text")
    if not isinstance(new_session, bool):
        raise ApiError(400, f"isNewMessagingSession must be true or false, got {new_session!r}")
    in_reply_to = message.get("inReplyToMessageId")
    if in_reply_to is not None and not isinstance(in_reply_to, str):
        raise ApiError(400, f"{where}inReplyToMessageId must be a string")
    return SentMessage(message_id, content["text"], message_type, new_session, in_reply_to)
