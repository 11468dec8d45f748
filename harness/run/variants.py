"""Runtime variants: where the real runtime's behaviour is unknown, a closing scenario runs under each choice.

miaw-api.md §10 leaves open whether a Session-Based-Chat close also emits CONVERSATION_CLOSE_CONVERSATION (the SSE
doc says that event fires only for end-user closes) and whether the ~24 h auto-end of an inactive session counts as
a session end. A client passes a cell only if it passes under every variant; the report names the one that broke it.

The status of a send to a closed conversation is open too (§10 q1; §11.1 leads to 403, the default). A scenario
that closes a conversation also runs with 400 and with 401 for each SDK profile that reacts to that status
differently from 403 (its `send_refusal_*` flags, harness/sdk/refusal.py): where the SDK does the same thing, the
run could not differ, so it is not made. The status runs build on the variant where clients do send into the closed
conversation (no close event under Session-Based Chat; the auto-end that closes it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from harness.sdk.profiles import SdkProfile
from harness.sdk.refusal import reacts_differently
from harness.server.config import DeploymentSettings

__all__ = ["CLOSED_SEND_STATUSES", "DEFAULT", "VARIANTS_BY_TAG", "Variant", "closed_send_variant", "variants_for"]


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


def variants_for(tags: Iterable[str], profile: SdkProfile | None = None) -> tuple[Variant, ...]:
    """The variants a scenario with `tags` runs under; with a `profile`, also the closed-send statuses it reacts to
    differently from the default one."""
    tagset = set(tags)
    for tag, variants in VARIANTS_BY_TAG.items():
        if tag in tagset:
            if profile is None:
                return variants
            statuses = [s for s in CLOSED_SEND_STATUSES if reacts_differently(profile, s, DEFAULT_CLOSED_SEND_STATUS)]
            return variants + tuple(closed_send_variant(_STATUS_BASE[tag], s) for s in statuses)
    return (DEFAULT,)
