"""Identifier formats: conversation UUIDs, org ids."""

from __future__ import annotations

import re
import uuid

_UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_ORG_ID = re.compile(r"^00D[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$")


class InvalidConversationId(ValueError):
    """A conversation id that is not a lowercase UUID v4."""


def is_valid_conversation_id(value: object) -> bool:
    """True for a lowercase, hyphenated UUID v4 (version nibble 4, variant 8/9/a/b)."""
    return isinstance(value, str) and _UUID_V4.fullmatch(value) is not None


def validate_conversation_id(value: object) -> str:
    """Return `value` if it is a valid conversation id, else raise with the reason."""
    if not isinstance(value, str):
        raise InvalidConversationId("Specify the conversationId in UUID format.")
    if value != value.lower() and is_valid_conversation_id(value.lower()):
        raise InvalidConversationId("Specify the conversationId in UUID format: it must be lowercase.")
    if not is_valid_conversation_id(value):
        raise InvalidConversationId("Specify the conversationId in UUID format.")
    return value


def new_uuid(rng: object | None = None) -> str:
    """A new lowercase UUID v4; `rng` (a `random.Random`) makes it reproducible."""
    getrandbits = getattr(rng, "getrandbits", None)
    if getrandbits is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=getrandbits(128), version=4))


def is_valid_org_id(value: object) -> bool:
    """True for a 15- or 18-character Salesforce org id starting with `00D`."""
    return isinstance(value, str) and _ORG_ID.fullmatch(value) is not None


def org_id_key(value: str) -> str:
    """Org ids compare on their first 15 characters (the case-sensitive form)."""
    return value[:15]
