"""The evidence of one scenario run: an ordered record of requests, events, UI states and actions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    ACTION = "action"  # something the end user did (tap send, relaunch, tap "new conversation")
    CONTROL = "control"  # something a rep, bot, timer or fault did (through the control API)
    REQUEST = "request"  # an HTTP request the app sent, with its response status
    EVENT = "event"  # an SSE event the app received
    UI = "ui"  # a change in what the user sees
    NOTE = "note"  # a fact the judge recorded (e.g. "message m1 never echoed")


class Fact(StrEnum):
    """Steps that code (not only a reader) looks for: found by `Timeline.facts`, never by matching the summary."""

    STREAM_CLOSED_BY_SERVER = "stream closed by the server"  # the runtime ended the app's SSE stream
    # Facts the judge's reason codes rest on. The journey records them with the same value under `detail["fact"]`,
    # so that a record read back from its JSON (where `fact` is not kept) still shows them.
    WAY_OUT_TRIED = "way_out_tried"  # one step of the recovery protocol: which way, and whether it reached a rep
    SEND_REFUSED = "send_refused"  # a message the user sent was refused by the runtime: statuses and target state
    IDENTITY_CHANGED = "identity_changed"  # the app now speaks as another end user than before
    UI_DISAGREES = "ui_disagrees"  # what the app shows contradicts the runtime (composer, a reply never shown)
    CONVERSATION_SPLIT = "conversation_split"  # a message reached a rep in a new conversation; the first is open
    MESSAGE_LOST = "message_lost"  # a message shows as sent or sending and no conversation of the user holds it


@dataclass(frozen=True, slots=True)
class Step:
    seq: int
    kind: Kind
    actor: str  # "user" | "app" | "server" | "rep" | "bot" | "clock" | "harness"
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)
    at_ms: int | None = None  # virtual time, when known
    fact: Fact | None = None  # for code that looks for this step; not part of the evidence a report shows

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        del data["fact"]
        return data


@dataclass(slots=True)
class Timeline:
    """Append-only; `seq` numbers are dense and start at 1, so two runs with one seed compare equal."""

    steps: list[Step] = field(default_factory=list)

    def add(
        self,
        kind: Kind,
        actor: str,
        summary: str,
        detail: dict[str, Any] | None = None,
        at_ms: int | None = None,
        fact: Fact | None = None,
    ) -> Step:
        step = Step(len(self.steps) + 1, kind, actor, summary, dict(detail or {}), at_ms, fact)
        self.steps.append(step)
        return step

    def of(self, kind: Kind) -> list[Step]:
        return [s for s in self.steps if s.kind is kind]

    def facts(self, fact: Fact) -> list[Step]:
        return [s for s in self.steps if s.fact is fact]

    def add_fact(self, fact: Fact, summary: str, **detail: Any) -> Step:
        """A fact the harness established (a NOTE by the harness), findable by code in memory and in JSON."""
        return self.add(Kind.NOTE, "harness", summary, {"fact": fact.value, **detail}, fact=fact)

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.steps]
