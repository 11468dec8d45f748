"""Conversation entries and their two wire shapes: the SSE envelope and the history listing.

On SSE, `conversationEntry.entryPayload` is a JSON *string*; in `GET .../entries` it is a JSON *object*
(miaw-api.md §3.7, §4.5). Both shapes are built and parsed here so that neither side gets it wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.wire.events import EntryType, Role

CHANNEL_TYPE = "embedded_messaging"


class MalformedEntry(ValueError):
    """A payload that does not have the shape of a conversation entry."""


@dataclass(frozen=True, slots=True)
class Sender:
    role: Role
    subject: str
    app_type: str = "conversation"
    client_identifier: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {
            "role": self.role.value,
            "subject": self.subject,
            "appType": self.app_type,
            "clientIdentifier": self.client_identifier,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Sender:
        try:
            return cls(
                role=Role(data["role"]),
                subject=str(data.get("subject", "")),
                app_type=str(data.get("appType", "")),
                client_identifier=str(data.get("clientIdentifier", "")),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise MalformedEntry(f"bad sender {data!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Entry:
    """One conversation entry as the runtime stores and emits it."""

    conversation_id: str
    identifier: str
    entry_type: EntryType
    payload: dict[str, Any]
    sender: Sender
    sender_display_name: str
    transcripted_timestamp: int
    client_timestamp: int = 0
    related_records: tuple[str, ...] = field(default_factory=tuple)
    channel_address_identifier: str = ""
    channel_platform_key: str = ""

    def _entry_fields(self, payload: object) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "entryType": self.entry_type.value,
            "entryPayload": payload,
            "sender": self.sender.to_wire(),
            "senderDisplayName": self.sender_display_name,
            "transcriptedTimestamp": self.transcripted_timestamp,
            "clientTimestamp": self.client_timestamp,
            "relatedRecords": list(self.related_records),
        }


def _payload_with_type(entry: Entry) -> dict[str, Any]:
    return {"entryType": entry.entry_type.value, "id": entry.identifier, **entry.payload}


_PAYLOAD_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)  # one encoder, not one per call


def entry_to_sse_data(entry: Entry) -> dict[str, Any]:
    """The JSON object sent as an SSE event's `data` (entryPayload serialised to a string)."""
    payload = _PAYLOAD_ENCODER.encode(_payload_with_type(entry))
    return {
        "channelPlatformKey": entry.channel_platform_key,
        "channelType": CHANNEL_TYPE,
        "channelAddressIdentifier": entry.channel_address_identifier,
        "conversationId": entry.conversation_id,
        "conversationEntry": entry._entry_fields(payload),
    }


def entry_to_history(entry: Entry) -> dict[str, Any]:
    """One element of `conversationEntries` in the entries listing (entryPayload as an object)."""
    return entry._entry_fields(_payload_with_type(entry))


def _entry_from_fields(conversation_id: str, fields: dict[str, Any], payload: dict[str, Any]) -> Entry:
    try:
        entry_type = EntryType(fields["entryType"])
    except (KeyError, ValueError) as exc:
        raise MalformedEntry(f"unknown or missing entryType in {fields!r}") from exc
    body = {k: v for k, v in payload.items() if k not in ("entryType", "id")}
    return Entry(
        conversation_id=conversation_id,
        identifier=str(fields.get("identifier", payload.get("id", ""))),
        entry_type=entry_type,
        payload=body,
        sender=Sender.from_wire(fields.get("sender") or {}),
        sender_display_name=str(fields.get("senderDisplayName", "")),
        transcripted_timestamp=int(fields.get("transcriptedTimestamp", 0)),
        client_timestamp=int(fields.get("clientTimestamp", 0)),
        related_records=tuple(str(r) for r in fields.get("relatedRecords") or ()),
    )


def entry_from_sse(data: str | dict[str, Any]) -> Entry:
    """Parse an SSE `data` field (the envelope) back into an Entry."""
    try:
        envelope = json.loads(data) if isinstance(data, str) else data
        fields = envelope["conversationEntry"]
        raw = fields["entryPayload"]
        payload = json.loads(raw) if isinstance(raw, str) else raw
        conversation_id = str(envelope["conversationId"])
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise MalformedEntry(f"not a conversation event: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedEntry("entryPayload is not a JSON object")
    return _entry_from_fields(conversation_id, fields, payload)


def entry_from_history(conversation_id: str, fields: dict[str, Any]) -> Entry:
    """Parse one element of an entries listing."""
    payload = fields.get("entryPayload")
    if isinstance(payload, str):
        payload = json.loads(payload)
    if not isinstance(payload, dict):
        raise MalformedEntry("entryPayload is not a JSON object")
    return _entry_from_fields(conversation_id, fields, payload)
