"""The verdict of one scenario run, computed from what was observed (never looked up from a table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "SEVERITY",
    "NeedsRep",
    "NotApplicable",
    "Observations",
    "Reason",
    "RecoveryPath",
    "RefusedSend",
    "Verdict",
    "VerdictResult",
    "judge",
]


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
    """Why a run got its verdict. Each code rests on facts of the run's own timeline (`harness.run.preconditions`
    checks them): a code is never chosen from a table or from what a scenario is about."""

    RECOVERED = "recovered"
    UI_LIED = "ui_lied"  # composer open while the conversation is closed (or read-only while it is open)
    MESSAGE_LOST = "message_lost"  # a message neither reached the runtime nor showed as failed
    RELAUNCH_REQUIRED = "relaunch_required"  # the user got back, but only by killing and relaunching the app
    CONVERSATION_SPLIT = "conversation_split"  # the app left an open conversation for a new one
    REUSED_CLOSED_ID = "reused_closed_id"  # the app keeps sending to the closed conversation, even after relaunch
    NO_WAY_OUT = "no_way_out"  # no action of the user led to a new conversation, and no send was refused as above
    LOST_IDENTITY = "lost_identity"  # the app lost its identity and the runtime refuses its conversation (403)
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


class RecoveryPath(StrEnum):
    """How the user got back to a rep: the first step of the bounded protocol that worked."""

    TYPE = "type"  # typing in the chat (the app may start a new conversation by itself on a failed send)
    NEW_CONVERSATION = "new_conversation"  # the app's "start a new conversation" button
    REOPEN = "reopen"  # closing and reopening the chat screen
    RELAUNCH = "relaunch"  # killing and relaunching the app: no way out inside the app
    NONE = "none"  # nothing the user did worked

    @property
    def in_app(self) -> bool:
        return self in (RecoveryPath.TYPE, RecoveryPath.NEW_CONVERSATION, RecoveryPath.REOPEN)


# Best first: a run that recovers several times keeps its worst way out.
PATH_RANK = {p: n for n, p in enumerate(RecoveryPath)}

# A 4xx that says nothing about the conversation being closed: a token to renew (401), an identity the runtime does
# not know (403, judged apart) or a rate limit (429).
_NOT_A_CLOSED_REFUSAL = frozenset({401, 403, 429})


@dataclass(frozen=True, slots=True)
class RefusedSend:
    """A message the user sent that the runtime refused, as the run recorded it."""

    conversation: str | None
    conversation_state: str | None  # the runtime's state of that conversation when the user sent, when known
    statuses: tuple[int, ...]  # the error statuses the runtime answered during the send, in order
    identity_changed: bool  # the app had become another end user before this send

    @property
    def forbidden_after_identity_change(self) -> bool:
        return self.identity_changed and 403 in self.statuses

    @property
    def refused_as_closed(self) -> bool:
        """Sent to a conversation the runtime had closed, and refused for it (not for a token or an identity)."""
        if self.conversation_state != "CLOSED" or self.forbidden_after_identity_change:
            return False
        return any(400 <= s < 500 and s not in _NOT_A_CLOSED_REFUSAL for s in self.statuses) or (
            403 in self.statuses and not self.identity_changed
        )


@dataclass(slots=True)
class Observations:
    """Facts gathered by a journey; each list entry is a short human description with the evidence step."""

    recovered: bool | None = None  # None: the scenario made no recovery attempt
    recovery_actions: list[str] = field(default_factory=list)
    recovery_path: RecoveryPath | None = None  # the worst way out over the run's recoveries; None: none attempted
    recovery_action: str | None = None  # the protocol step that got the user back (for `recovery_path`)
    ui_lies: list[str] = field(default_factory=list)
    lost_messages: list[str] = field(default_factory=list)
    split_conversations: list[str] = field(default_factory=list)
    sends_to_closed: int = 0  # sends the app made to a conversation the runtime had closed
    refused_sends: list[RefusedSend] = field(default_factory=list)
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
    if obs.recovered is False or obs.recovery_path is RecoveryPath.NONE:  # some recovery found no way out
        tried = ", ".join(obs.recovery_actions) or "nothing"
        forbidden = sum(1 for r in obs.refused_sends if r.forbidden_after_identity_change)
        if forbidden:
            return VerdictResult(
                Verdict.BLOCKED,
                Reason.LOST_IDENTITY,
                f"the app became another end user and the runtime refused its conversation ({forbidden} sends "
                f"refused with 403); it never started a new one; tried: {tried}",
            )
        refused = sum(1 for r in obs.refused_sends if r.refused_as_closed)
        if refused:
            return VerdictResult(
                Verdict.BLOCKED,
                Reason.REUSED_CLOSED_ID,
                f"the app kept using the closed conversation id ({refused} sends refused); tried: {tried}",
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
    relaunch = ""
    if obs.recovery_path is RecoveryPath.RELAUNCH:
        relaunch = f"; the user got back only by relaunching the app ({obs.recovery_action})"
    if obs.ui_lies:
        return VerdictResult(
            Verdict.DEGRADED, Reason.UI_LIED, "the UI did not show the truth: " + _join(obs.ui_lies) + relaunch
        )
    if relaunch:
        tried = ", ".join(obs.recovery_actions)
        return VerdictResult(
            Verdict.DEGRADED,
            Reason.RELAUNCH_REQUIRED,
            f"no way out inside the app: only killing and relaunching it reached a rep; tried: {tried}",
        )
    if obs.split_conversations:
        return VerdictResult(Verdict.DEGRADED, Reason.CONVERSATION_SPLIT, _join(obs.split_conversations))
    if obs.recovered is None:
        return VerdictResult(Verdict.PASS, Reason.RECOVERED, "every check of the scenario held")
    actions = ", ".join(obs.recovery_actions)
    return VerdictResult(
        Verdict.PASS, Reason.RECOVERED, f"the app showed the truth and the user reached a rep after: {actions}"
    )
