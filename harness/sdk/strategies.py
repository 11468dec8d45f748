"""App strategies: how the app around the SDK picks and keeps the conversation id, and handles a failed send."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.paths import fixtures_dir
from harness.sdk.datafile import DataFileError, load_cached, reject_unknown, require_bool, require_str, toml_files
from harness.sdk.profiles import PLATFORMS, SdkProfile


class IdPolicy(StrEnum):
    NEW_PER_LAUNCH = "new-per-launch"
    PERSIST_FOREVER = "persist-forever"
    PERSIST_UNTIL_CLOSED_EVENT = "persist-until-closed-event"
    PERSIST_UNTIL_PARTICIPANTS_ZERO = "persist-until-participants-zero"
    PICK_FIRST_FROM_LIST = "pick-first-from-list"
    PICK_FIRST_OPEN_FROM_LIST = "pick-first-open-from-list"
    WEB_STORAGE = "web-storage"


class FailedSendPolicy(StrEnum):
    RETRY_SAME = "retry-same"
    SHOW_ERROR = "show-error"
    START_NEW_CONVERSATION = "start-new-conversation"


_KEYS = (
    "name",
    "description",
    "id_policy",
    "on_failed_send",
    "new_conversation_button",
    "hide_end_chat",
    "platforms",
    "source",
)


@dataclass(frozen=True, slots=True)
class AppStrategy:
    name: str
    description: str
    id_policy: IdPolicy
    on_failed_send: FailedSendPolicy
    new_conversation_button: bool
    platforms: tuple[str, ...]
    source: str
    hide_end_chat: bool = False
    path: Path | None = None


def parse_strategy(path: Path, data: dict[str, Any]) -> AppStrategy:
    reject_unknown(path, data, _KEYS)
    platforms = data.get("platforms")
    if (
        not isinstance(platforms, list)
        or not platforms
        or not all(isinstance(p, str) and p in PLATFORMS for p in platforms)
    ):
        raise DataFileError(
            path, "platforms", f"got {platforms!r}; allowed: a non-empty list of {', '.join(PLATFORMS)}"
        )
    return AppStrategy(
        name=require_str(path, data, "name"),
        description=require_str(path, data, "description"),
        id_policy=IdPolicy(require_str(path, data, "id_policy", [p.value for p in IdPolicy])),
        on_failed_send=FailedSendPolicy(require_str(path, data, "on_failed_send", [p.value for p in FailedSendPolicy])),
        new_conversation_button=require_bool(path, data, "new_conversation_button"),
        platforms=tuple(platforms),
        source=require_str(path, data, "source"),
        hide_end_chat=require_bool(path, data, "hide_end_chat", default=False),
        path=path,
    )


def bundled_strategies_dir() -> Path:
    return fixtures_dir() / "apps"


def load_strategies(extra_dirs: Sequence[Path] = ()) -> list[AppStrategy]:
    """Bundled strategies plus those in `extra_dirs`, sorted by name; a later file with the same name wins."""
    by_name: dict[str, AppStrategy] = {}
    for path in toml_files([bundled_strategies_dir(), *extra_dirs]):
        strategy = load_cached(parse_strategy, path)
        by_name[strategy.name] = strategy
    return sorted(by_name.values(), key=lambda s: s.name)


def select_strategies(strategies: Sequence[AppStrategy], patterns: Sequence[str]) -> list[AppStrategy]:
    """Strategies whose name matches any of `patterns` (fnmatch), in the order of `strategies`."""
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(s.name, pattern) for s in strategies):
            names = ", ".join(s.name for s in strategies)
            raise UserError(f"no app strategy matches '{pattern}'; known strategies: {names}")
    return [s for s in strategies if any(fnmatch.fnmatchcase(s.name, pat) for pat in patterns)]


def compatible(profile: SdkProfile, strategy: AppStrategy) -> bool:
    """Whether an app written with `strategy` can embed the SDK of `profile` (mobile apps vs the web bootstrap)."""
    return profile.platform in strategy.platforms
