"""What each reason code needs in a run's own timeline: a check that a verdict says only what its evidence shows.

The judge decides from the observations a journey gathered; the journey also writes the facts behind them into the
timeline (`harness.timeline.Fact`, kept under `detail["fact"]` so that a record read back from JSON still has them).
`violations` reads a run's evidence as it was recorded -- the facts, and the raw requests and user actions around
them -- and lists every way the run's reason code is not borne out. An empty list means the code is consistent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.run.judge import Reason, RecoveryPath, Verdict
from harness.timeline import Fact

__all__ = ["VERDICT_OF", "violations"]

VERDICT_OF: dict[Reason, Verdict] = {
    Reason.RECOVERED: Verdict.PASS,
    Reason.UI_LIED: Verdict.DEGRADED,
    Reason.MESSAGE_LOST: Verdict.DEGRADED,
    Reason.RELAUNCH_REQUIRED: Verdict.DEGRADED,
    Reason.CONVERSATION_SPLIT: Verdict.DEGRADED,
    Reason.REUSED_CLOSED_ID: Verdict.BLOCKED,
    Reason.NO_WAY_OUT: Verdict.BLOCKED,
    Reason.LOST_IDENTITY: Verdict.BLOCKED,
    Reason.NOT_APPLICABLE: Verdict.NOT_APPLICABLE,
    Reason.NEEDS_REP: Verdict.NEEDS_REP,
    Reason.HARNESS_ERROR: Verdict.ERROR,
}

Step = Mapping[str, Any]


class _Evidence:
    """One run's timeline, with the questions the preconditions ask of it."""

    def __init__(self, evidence: Sequence[Step], steps: Sequence[Step]) -> None:
        self.evidence = list(evidence)
        self.steps = list(steps)

    def facts(self, fact: Fact) -> list[tuple[int, Step]]:
        return [
            (i, s)
            for i, s in enumerate(self.evidence)
            if s.get("kind") == "note" and _detail(s).get("fact") == fact.value
        ]

    def recoveries(self) -> dict[int, list[Step]]:
        """The protocol's steps, per recovery of the run, in order."""
        by: dict[int, list[Step]] = {}
        for _, step in self.facts(Fact.WAY_OUT_TRIED):
            by.setdefault(int(_detail(step).get("recovery", 0)), []).append(_detail(step))
        return by

    def way_outs(self) -> list[str]:
        """Per recovery, the way of the first step that reached a rep (`none` when no step did)."""
        ways = []
        for tried in self.recoveries().values():
            first = next((t for t in tried if t.get("reached_rep")), None)
            ways.append(RecoveryPath.NONE.value if first is None else str(first.get("way")))
        return ways

    def relaunch_first(self) -> list[str]:
        """Problems with the claim "some recovery got out first by a relaunch, after the in-app steps failed"."""
        for tried in self.recoveries().values():
            first = next((n for n, t in enumerate(tried) if t.get("reached_rep")), None)
            if first is None or tried[first].get("way") != RecoveryPath.RELAUNCH.value:
                continue
            failed_in_app = {str(t.get("way")) for t in tried[:first] if not t.get("reached_rep")}
            if {RecoveryPath.TYPE.value, RecoveryPath.REOPEN.value} <= failed_in_app:
                return []
            return [f"the relaunch came before the in-app steps were tried (tried first: {sorted(failed_in_app)})"]
        return ["no recovery got out first by a relaunch"]

    def refusals(self) -> list[Mapping[str, Any]]:
        return [_detail(s) for _, s in self.facts(Fact.SEND_REFUSED)]

    def refusals_not_borne_out(self) -> list[str]:
        """Each `send_refused` fact must list exactly the error statuses of the requests since the user's send."""
        problems = []
        for index, fact in self.facts(Fact.SEND_REFUSED):
            start = next(
                (i for i in range(index - 1, -1, -1) if self.evidence[i].get("kind") == "action"),
                -1,
            )
            raw = Counter(
                int(_detail(s)["status"])
                for s in self.evidence[start + 1 : index]
                if s.get("kind") == "request"
                and isinstance(_detail(s).get("status"), int)
                and _detail(s)["status"] >= 400
            )
            claimed = Counter(int(x) for x in _detail(fact).get("statuses", ()))
            if raw != claimed:
                problems.append(
                    f"send_refused claims {sorted(claimed.elements())}, the requests say {sorted(raw.elements())}"
                )
        return problems

    def forbidden_after_identity_change(self) -> list[Mapping[str, Any]]:
        changed_at = [i for i, _ in self.facts(Fact.IDENTITY_CHANGED)]
        found = []
        for index, fact in self.facts(Fact.SEND_REFUSED):
            detail = _detail(fact)
            if (
                403 in detail.get("statuses", ())
                and detail.get("identity_changed")
                and any(i < index for i in changed_at)
            ):
                found.append(detail)
        return found

    def refused_as_closed(self) -> list[Mapping[str, Any]]:
        found = []
        for detail in self.refusals():
            statuses = [int(s) for s in detail.get("statuses", ())]
            if detail.get("conversation_state") != "CLOSED":
                continue
            if detail.get("identity_changed") and 403 in statuses:
                continue
            if any(400 <= s < 500 and s not in (401, 429) for s in statuses):
                found.append(detail)
        return found

    def step_error(self, prefix: str) -> bool:
        return any(str(s.get("error") or "").startswith(prefix) for s in self.steps)


def _detail(step: Step) -> Mapping[str, Any]:
    detail = step.get("detail")
    return detail if isinstance(detail, Mapping) else {}


def _recovered(ev: _Evidence) -> list[str]:
    ways = ev.way_outs()
    return ["a recovery found no way out"] if RecoveryPath.NONE.value in ways else []


def _blocked(ev: _Evidence) -> list[str]:
    return [] if RecoveryPath.NONE.value in ev.way_outs() else ["every recovery found a way out"]


def _none_of(ev: _Evidence, *facts: Fact) -> list[str]:
    return [f"the timeline has {fact.value}" for fact in facts if ev.facts(fact)]


def _some(ev: _Evidence, fact: Fact) -> list[str]:
    return [] if ev.facts(fact) else [f"the timeline has no {fact.value}"]


def _no_relaunch_first(ev: _Evidence) -> list[str]:
    return [] if ev.relaunch_first() else ["a recovery got out only by a relaunch"]


def _pass(ev: _Evidence) -> list[str]:
    findings = _none_of(ev, Fact.UI_DISAGREES, Fact.MESSAGE_LOST, Fact.CONVERSATION_SPLIT)
    return _recovered(ev) + findings + _no_relaunch_first(ev)


def _ui_lied(ev: _Evidence) -> list[str]:
    return _recovered(ev) + _some(ev, Fact.UI_DISAGREES) + _none_of(ev, Fact.MESSAGE_LOST)


def _message_lost(ev: _Evidence) -> list[str]:
    return _recovered(ev) + _some(ev, Fact.MESSAGE_LOST)


def _relaunch_required(ev: _Evidence) -> list[str]:
    return _recovered(ev) + ev.relaunch_first() + _none_of(ev, Fact.UI_DISAGREES, Fact.MESSAGE_LOST)


def _split(ev: _Evidence) -> list[str]:
    findings = _none_of(ev, Fact.UI_DISAGREES, Fact.MESSAGE_LOST)
    return _recovered(ev) + _some(ev, Fact.CONVERSATION_SPLIT) + findings + _no_relaunch_first(ev)


def _lost_identity(ev: _Evidence) -> list[str]:
    found = ev.forbidden_after_identity_change()
    return _blocked(ev) + ([] if found else ["no send was refused with 403 after the identity changed"])


def _reused_closed_id(ev: _Evidence) -> list[str]:
    problems = _blocked(ev)
    if not ev.refused_as_closed():
        problems.append("no send to a conversation the runtime had closed was refused for it")
    if ev.forbidden_after_identity_change():
        problems.append("a send was refused with 403 after the identity changed: that is lost_identity")
    return problems


def _no_way_out(ev: _Evidence) -> list[str]:
    problems = _blocked(ev)
    if ev.refused_as_closed() or ev.forbidden_after_identity_change():
        problems.append("a refused send names a more precise reason")
    return problems


_PRECONDITIONS: dict[Reason, Callable[[_Evidence], list[str]]] = {
    Reason.RECOVERED: _pass,
    Reason.UI_LIED: _ui_lied,
    Reason.MESSAGE_LOST: _message_lost,
    Reason.RELAUNCH_REQUIRED: _relaunch_required,
    Reason.CONVERSATION_SPLIT: _split,
    Reason.REUSED_CLOSED_ID: _reused_closed_id,
    Reason.NO_WAY_OUT: _no_way_out,
    Reason.LOST_IDENTITY: _lost_identity,
    Reason.NOT_APPLICABLE: lambda ev: [] if ev.step_error("NotApplicable") else ["no step found it not applicable"],
    Reason.NEEDS_REP: lambda ev: [] if ev.step_error("NeedsRep") else ["no step needed a rep"],
    Reason.HARNESS_ERROR: lambda ev: [],  # the catch-all: its reason carries the error
}


def violations(verdict: str, reason_code: str, evidence: Sequence[Step], steps: Sequence[Step] = ()) -> list[str]:
    """Every way the run's reason code (and its verdict) is not borne out by its own timeline."""
    try:
        code = Reason(reason_code)
    except ValueError:
        return [f"unknown reason code {reason_code!r}"]
    problems = []
    if verdict != VERDICT_OF[code].value:
        problems.append(f"{code.value} goes with {VERDICT_OF[code].value}, not {verdict}")
    ev = _Evidence(evidence, steps)
    problems.extend(ev.refusals_not_borne_out())
    problems.extend(_PRECONDITIONS[code](ev))
    return problems
