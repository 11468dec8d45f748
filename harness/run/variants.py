"""Runtime variants: where the real runtime's behaviour is unknown, a closing scenario runs under each choice.

miaw-api.md §10 leaves open whether a Session-Based-Chat close also emits CONVERSATION_CLOSE_CONVERSATION (the SSE
doc says that event fires only for end-user closes) and whether the ~24 h auto-end of an inactive session counts as
a session end. A client passes a cell only if it passes under every variant; the report names the one that broke it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["DEFAULT", "VARIANTS_BY_TAG", "Variant", "variants_for"]


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


def variants_for(tags: Iterable[str]) -> tuple[Variant, ...]:
    tagset = set(tags)
    for tag, variants in VARIANTS_BY_TAG.items():
        if tag in tagset:
            return variants
    return (DEFAULT,)
