"""Per-subject SSE event logs: numbered frames, exact replay after a Last-Event-Id, and live subscriptions.

Theory of operation: every subject (end-user identity) owns one append-only log. An event gets the next integer id
of its subject and is serialised once, as a complete SSE frame. A stream is a `Subscription`: it remembers the last
id it sent, and `append` wakes it. Replay after a reconnect is therefore "every frame with id > Last-Event-Id",
which cannot lose or duplicate an event as long as the client reports the last id it processed. Dropping a subject's
streams (fault injection) marks its subscriptions dropped and wakes them; each stream then ends cleanly.

Resuming (`harness.server.app.resume_point`): a Last-Event-Id must be plain decimal digits (else 400); one beyond
the subject's newest id is read as the newest (replay nothing, deliver every later frame), so a stale or made-up id
never swallows events. `wake` lets streams re-check their token after tokens are revoked.

Forgetting (`trim`, `forget`; see `harness.server.retention`): frames of evicted conversations are cut from the front
of a log, and a log with no frames left and no stream is dropped. Ids never go backwards: a trimmed log remembers its
last id, and `_base` (the highest last id of any dropped log) is where a new log starts and what an unknown subject
reports, so a client's stale Last-Event-Id can never sit above events it has not seen. Until something is dropped,
`_base` is 0 and every subject's ids start at 1.
"""

from __future__ import annotations

import asyncio
import bisect
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Frame:
    """One numbered event; only its wire form is kept (the JSON text once, not twice: the log never shrinks).

    The log itself keeps a frame as its id, event name and wire bytes in three parallel lists: none of them is an
    object the garbage collector tracks, so the frames a long-running runtime keeps cost its collections nothing.
    A `Frame` is built when a stream reads it.
    """

    event_id: int
    event: str
    wire: bytes

    @property
    def data(self) -> str:
        return self.wire.split(b"\ndata: ", 1)[1][:-2].decode()


def encode_frame(event_id: int | None, event: str, data: str) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n".encode()


PING_FRAME = encode_frame(None, "ping", "0")
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # `json.dumps` with options builds a new encoder per call


@dataclass(eq=False, slots=True)
class Subscription:
    subject: str
    last_id: int
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: bool = False


@dataclass(slots=True)
class _SubjectLog:
    wires: list[bytes] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    subscriptions: set[Subscription] = field(default_factory=set)
    floor: int = 0  # the last id when no frame is kept (all trimmed, or a new log after others were dropped)
    keep_from: int = 0  # frames below this id belong to evicted conversations (kept only for open streams)

    @property
    def last_id(self) -> int:
        return self.ids[-1] if self.ids else self.floor


class EventLog:
    """All subjects' logs. Single event loop: no locks needed, every mutation happens on that loop."""

    def __init__(self) -> None:
        self._logs: dict[str, _SubjectLog] = {}
        self._base = 0
        self.dropped_logs = 0

    def _log(self, subject: str) -> _SubjectLog:
        log = self._logs.get(subject)
        if log is None:
            log = self._logs[subject] = _SubjectLog(floor=self._base)
        return log

    def last_id(self, subject: str) -> int:
        log = self._logs.get(subject)
        return log.last_id if log else self._base

    def append(self, subject: str, event: str, data: dict[str, Any]) -> Frame:
        log = self._log(subject)
        event_id = log.last_id + 1
        text = _ENCODER.encode(data)
        frame = Frame(event_id, event, encode_frame(event_id, event, text))
        log.wires.append(frame.wire)
        log.events.append(event)
        log.ids.append(event_id)
        for sub in log.subscriptions:
            sub.wakeup.set()
        return frame

    def since(self, subject: str, last_id: int) -> list[Frame]:
        """Every frame of `subject` with an id greater than `last_id`, in order."""
        log = self._logs.get(subject)
        if log is None:
            return []
        start = bisect.bisect_right(log.ids, last_id)
        return [Frame(*row) for row in zip(log.ids[start:], log.events[start:], log.wires[start:], strict=True)]

    def subscribe(self, subject: str, last_id: int) -> Subscription:
        sub = Subscription(subject, last_id)
        self._log(subject).subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        log = self._logs.get(sub.subject)
        if log is not None:
            log.subscriptions.discard(sub)
            if not log.subscriptions:
                self._cut(sub.subject, log)

    def trim(self, subject: str, keep_from: int | None) -> bool:
        """Let go of the frames with ids below `keep_from` (all of them when None); True if the log was dropped.

        A frame that an open stream has not sent yet is kept until that stream ends, so eviction never takes an
        event from under a connected client.
        """
        log = self._logs.get(subject)
        if log is None:
            return False
        log.keep_from = log.last_id + 1 if keep_from is None else keep_from
        return self._cut(subject, log)

    def _cut(self, subject: str, log: _SubjectLog) -> bool:
        upto = log.keep_from
        for sub in log.subscriptions:
            upto = min(upto, sub.last_id + 1)
        cut = bisect.bisect_left(log.ids, upto)
        if cut:
            log.floor = log.ids[cut - 1]
            del log.wires[:cut]
            del log.events[:cut]
            del log.ids[:cut]
        if not log.ids and not log.subscriptions:
            self._drop_log(subject, log)
            return True
        return False

    def _drop_log(self, subject: str, log: _SubjectLog) -> None:
        self._base = max(self._base, log.last_id)
        del self._logs[subject]
        self.dropped_logs += 1

    def stats(self) -> dict[str, int]:
        return {
            "subjects": len(self._logs),
            "frames": sum(len(log.ids) for log in self._logs.values()),
            "streams": self.stream_count(),
            "baseEventId": self._base,
        }

    def drop(self, subject: str | None = None) -> int:
        """End every live stream of `subject` (or of everyone); returns how many were dropped."""
        count = 0
        for name, log in self._logs.items():
            if subject is not None and name != subject:
                continue
            for sub in list(log.subscriptions):
                sub.dropped = True
                sub.wakeup.set()
                count += 1
            log.subscriptions.clear()
        return count

    def wake(self, subject: str | None = None) -> None:
        """Wake the live streams of `subject` (or of everyone) so they re-check whether they may go on."""
        for name, log in self._logs.items():
            if subject is None or name == subject:
                for sub in log.subscriptions:
                    sub.wakeup.set()

    def stream_count(self, subject: str | None = None) -> int:
        if subject is not None:
            log = self._logs.get(subject)
            return len(log.subscriptions) if log else 0
        return sum(len(log.subscriptions) for log in self._logs.values())

    def clear(self) -> None:
        self.drop()
        self._logs.clear()
        self._base = 0
        self.dropped_logs = 0
