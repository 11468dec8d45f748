"""Variants: where the real runtime's or the SDK's behaviour is unknown, a scenario runs under each choice.

Runtime: miaw-api.md §10 leaves open whether a Session-Based-Chat close also emits CONVERSATION_CLOSE_CONVERSATION
(the SSE doc says that event fires only for end-user closes) and whether the ~24 h auto-end of an inactive session
counts as a session end. Closing scenarios run under each runtime variant up front (they all read it).

The status of a send to a closed conversation is open too (§10 q1; §11.1 leads to 403, the default). A scenario
that closes a conversation also runs with 400 and with 401 for each SDK profile that reacts to that status
differently from 403 (its `send_refusal_*` flags, harness/sdk/refusal.py): where the SDK does the same thing, the
run could not differ, so it is not made. The status runs build on the variant where clients do send into the closed
conversation (no close event under Session-Based Chat; the auto-end that closes it).

SDK: a capability flag whose evidence is "unknown" (sdk-versions.md [U]) is run under each plausible value, but only
where a run consulted it: the profile's own value runs first, and a fork with another value follows only when that
run read the flag (`ForkPlan`). A client passes a cell only if it passes under every variant; the report names the
one that broke it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from harness.sdk.profiles import Assumption, CapabilityValue, SdkProfile
from harness.sdk.refusal import reacts_differently
from harness.server.config import DeploymentSettings

__all__ = [
    "CLOSED_SEND_STATUSES",
    "DEFAULT",
    "VARIANTS_BY_TAG",
    "Assignment",
    "ForkPlan",
    "Variant",
    "closed_send_variant",
    "consulted_unknowns",
    "variants_for",
]

Assignment = tuple[tuple[str, CapabilityValue], ...]  # (flag, value) pairs, sorted by flag


@dataclass(frozen=True)
class Variant:
    name: str
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "settings": dict(self.settings)}


DEFAULT = Variant("default", MappingProxyType({}), "the runtime's documented defaults")

CLOSE_EVENT = Variant(
    "close-event",
    MappingProxyType({"emit_close_event_on_sbc_end": True}),
    "a Session-Based-Chat close also sends CONVERSATION_CLOSE_CONVERSATION",
)
NO_CLOSE_EVENT = Variant(
    "no-close-event",
    MappingProxyType({"emit_close_event_on_sbc_end": False}),
    "a Session-Based-Chat close sends only SessionStatusChanged(Ended)",
)
AUTO_END_CLOSES = Variant(
    "auto-end-closes",
    MappingProxyType({"auto_end_closes_conversation": True, "emit_close_event_on_sbc_end": True}),
    "the ~24 h auto-end of an inactive session closes the conversation",
)
AUTO_END_KEEPS_OPEN = Variant(
    "auto-end-keeps-open",
    MappingProxyType({"auto_end_closes_conversation": False}),
    "the ~24 h auto-end ends the session only",
)

# Scenario tag -> the variants it runs under. The first matching tag wins; untagged scenarios run once.
VARIANTS_BY_TAG: dict[str, tuple[Variant, ...]] = {
    "auto_end": (AUTO_END_CLOSES, AUTO_END_KEEPS_OPEN),
    "closing": (CLOSE_EVENT, NO_CLOSE_EVENT),
}


# The other statuses a send to a closed conversation may get (the runtime's default is §11.1's 403).
CLOSED_SEND_STATUSES: tuple[int, ...] = (400, 401)
DEFAULT_CLOSED_SEND_STATUS = DeploymentSettings().closed_send_status

# Scenario tag -> the variant the closed-send statuses build on.
_STATUS_BASE: dict[str, Variant] = {"auto_end": AUTO_END_CLOSES, "closing": NO_CLOSE_EVENT}


def closed_send_variant(base: Variant, status: int) -> Variant:
    return Variant(
        f"{base.name}+closed-send-{status}",
        MappingProxyType({**base.settings, "closed_send_status": status}),
        f"{base.description}; a send to the closed conversation is refused with {status}",
    )


def variants_for(
    tags: Iterable[str], profile: SdkProfile | None = None, *, every_status: bool = False
) -> tuple[Variant, ...]:
    """The variants a scenario with `tags` runs under; with a `profile`, also the closed-send statuses it reacts to
    differently from the default one; with `every_status` (a real client, whose reactions nobody has written down),
    every closed-send status."""
    tagset = set(tags)
    for tag, variants in VARIANTS_BY_TAG.items():
        if tag in tagset:
            if every_status:
                return variants + tuple(closed_send_variant(_STATUS_BASE[tag], s) for s in CLOSED_SEND_STATUSES)
            if profile is None:
                return variants
            statuses = [s for s in CLOSED_SEND_STATUSES if reacts_differently(profile, s, DEFAULT_CLOSED_SEND_STATUS)]
            return variants + tuple(closed_send_variant(_STATUS_BASE[tag], s) for s in statuses)
    return (DEFAULT,)


# A flag read more often than its unknown matters counts as consulted only when the run's timeline shows it mattered,
# keyed by (flag, the value the run gave it). The stream policy is read whenever an app is built and matters only once
# the stream went down. The conversation-updated callback is read at every conversation update, but what nobody knows
# is whether it fires when the *server closes* the conversation (sdk-versions.md §5 Q2): firing on an open
# conversation only tells the app "open", which changes nothing, so a run where the firing callback never told the
# app of a close would have run the same without it. A value not listed here counts at every read.
EXERCISED_BY: dict[tuple[str, CapabilityValue], tuple[str, ...]] = {
    ("realtime_reconnect", "none"): ("stream down",),
    ("realtime_reconnect", "backoff"): ("stream down", "reconnect attempt"),
    ("realtime_reconnect", "fibonacci"): ("stream down", "reconnect attempt"),
    ("conversation_updated_callback", True): ("(conversation-updated callback)",),
}


def consulted_unknowns(
    profile: SdkProfile | None, reads: Iterable[tuple[str, str]], notes: Sequence[str], fixed: Iterable[str] = ()
) -> list[Assumption]:
    """The open flags of `profile` that a run read (and exercised), with the value the run gave each.

    `fixed` names flags the run was forked on: they count even when this run did not read them again."""
    if profile is None:
        return []
    forced = set(fixed)
    read = {flag for name, flag in reads if name == profile.name} | forced
    out = []
    for flag in profile.open_flags():
        if flag not in read:
            continue
        cap = profile.capabilities[flag]
        shown_by = EXERCISED_BY.get((flag, cap.value))
        if shown_by and flag not in forced and not any(mark in note for note in notes for mark in shown_by):
            continue
        out.append(Assumption(profile.name, flag, cap.value, cap.evidence))
    return out


class ForkPlan:
    """Which SDK assumptions one cell runs under: its profile's own values first, then, for every unknown flag a run
    consulted, each other plausible value (combined with the assumptions of the run that consulted it).

    Stops early once a run is as bad as a verdict gets (`stop_at`): no other value can make the cell worse."""

    def __init__(self, profile: SdkProfile | None) -> None:
        self.axes = profile.open_flags() if profile is not None else {}
        self._queue: list[Assignment] = [()]
        self._seen: set[Assignment] = {()}
        self._done = False

    def next(self) -> Assignment | None:
        if self._done or not self._queue:
            return None
        return self._queue.pop(0)

    def ran(self, assignment: Assignment, consulted: Iterable[str], final: bool) -> None:
        """Record what the run under `assignment` consulted; `final` (e.g. blocked) ends the plan."""
        if final:
            self._done = True
            return
        given = dict(assignment)
        for flag in consulted:
            if flag in given or flag not in self.axes:
                continue
            for value in self.axes[flag][1:]:
                fork = tuple(sorted({**given, flag: value}.items()))
                if fork not in self._seen:
                    self._seen.add(fork)
                    self._queue.append(fork)
