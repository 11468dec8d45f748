"""SDK profiles: one in-app SDK version (or the web client) as data, and the only place data becomes behaviour."""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from harness.errors import UserError
from harness.paths import fixtures_dir
from harness.sdk.datafile import DataFileError, load_cached, reject_unknown, require_str, toml_files

Evidence = Literal["documented", "inferred", "unknown", "pinned"]
EVIDENCE: tuple[Evidence, ...] = ("documented", "inferred", "unknown")  # what a profile file may say
PINNED: Evidence = "pinned"  # set by `--assume`: a team verified the value on a device
PLATFORMS: tuple[str, ...] = ("ios", "android", "web")

CapabilityValue = bool | str | int


@dataclass(frozen=True, slots=True)
class CapabilitySpec:
    """What one capability flag may hold; `choices` restricts a string flag."""

    kind: type[bool] | type[str] | type[int]
    meaning: str
    choices: tuple[str, ...] = ()
    # The values a flag may plausibly hold when its evidence is "unknown": the variant axis it opens. Empty: the
    # unknown is a parameter no verdict turns on (a delay, a count, a text), so the profile's value is assumed.
    open_values: tuple[CapabilityValue, ...] = ()
    # How the report words "the flag holds this value", e.g. "the conversation-updated callback fires on a close".
    wording: Mapping[CapabilityValue, str] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

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

    def parse(self, text: str) -> CapabilityValue:
        """A value given on the command line (`--assume`), checked against the flag's type; ValueError if not."""
        if self.kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise ValueError(f"got {text!r}; allowed: {self.describe()}")
            return lowered == "true"
        if self.kind is int:
            if not text.strip().isdigit():
                raise ValueError(f"got {text!r}; allowed: {self.describe()}")
            return int(text)
        if not self.accepts(text):
            raise ValueError(f"got {text!r}; allowed: {self.describe()}")
        return text

    def axis_values(self) -> tuple[CapabilityValue, ...]:
        """The plausible values of this flag when nobody knows which one holds (empty: not a variant axis)."""
        if self.open_values:
            return self.open_values
        if self.kind is bool:
            return (True, False)
        return self.choices

    def words(self, name: str, value: CapabilityValue) -> str:
        """The assumption "`name` holds `value`" in words, for the report."""
        if value in self.wording:
            return self.wording[value]
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        return f"{name} is {shown}"


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
            str,
            "B11: what the stream does after a drop",
            ("none", "backoff", "fibonacci"),
            open_values=("none", "backoff"),
            wording=MappingProxyType(
                {
                    "none": "the event stream is not reopened after a drop",
                    "backoff": "the event stream reconnects with backoff after a drop",
                    "fibonacci": "the event stream reconnects with Fibonacci backoff after a drop",
                }
            ),
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
        "conversation_updated_callback": CapabilitySpec(
            bool,
            "the SDK re-reads the conversation and tells the app",
            open_values=(True, False),
            wording=MappingProxyType(
                {
                    True: "the conversation-updated callback fires when the server closes the conversation",
                    False: "the conversation-updated callback does not fire when the server closes the conversation",
                }
            ),
        ),
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


class _Reads:
    """Which (profile, flag) pairs behaviour read while a recorder was open: a run forks only on flags it consulted.

    The app runs on another thread than the one that opens the recorder (the suite's event-loop portal), so this is
    a lock-guarded registry rather than a context variable; one scenario runs at a time per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[set[tuple[str, str]]] = []

    def note(self, profile: str, flag: str) -> None:
        with self._lock:
            for reads in self._open:
                reads.add((profile, flag))

    def current(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._open[-1]) if self._open else set()

    @contextmanager
    def recording(self) -> Iterator[set[tuple[str, str]]]:
        reads: set[tuple[str, str]] = set()
        with self._lock:
            self._open.append(reads)
        try:
            yield reads
        finally:
            with self._lock:
                self._open.remove(reads)


_READS = _Reads()


def recording_reads() -> Any:
    """`with recording_reads() as reads:` collects every `(profile name, flag)` that `SdkProfile.flag` returned."""
    return _READS.recording()


def current_reads() -> set[tuple[str, str]]:
    """The reads of the innermost open recorder so far (empty when none is open)."""
    return _READS.current()


# When a fork gives a flag another value, flags that only mean something with it follow (sdk-versions.md §5 Q9: the
# reconnect delays of the SDKs are undocumented; a legacy profile that "does not reconnect" lists zeros for them, and
# the values assumed for the later iOS profiles, the web sample's, stand in when it does).
COMPANIONS: Mapping[tuple[str, CapabilityValue], Mapping[str, CapabilityValue]] = MappingProxyType(
    {
        ("realtime_reconnect", "backoff"): MappingProxyType(
            {"reconnect_base_ms": 1000, "reconnect_cap_ms": 30000, "reconnect_max_attempts": 10}
        ),
    }
)


@dataclass(frozen=True, slots=True)
class Assumption:
    """One value an unknown (or pinned) flag is run under: `ios-1.9.conversation_updated_callback=false`."""

    profile: str
    flag: str
    value: CapabilityValue
    evidence: Evidence

    @property
    def text(self) -> str:
        shown = str(self.value).lower() if isinstance(self.value, bool) else str(self.value)
        return f"{self.profile}.{self.flag}={shown}"

    @property
    def words(self) -> str:
        """ "the conversation-updated callback does not fire ... (ios-1.9, unknown)": how the report names it."""
        return f"{CAPABILITIES[self.flag].words(self.flag, self.value)} ({self.profile}, {self.evidence})"

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "flag": self.flag,
            "value": self.value,
            "evidence": self.evidence,
            "words": CAPABILITIES[self.flag].words(self.flag, self.value),
        }


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
        """The value of capability `name`: the only way behaviour reads a profile (and every read is noted)."""
        try:
            value = self.capabilities[name].value
        except KeyError:
            raise KeyError(f"profile {self.name} has no capability '{name}'") from None
        _READS.note(self.name, name)
        return value

    def open_flags(self) -> dict[str, tuple[CapabilityValue, ...]]:
        """Every flag nobody knows the value of, with its plausible values, the profile's own value first."""
        out: dict[str, tuple[CapabilityValue, ...]] = {}
        for name, cap in self.capabilities.items():
            if cap.evidence != "unknown":
                continue
            values = CAPABILITIES[name].axis_values()
            if len(values) > 1 or (values and values[0] != cap.value):
                out[name] = (cap.value, *(v for v in values if v != cap.value))
        return out

    def assumed_flags(self) -> dict[str, CapabilityValue]:
        """Unknown flags that open no axis (a delay, a count, a text): the profile's value is simply assumed."""
        axes = self.open_flags()
        return {n: c.value for n, c in self.capabilities.items() if c.evidence == "unknown" and n not in axes}

    def assume(self, name: str, value: CapabilityValue) -> SdkProfile:
        """This profile run under another plausible value of an unknown flag (and the companions that value needs)."""
        profile = self.with_value(name, value, note=f"variant {name}={value}")
        for companion, default in COMPANIONS.get((name, value), {}).items():
            if not profile.capabilities[companion].value:
                profile = profile.with_value(companion, default, note=f"companion of {name}={value}")
        return profile

    def with_value(
        self, name: str, value: CapabilityValue, evidence: Evidence | None = None, note: str = ""
    ) -> SdkProfile:
        """This profile with `name` set to `value` (evidence kept unless given: "pinned" for a team's pin)."""
        cap = self.capabilities[name]
        source = f"{note}; was {cap.evidence}: {cap.source}" if note else cap.source
        changed = Capability(value=value, evidence=evidence or cap.evidence, source=source)
        caps = {key: (changed if key == name else old) for key, old in self.capabilities.items()}
        return dataclasses.replace(self, capabilities=MappingProxyType(caps))

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


# -- pins: a behaviour a team verified on a device (`--assume PROFILE.FLAG=VALUE`) -----------------------------------

_PIN = re.compile(r"^\s*(?P<profile>[^=\s]+)\.(?P<flag>[a-z_][a-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")


def parse_pin(text: str) -> tuple[str, str, str]:
    """`ios-1.9.conversation_updated_callback=true` -> ("ios-1.9", "conversation_updated_callback", "true")."""
    match = _PIN.match(text)
    if match is None or not match["value"]:
        raise UserError(
            f"--assume {text!r}: expected PROFILE.FLAG=VALUE, e.g. ios-1.9.conversation_updated_callback=true"
        )
    return match["profile"], match["flag"], match["value"]


def pins_from_file(path: Path) -> list[str]:
    """The pins of an assumptions file: one table per profile, `flag = value` inside it.

    ["ios-1.9"]
    conversation_updated_callback = true
    """
    from harness.sdk.datafile import read_toml

    data = read_toml(path)
    pins: list[str] = []
    for profile, table in data.items():
        if not isinstance(table, dict):
            raise DataFileError(path, profile, 'must be a table of flags, e.g. ["ios-1.9"] then flag = true')
        for flag, value in table.items():
            spec = CAPABILITIES.get(flag)
            if spec is None:
                known = ", ".join(CAPABILITIES)
                raise DataFileError(path, f"{profile}.{flag}", f"unknown capability; allowed: {known}")
            if not spec.accepts(value):
                raise DataFileError(path, f"{profile}.{flag}", f"got {value!r}; allowed: {spec.describe()}")
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            pins.append(f"{profile}.{flag}={shown}")
    return pins


def apply_pins(profiles: Sequence[SdkProfile], pins: Sequence[str]) -> list[SdkProfile]:
    """`profiles` with each pin's flag fixed to its value (evidence "pinned": no variant axis). A pin naming an
    unknown profile or flag, or a value of the wrong type, is a user error."""
    by_name = {p.name: p for p in profiles}
    for text in pins:
        name, flag, raw = parse_pin(text)
        profile = by_name.get(name)
        if profile is None:
            known = ", ".join(by_name) or "none"
            raise UserError(f"--assume {text}: no SDK profile '{name}'; known profiles: {known}")
        spec = CAPABILITIES.get(flag)
        if spec is None:
            raise UserError(f"--assume {text}: no capability '{flag}'; known: {', '.join(CAPABILITIES)}")
        try:
            value = spec.parse(raw)
        except ValueError as exc:
            raise UserError(f"--assume {text}: {flag} {exc}") from None
        by_name[name] = profile.with_value(flag, value, PINNED, f"pinned by --assume {text}")
    return [by_name[p.name] for p in profiles]


def pins_of(profiles: Sequence[SdkProfile]) -> list[Assumption]:
    """Every pinned flag of `profiles`, for the report header."""
    return [
        Assumption(p.name, name, cap.value, PINNED)
        for p in profiles
        for name, cap in p.capabilities.items()
        if cap.evidence == PINNED
    ]
