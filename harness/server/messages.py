"""A message an end user sends, read from a request body: the same rules for v2 (`message` wrapper) and v1 (flat).

The message's own shape is `harness.wire.messages`'s; this module adds what only the runtime checks (the session
flag) and turns a malformed message into a 400.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.server.state import ApiError
from harness.wire.messages import MalformedMessage, TextMessage, parse_text_message

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
    late: MalformedMessage | None = None  # inReplyToMessageId is checked after the session flag
    parsed: TextMessage | None = None
    try:
        parsed = parse_text_message(message)
    except MalformedMessage as exc:
        if exc.field != "inReplyToMessageId":
            raise ApiError(400, f"{where}{exc}") from None
        late = exc
    if not isinstance(new_session, bool):
        raise ApiError(400, f"isNewMessagingSession must be true or false, got {new_session!r}")
    if late is not None or parsed is None:
        raise ApiError(400, f"{where}{late}")
    return SentMessage(parsed.message_id, parsed.text, parsed.message_type, new_session, parsed.in_reply_to)
