"""Runtime-wide fidelity settings: the behaviours of the real runtime that live integrations showed (§11).

Per-deployment channel settings live in `DeploymentSettings`; these apply to the whole runtime (one org). Each one is
listed, with its evidence, in `harness.server.behaviours`, from which docs/fidelity.md is generated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

X_ORG_ID_RULES = ("exact", "first-15")
CLOCK_MODES = ("frozen", "wall")


class FidelityError(ValueError):
    """A bad fidelity setting; `key` names it."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True, slots=True)
class FidelitySettings:
    """How closely the runtime copies observed behaviour where a choice exists."""

    x_org_id_rule: str = "exact"
    rate_limits: bool | None = None  # None: on in the sandbox-like mode (no control API), off otherwise
    rate_tokens_per_min: int = 200
    rate_continuations_per_min: int = 200
    rate_conversation_starts: int = 3
    rate_conversation_window_s: int = 30
    rate_messages_per_min: int = 22
    clock: str = "frozen"
    sse_replay_without_last_event_id: bool = True

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def updated(self, changes: Mapping[str, Any]) -> FidelitySettings:
        values: dict[str, Any] = {}
        for key, raw in changes.items():
            check = _CHECKS.get(key)
            if check is None:
                raise FidelityError(key, f"unknown setting (known settings: {', '.join(sorted(_CHECKS))})")
            values[key] = check(key, raw)
        return dataclasses.replace(self, **values)

    def rate_limits_on(self, *, sandbox_like: bool) -> bool:
        return sandbox_like if self.rate_limits is None else self.rate_limits


def _choice(options: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(key: str, raw: Any) -> str:
        if raw not in options:
            raise FidelityError(key, f"must be one of {', '.join(options)}, got {raw!r}")
        return str(raw)

    return check


def _positive(key: str, raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise FidelityError(key, f"must be a positive integer, got {raw!r}")
    return raw


def _bool(key: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise FidelityError(key, f"must be true or false, got {raw!r}")
    return raw


def _optional_bool(key: str, raw: Any) -> bool | None:
    if raw is None or raw == "auto":
        return None
    if not isinstance(raw, bool):
        raise FidelityError(key, f'must be true, false or "auto", got {raw!r}')
    return raw


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "x_org_id_rule": _choice(X_ORG_ID_RULES),
    "rate_limits": _optional_bool,
    "rate_tokens_per_min": _positive,
    "rate_continuations_per_min": _positive,
    "rate_conversation_starts": _positive,
    "rate_conversation_window_s": _positive,
    "rate_messages_per_min": _positive,
    "clock": _choice(CLOCK_MODES),
    "sse_replay_without_last_event_id": _bool,
}

FIDELITY_SETTING_NAMES: tuple[str, ...] = tuple(_CHECKS)
