"""The verdict of one scenario run, computed from what was observed (never looked up from a table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["SEVERITY", "NeedsRep", "NotApplicable", "Observations", "Reason", "Verdict", "VerdictResult", "judge"]


class NotApplicable(Exception):
    """The scenario does not apply to this SDK profile or app (e.g. no End Chat before SDK 1.8)."""


class NeedsRep(Exception):
    """The scenario needs someone other than the end user and nobody can play that part on this target."""


class Verdict(StrEnum):
    PASS = "pass"
    DEGRADED = "degraded"
    BLOCKED = "blocked"
    NOT_APPLICABLE = "not_applicable"
    NEEDS_REP = "needs_rep"
    ERROR = "error"


class Reason(StrEnum):
    RECOVERED = "recovered"
    UI_LIED = "ui_lied"  # composer open while the conversation is closed (or read-only while it is open)
    MESSAGE_LOST = "message_lost"  # a message neither reached the runtime nor showed as failed
    MISSED_CLOSE = "missed_close"  # the app learned of the close only by failing to send
    CONVERSATION_SPLIT = "conversation_split"  # the app left an open conversation for a new one
    REUSED_CLOSED_ID = "reused_closed_id"  # the app keeps sending to the closed conversation, even after relaunch
    NO_WAY_OUT = "no_way_out"  # read-only and no action of the user leads to a new conversation
    LOST_IDENTITY = "lost_identity"  # the app lost its identity and cannot reach its conversation (403)
    NOT_APPLICABLE = "not_applicable"
    NEEDS_REP = "needs_rep"
    HARNESS_ERROR = "harness_error"


# Worst first: folding the runs of one cell (one per runtime variant) keeps the most severe verdict;
# not_applicable only wins when every run is not applicable.
SEVERITY: dict[Verdict, int] = {
    Verdict.ERROR: 5,
    Verdict.BLOCKED: 4,
    Verdict.DEGRADED: 3,
    Verdict.NEEDS_REP: 2,
    Verdict.PASS: 1,
    Verdict.NOT_APPLICABLE: 0,
}


@dataclass(slots=True)
class Observations:
    """Facts gathered by a journey; each list entry is a short human description with the evidence step."""

    recovered: bool | None = None  # None: the scenario made no recovery attempt
    recovery_actions: list[str] = field(default_factory=list)
    ui_lies: list[str] = field(default_factory=list)
    lost_messages: list[str] = field(default_factory=list)
    missed_close: list[str] = field(default_factory=list)
    split_conversations: list[str] = field(default_factory=list)
    sends_to_closed: int = 0  # sends the app made to a conversation the runtime had closed
    forbidden: int = 0  # 403 answers: the identity cannot see the conversation
    not_applicable: str | None = None
    needs_rep: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class VerdictResult:
    verdict: Verdict
    reason_code: Reason
    reason: str


def _join(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    return "; ".join(unique[:3]) + (f" (+{len(unique) - 3} more)" if len(unique) > 3 else "")


def judge(obs: Observations) -> VerdictResult:
    """Worst finding wins: error, then not-applicable/needs-rep, blocked, degraded, pass."""
    if obs.error is not None:
        return VerdictResult(Verdict.ERROR, Reason.HARNESS_ERROR, obs.error)
    if obs.not_applicable is not None:
        return VerdictResult(Verdict.NOT_APPLICABLE, Reason.NOT_APPLICABLE, obs.not_applicable)
    if obs.needs_rep is not None:
        return VerdictResult(Verdict.NEEDS_REP, Reason.NEEDS_REP, obs.needs_rep)
    if obs.recovered is False:
        tried = ", ".join(obs.recovery_actions) or "nothing"
        if obs.forbidden:
            return VerdictResult(
                Verdict.BLOCKED,
                Reason.LOST_IDENTITY,
                f"the app lost access to its conversation (403) and never started a new one; tried: {tried}",
            )
        if obs.sends_to_closed:
            return VerdictResult(
                Verdict.BLOCKED,
                Reason.REUSED_CLOSED_ID,
                f"the app kept using the closed conversation id ({obs.sends_to_closed} sends refused); tried: {tried}",
            )
        return VerdictResult(
            Verdict.BLOCKED,
            Reason.NO_WAY_OUT,
            f"no user action led to a new conversation; tried: {tried}",
        )
    if obs.lost_messages:
        return VerdictResult(
            Verdict.DEGRADED, Reason.MESSAGE_LOST, "message lost silently: " + _join(obs.lost_messages)
        )
    if obs.ui_lies:
        return VerdictResult(Verdict.DEGRADED, Reason.UI_LIED, "the UI did not show the truth: " + _join(obs.ui_lies))
    if obs.missed_close:
        return VerdictResult(Verdict.DEGRADED, Reason.MISSED_CLOSE, _join(obs.missed_close))
    if obs.split_conversations:
        return VerdictResult(Verdict.DEGRADED, Reason.CONVERSATION_SPLIT, _join(obs.split_conversations))
    if obs.recovered is None:
        return VerdictResult(Verdict.PASS, Reason.RECOVERED, "every check of the scenario held")
    actions = ", ".join(obs.recovery_actions)
    return VerdictResult(
        Verdict.PASS, Reason.RECOVERED, f"the app showed the truth and the user reached a rep after: {actions}"
    )
