"""SDK profiles: one in-app SDK version (or the web client) as data, and the only place data becomes behaviour."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from harness.errors import UserError
from harness.paths import fixtures_dir
from harness.sdk.datafile import DataFileError, load_cached, reject_unknown, require_str, toml_files

Evidence = Literal["documented", "inferred", "unknown"]
EVIDENCE: tuple[Evidence, ...] = ("documented", "inferred", "unknown")
PLATFORMS: tuple[str, ...] = ("ios", "android", "web")

CapabilityValue = bool | str | int


@dataclass(frozen=True, slots=True)
class CapabilitySpec:
    """What one capability flag may hold; `choices` restricts a string flag."""

    kind: type[bool] | type[str] | type[int]
    meaning: str
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return {bool: "true or false", str: "a string", int: "an integer >= 0"}[self.kind]

    def accepts(self, value: object) -> bool:
        if self.kind is bool:
            return isinstance(value, bool)
        if self.kind is int:
            return isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return isinstance(value, str) and (not self.choices or value in self.choices)


# harness.sdk.refusal.Reaction; the client core renews its token on every 401 (so 401 is never a plain failure).
_REFUSALS = ("treat_as_closed", "generic_failure")
_REFUSALS_401 = ("renew_and_retry", "treat_as_closed")

# The behaviour columns of sdk-versions.md §4.1 (B1..B12) plus the parameters the simulator needs.
CAPABILITIES: Mapping[str, CapabilitySpec] = MappingProxyType(
    {
        "exposes_conversation_status": CapabilitySpec(bool, "B1: the app can read open/closed status"),
        "typed_close_entry": CapabilitySpec(bool, "B2: a typed CloseConversation entry reaches the app"),
        "session_status_entries": CapabilitySpec(bool, "B3: typed SessionStatusChanged entries reach the app"),
        "readonly_closed_view": CapabilitySpec(bool, "B4: the default UI turns read-only once closed"),
        "auto_new_conversation": CapabilitySpec(bool, "B5: the default UI rolls over to a new conversation"),
        "create_conversation_api": CapabilitySpec(
            str, "B6: when the conversation is created", ("on_first_send", "explicit")
        ),
        "end_chat": CapabilitySpec(bool, "B7: End Chat (endSession) API and menu item"),
        "hide_end_chat": CapabilitySpec(bool, "B8: the End Chat item can be hidden by configuration"),
        "close_conversation_api": CapabilitySpec(bool, "B9: closeConversation API"),
        "sdk_persists_conversation_id": CapabilitySpec(bool, "B10: the SDK itself remembers the conversation id"),
        "realtime_reconnect": CapabilitySpec(
            str, "B11: what the stream does after a drop", ("none", "backoff", "fibonacci")
        ),
        "reconnect_base_ms": CapabilitySpec(int, "first reconnect delay"),
        "reconnect_cap_ms": CapabilitySpec(int, "longest reconnect delay"),
        "reconnect_max_attempts": CapabilitySpec(int, "reconnect attempts before giving up"),
        "closed_send_ui": CapabilitySpec(
            str,
            "B12: what the user gets when sending on a closed conversation",
            ("entry_error", "no_input", "disabled"),
        ),
        "closed_banner": CapabilitySpec(str, "text of the closed view (empty: none)"),
        "conversation_updated_callback": CapabilitySpec(bool, "the SDK re-reads the conversation and tells the app"),
        "list_conversations": CapabilitySpec(bool, "the SDK can list the user's conversations remotely"),
        "unknown_entries": CapabilitySpec(
            str, "what happens to an entry type the SDK predates", ("unknown_entry", "dropped")
        ),
        "rest_api": CapabilitySpec(
            str, "the REST API the client calls: v1 (Web and In-App deployments) or v2 (API deployments)", ("v1", "v2")
        ),
        # What the SDK does when a send is refused with that status (harness/sdk/refusal.py).
        "send_refusal_400": CapabilitySpec(str, "a send refused with 400", _REFUSALS),
        "send_refusal_401": CapabilitySpec(str, "a send refused with 401", _REFUSALS_401),
        "send_refusal_403": CapabilitySpec(str, "a send refused with 403", _REFUSALS),
    }
)

_VERSION = re.compile(r"^\d+(?:\.\d+){0,3}$")
_PROFILE_KEYS = ("name", "platform", "version", "release_date", "description", "capabilities")


@dataclass(frozen=True, slots=True)
class Capability:
    value: CapabilityValue
    evidence: Evidence
    source: str


@dataclass(frozen=True, slots=True)
class SdkProfile:
    name: str
    platform: str
    version: str
    release_date: str
    capabilities: Mapping[str, Capability]
    description: str = ""
    path: Path | None = None

    def flag(self, name: str) -> CapabilityValue:
        """The value of capability `name`: the only way behaviour reads a profile."""
        try:
            return self.capabilities[name].value
        except KeyError:
            raise KeyError(f"profile {self.name} has no capability '{name}'") from None

    @property
    def version_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


def _capability(path: Path, name: str, raw: object) -> Capability:
    spec = CAPABILITIES.get(name)
    if spec is None:
        raise DataFileError(path, f"capabilities.{name}", "unknown capability; allowed: " + ", ".join(CAPABILITIES))
    key = f"capabilities.{name}"
    if not isinstance(raw, dict):
        raise DataFileError(path, key, "must be a table { value = ..., evidence = ..., source = ... }")
    data = cast(dict[str, Any], raw)
    reject_unknown(path, data, ("value", "evidence", "source"), where=f"{key}.")
    if "value" not in data or not spec.accepts(data["value"]):
        raise DataFileError(path, f"{key}.value", f"got {data.get('value')!r}; allowed: {spec.describe()}")
    evidence = require_str(path, data, "evidence", EVIDENCE) if "evidence" in data else None
    if evidence is None:
        raise DataFileError(path, f"{key}.evidence", "required; allowed: " + ", ".join(EVIDENCE))
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise DataFileError(path, f"{key}.source", "required, a non-empty string naming where the fact comes from")
    return Capability(value=cast(CapabilityValue, data["value"]), evidence=cast(Evidence, evidence), source=source)


def parse_profile(path: Path, data: dict[str, Any]) -> SdkProfile:
    reject_unknown(path, data, _PROFILE_KEYS)
    name = require_str(path, data, "name")
    platform = require_str(path, data, "platform", PLATFORMS)
    version = require_str(path, data, "version")
    if not _VERSION.fullmatch(version):
        raise DataFileError(path, "version", f"'{version}' is not allowed; allowed: dotted numbers such as 1.10.0")
    raw_date = data.get("release_date")
    if isinstance(raw_date, dt.date):
        release_date = raw_date.isoformat()
    else:
        release_date = require_str(path, data, "release_date")
        try:
            dt.date.fromisoformat(release_date)
        except ValueError:
            raise DataFileError(path, "release_date", f"'{release_date}' is not an ISO date (YYYY-MM-DD)") from None
    description = data.get("description", "")
    if not isinstance(description, str):
        raise DataFileError(path, "description", "must be a string")
    raw_caps = data.get("capabilities")
    if not isinstance(raw_caps, dict):
        raise DataFileError(path, "capabilities", "required table; allowed keys: " + ", ".join(CAPABILITIES))
    caps = {key: _capability(path, key, raw) for key, raw in raw_caps.items()}
    missing = [key for key in CAPABILITIES if key not in caps]
    if missing:
        raise DataFileError(path, f"capabilities.{missing[0]}", f"missing; {CAPABILITIES[missing[0]].meaning}")
    ordered = {key: caps[key] for key in CAPABILITIES}
    return SdkProfile(
        name=name,
        platform=platform,
        version=version,
        release_date=release_date,
        capabilities=MappingProxyType(ordered),
        description=description,
        path=path,
    )


def bundled_profiles_dir() -> Path:
    return fixtures_dir() / "sdk"


def load_profiles(extra_dirs: Sequence[Path] = ()) -> list[SdkProfile]:
    """Bundled profiles plus those in `extra_dirs`; a later file with the same name replaces an earlier one."""
    by_name: dict[str, SdkProfile] = {}
    for path in toml_files([bundled_profiles_dir(), *extra_dirs]):
        profile = load_cached(parse_profile, path)
        by_name[profile.name] = profile
    return sorted(by_name.values(), key=lambda p: (p.platform, p.version_key, p.name))


def select_profiles(profiles: Sequence[SdkProfile], patterns: Sequence[str]) -> list[SdkProfile]:
    """Profiles whose name matches any of `patterns` (fnmatch), in the order of `profiles`."""
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(p.name, pattern) for p in profiles):
            names = ", ".join(p.name for p in profiles)
            raise UserError(f"no SDK profile matches '{pattern}'; known profiles: {names}")
    return [p for p in profiles if any(fnmatch.fnmatchcase(p.name, pat) for pat in patterns)]
