"""The control API plays any participant: a chosen rep or bot speaks, leaves, types and acknowledges; the end user's
typing and acknowledgements are kept for the control API to read.

Rep typing indicators and delivery/read acknowledgements reach the end user's stream as
CONVERSATION_TYPING_STARTED/STOPPED_INDICATOR and CONVERSATION_DELIVERY/READ_ACKNOWLEDGEMENT (the acknowledged entry
id in `relatedRecords`, §4.6). They are stream-only: the entries listing stays a transcript of messages and changes.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from harness.server.bodies import read_json
from harness.server.state import ApiError, Conversation, Participant, Runtime
from harness.wire.entries import Entry, entry_to_sse_data
from harness.wire.events import EntryType, event_for_entry_type

_TYPING = {True: EntryType.TYPING_STARTED_INDICATOR, False: EntryType.TYPING_STOPPED_INDICATOR}
_ACKS = {"Delivery": EntryType.DELIVERY_ACKNOWLEDGEMENT, "Read": EntryType.READ_ACKNOWLEDGEMENT}


@dataclass(slots=True)
class _ConversationSignals:
    conversation: Conversation
    typing: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Signals:
    """What the end user signalled that is not a message: typing indicators and acknowledgements, per conversation."""

    by_conversation: dict[str, _ConversationSignals] = field(default_factory=dict)

    def _of(self, conv: Conversation) -> _ConversationSignals:
        current = self.by_conversation.get(conv.conversation_id)
        if current is None or current.conversation is not conv:  # a reset runtime may see the same id again
            current = self.by_conversation[conv.conversation_id] = _ConversationSignals(conv)
        return current

    def typing(self, conv: Conversation, entry_type: str, now_ms: int) -> None:
        self._of(conv).typing.append({"entryType": entry_type, "timestamp": now_ms})

    def acks(self, conv: Conversation, acks: list[dict[str, Any]], now_ms: int) -> None:
        self._of(conv).acks.extend({**a, "timestamp": now_ms} for a in acks)

    def to_json(self, conv: Conversation) -> dict[str, Any]:
        current = self._of(conv)
        last = current.typing[-1]["entryType"] if current.typing else None
        return {
            "conversationId": conv.conversation_id,
            "endUserTyping": last == EntryType.TYPING_STARTED_INDICATOR.value,
            "typing": list(current.typing),
            "acks": list(current.acks),
        }


_SIGNALS: weakref.WeakKeyDictionary[Runtime, Signals] = weakref.WeakKeyDictionary()


def signals_of(runtime: Runtime) -> Signals:
    signals = _SIGNALS.get(runtime)
    if signals is None:
        signals = _SIGNALS[runtime] = Signals()
    return signals


def find_participant(conv: Conversation, name: str) -> Participant:
    """The current participant called `name` (display name, or subject), latest joiner first."""
    for participant in reversed(conv.participants):
        if name in (participant.display_name, participant.subject):
            return participant
    present = ", ".join(p.display_name for p in conv.participants) or "nobody"
    raise ApiError(404, f"no participant {name!r} in conversation {conv.conversation_id} (present: {present})")


def _stream(
    runtime: Runtime, conv: Conversation, participant: Participant, entry_type: EntryType, **extra: Any
) -> Entry:
    """Send one stream-only entry from `participant` to the end user."""
    related = extra.pop("related_records", ())
    entry = Entry(
        conversation_id=conv.conversation_id,
        identifier=runtime._uuid(),
        entry_type=entry_type,
        payload=extra,
        sender=participant.sender(),
        sender_display_name=participant.display_name,
        transcripted_timestamp=runtime.now_ms,
        client_timestamp=runtime.now_ms,
        related_records=tuple(related),
        channel_address_identifier=runtime.deployments[conv.deployment].channel_address_identifier,
        channel_platform_key=conv.subject,
    )
    runtime.events.append(conv.subject, event_for_entry_type(entry_type).value, entry_to_sse_data(entry))
    return entry


def _live(conv: Conversation) -> None:
    if conv.closed or not conv.lifecycle.session_live:
        session = conv.lifecycle.session.value if conv.lifecycle.session else "NONE"
        raise ApiError(
            409, f"no live messaging session (session {session}, conversation {conv.lifecycle.conversation})"
        )


class ParticipantControl:
    """Control routes under /control/conversations/{cid}/participants/{name}/..."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def _target(self, request: Request) -> tuple[Conversation, Participant]:
        conv = self.rt.conversation(request.path_params["cid"])
        return conv, find_participant(conv, request.path_params["name"])

    async def _body(self, request: Request) -> dict[str, Any]:
        return await read_json(request, self.rt.config.max_body_bytes)

    async def say(self, request: Request) -> Response:
        conv, participant = self._target(request)
        text = (await self._body(request)).get("text")
        if not isinstance(text, str):
            raise ApiError(400, f"text must be a string, got {text!r}")
        _live(conv)
        entry = self.rt._message(conv, participant, text)
        self.rt._rearm(conv, touched=True)
        return JSONResponse({"id": entry.identifier, "transcriptedTimestamp": entry.transcripted_timestamp})

    async def leave(self, request: Request) -> Response:
        conv, participant = self._target(request)
        conv.participants.remove(participant)
        self.rt._participant_changed(conv, participant, "remove")
        return JSONResponse(conv.to_control())

    async def typing(self, request: Request) -> Response:
        conv, participant = self._target(request)
        started = (await self._body(request)).get("started", True)
        if not isinstance(started, bool):
            raise ApiError(400, f"started must be true or false, got {started!r}")
        _live(conv)
        entry = _stream(self.rt, conv, participant, _TYPING[started])
        return JSONResponse({"id": entry.identifier, "entryType": entry.entry_type.value})

    async def acknowledge(self, request: Request) -> Response:
        conv, participant = self._target(request)
        data = await self._body(request)
        kind = data.get("entryType")
        if kind not in _ACKS:
            raise ApiError(400, f"entryType must be Delivery or Read, got {kind!r}")
        target = data.get("conversationEntryId")
        if not isinstance(target, str) or not any(e.identifier == target for e in conv.entries):
            raise ApiError(
                404, f"conversationEntryId {target!r} is not an entry of conversation {conv.conversation_id}"
            )
        entry = _stream(
            self.rt,
            conv,
            participant,
            _ACKS[str(kind)],
            acknowledgementTimestamp=self.rt.now_ms,
            related_records=(target,),
        )
        return JSONResponse({"id": entry.identifier, "entryType": entry.entry_type.value})

    async def signals(self, request: Request) -> Response:
        conv = self.rt.conversation(request.path_params["cid"])
        return JSONResponse(signals_of(self.rt).to_json(conv))


def participant_routes(runtime: Runtime, wrap: Any) -> list[BaseRoute]:
    c = ParticipantControl(runtime)
    base = "/conversations/{cid}/participants/{name}"
    return [
        Route(f"{base}/messages", wrap(None, c.say), methods=["POST"]),
        Route(f"{base}/leave", wrap(None, c.leave), methods=["POST"]),
        Route(f"{base}/typing", wrap(None, c.typing), methods=["POST"]),
        Route(f"{base}/acks", wrap(None, c.acknowledge), methods=["POST"]),
        Route("/conversations/{cid}/signals", wrap(None, c.signals), methods=["GET"]),
    ]
