"""Runtime configuration: the org, its deployments' channel settings, keys; loaded from defaults or TOML."""

from __future__ import annotations

import dataclasses
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.server.clock import DEFAULT_START_MS
from harness.server.fidelity import FidelityError, FidelitySettings
from harness.server.retention import DEFAULT_MAX_CLOSED, DEFAULT_TTL_S
from harness.wire.ids import is_valid_org_id

DEFAULT_ORG_ID = "00DHA0000001HRNAAA"
DEFAULT_DEPLOYMENT = "MIAW_Harness"  # API type: what v2 (custom clients) serves
DEFAULT_IN_APP_DEPLOYMENT = "MIAW_Harness_InApp"  # In-App type: what v1 (the Salesforce SDKs) serves

SBC_CHANNEL_TYPES = ("EmbeddedInApp", "EmbeddedWeb")
CHANNEL_TYPES = (
    *SBC_CHANNEL_TYPES,
    "WhatsApp",
    "SMS",
    "FacebookMessenger",
    "AppleMessagesForBusiness",
    "LINE",
    "BringYourOwnChannel",
)
PRECHAT_DISPLAYS = ("none", "Conversation", "Session")
PRECHAT_FIELD_TYPES = ("Text", "Email", "Number", "Phone", "Checkbox", "ChoiceList")
AUTO_ACCEPT_ROLES = ("Agent", "Chatbot")
DEPLOYMENT_TYPES = ("API", "Web", "InApp")


class SettingsError(ValueError):
    """Invalid deployment settings; `key` names the offending setting."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


class ConfigError(UserError):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class DeploymentSettings:
    """One deployment's channel settings (a saved or a published copy)."""

    channel_type: str = "EmbeddedInApp"
    deployment_type: str = "API"  # v2 serves API deployments, v1 serves Web and InApp ones (miaw-api.md §11.8)
    session_based_chat: bool = False
    user_verification: bool = False
    opt_out_keywords: list[str] = field(default_factory=list)
    prechat_display: str = "none"
    prechat_fields: list[dict[str, Any]] = field(default_factory=list)
    inactivity_timeout_s: int = 600
    inactive_auto_end_s: int = 86_400
    token_ttl_s: int = 3600
    emit_close_event_on_sbc_end: bool = False  # §11.2: an agent-side end does not reliably send the close event
    closed_send_status: int = 403  # §11.1: the leading inference from a live integration (was §9's 400)
    auto_end_closes_conversation: bool = True
    duplicate_conversation_status: int = 409
    auto_accept: str | None = "Agent"
    greeting: str | None = None
    sse_ping_interval_s: int = 15

    def to_json(self) -> dict[str, Any]:
        return {f.name: _copy(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def updated(self, changes: Mapping[str, Any]) -> DeploymentSettings:
        """A copy with `changes` applied; raises SettingsError naming the first bad key (self is unchanged)."""
        values: dict[str, Any] = {}
        for key, raw in changes.items():
            check = _CHECKS.get(key)
            if check is None:
                known = ", ".join(sorted(_CHECKS))
                raise SettingsError(key, f"unknown setting (known settings: {known})")
            values[key] = check(key, raw)
        result = dataclasses.replace(self, **values)
        result.validate()
        return result

    def validate(self) -> None:
        """Cross-setting rules of the Session-Based Chat article."""
        if self.session_based_chat and self.user_verification:
            raise SettingsError(
                "session_based_chat",
                "Session-Based Chat can't be enabled for verified users: turn off user_verification first",
            )
        if self.session_based_chat and self.channel_type not in SBC_CHANNEL_TYPES:
            raise SettingsError(
                "session_based_chat",
                f"Session-Based Chat applies only to Enhanced In-App and Enhanced Web Chat channels "
                f"({', '.join(SBC_CHANNEL_TYPES)}), not to channel type {self.channel_type}",
            )


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    return value


def _bool(key: str, raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise SettingsError(key, f"must be true or false, got {raw!r}")
    return raw


def _int_between(low: int, high: int | None) -> Callable[[str, Any], int]:
    def check(key: str, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise SettingsError(key, f"must be an integer, got {raw!r}")
        if raw < low or (high is not None and raw > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SettingsError(key, f"must be {bound}, got {raw}")
        return raw

    return check


def _choice(options: tuple[str, ...], *, nullable: bool = False) -> Callable[[str, Any], str | None]:
    def check(key: str, raw: Any) -> str | None:
        if nullable and (raw is None or raw == "none"):
            return None
        if raw not in options:
            allowed = ", ".join(options) + (", none" if nullable else "")
            raise SettingsError(key, f"must be one of {allowed}, got {raw!r}")
        return str(raw)

    return check


def _optional_text(key: str, raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise SettingsError(key, f"must be a string, got {raw!r}")
    return raw


def _keywords(key: str, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(k, str) and k.strip() for k in raw):
        raise SettingsError(key, f"must be a list of non-empty strings, got {raw!r}")
    return [k.strip() for k in raw]


def _prechat_fields(key: str, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise SettingsError(key, f"must be a list of fields, got {raw!r}")
    fields: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise SettingsError(where, f"must be a table/object, got {item!r}")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise SettingsError(f"{where}.name", "must be a non-empty string")
        ftype = item.get("type", "Text")
        if ftype not in PRECHAT_FIELD_TYPES:
            raise SettingsError(f"{where}.type", f"must be one of {', '.join(PRECHAT_FIELD_TYPES)}, got {ftype!r}")
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise SettingsError(f"{where}.required", f"must be true or false, got {required!r}")
        fields.append({"name": name, "type": ftype, "required": required, "order": i + 1})
    return fields


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "channel_type": _choice(CHANNEL_TYPES),
    "deployment_type": _choice(DEPLOYMENT_TYPES),
    "session_based_chat": _bool,
    "user_verification": _bool,
    "opt_out_keywords": _keywords,
    "prechat_display": _choice(PRECHAT_DISPLAYS),
    "prechat_fields": _prechat_fields,
    "inactivity_timeout_s": _int_between(300, 1800),
    "inactive_auto_end_s": _int_between(1, None),
    "token_ttl_s": _int_between(1, None),
    "emit_close_event_on_sbc_end": _bool,
    "closed_send_status": _int_between(400, 499),
    "auto_end_closes_conversation": _bool,
    "duplicate_conversation_status": _int_between(400, 499),
    "auto_accept": _choice(AUTO_ACCEPT_ROLES, nullable=True),
    "greeting": _optional_text,
    "sse_ping_interval_s": _int_between(1, 3600),
}

SETTING_NAMES: tuple[str, ...] = tuple(_CHECKS)


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything a runtime starts from. Deployments listed here start out published (saved == published)."""

    org_id: str = DEFAULT_ORG_ID
    deployments: dict[str, DeploymentSettings] = field(
        default_factory=lambda: {
            DEFAULT_DEPLOYMENT: DeploymentSettings(),
            DEFAULT_IN_APP_DEPLOYMENT: DeploymentSettings(deployment_type="InApp"),
        }
    )
    signing_key: str = field(default_factory=lambda: secrets.token_hex(32))
    identity_key: str | None = None  # shared secret (HS256) or PEM public key (RS256) for customer identity tokens
    identity_keyset: str = "harness"
    clock_start_ms: int = DEFAULT_START_MS
    max_body_bytes: int = 65_536
    fidelity: FidelitySettings = field(default_factory=FidelitySettings)
    retention_ttl_s: int = DEFAULT_TTL_S  # closed conversations are forgotten this long (virtual time) after closing
    retention_max_closed: int = DEFAULT_MAX_CLOSED  # ... or once more than this many closed ones are kept

    @classmethod
    def default(cls) -> ServerConfig:
        return cls()

    def with_fidelity(self, **changes: Any) -> ServerConfig:
        """A copy with fidelity settings changed (e.g. `serve --clock wall`); raises ConfigError naming the key."""
        try:
            return dataclasses.replace(self, fidelity=self.fidelity.updated(changes))
        except FidelityError as exc:
            raise ConfigError(f"fidelity.{exc}") from exc

    @property
    def default_deployment(self) -> str:
        return next(iter(self.deployments))

    @classmethod
    def from_toml(cls, path: str | Path) -> ServerConfig:
        """Load `path`; every error names the file and the key."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<config>") -> ServerConfig:
        known = {
            "org_id",
            "deployments",
            "signing_key",
            "identity_key",
            "identity_keyset",
            "clock_start_ms",
            "fidelity",
            "retention_ttl_s",
            "retention_max_closed",
        }
        for key in data:
            if key not in known:
                raise ConfigError(f"{source}: {key}: unknown key (known keys: {', '.join(sorted(known))})")
        kwargs: dict[str, Any] = {}
        org_id = data.get("org_id", DEFAULT_ORG_ID)
        if not is_valid_org_id(org_id):
            raise ConfigError(f"{source}: org_id: not a 15- or 18-character org id starting with 00D: {org_id!r}")
        kwargs["org_id"] = org_id
        for key in ("signing_key", "identity_key", "identity_keyset"):
            if key in data:
                if not isinstance(data[key], str) or not data[key]:
                    raise ConfigError(f"{source}: {key}: must be a non-empty string")
                kwargs[key] = data[key]
        if "clock_start_ms" in data:
            start = data["clock_start_ms"]
            if isinstance(start, bool) or not isinstance(start, int) or start < 0:
                raise ConfigError(f"{source}: clock_start_ms: must be a non-negative integer (epoch ms)")
            kwargs["clock_start_ms"] = start
        if "fidelity" in data:
            raw_fidelity = data["fidelity"]
            if not isinstance(raw_fidelity, dict):
                raise ConfigError(f"{source}: fidelity: must be a table")
            try:
                kwargs["fidelity"] = FidelitySettings().updated(raw_fidelity)
            except FidelityError as exc:
                raise ConfigError(f"{source}: fidelity.{exc}") from exc
        for key in ("retention_ttl_s", "retention_max_closed"):
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ConfigError(f"{source}: {key}: must be a positive integer")
                kwargs[key] = value
        raw_deployments = data.get("deployments", {DEFAULT_DEPLOYMENT: {}})
        if not isinstance(raw_deployments, dict) or not raw_deployments:
            raise ConfigError(f"{source}: deployments: must be a table with at least one [deployments.<name>]")
        deployments: dict[str, DeploymentSettings] = {}
        for name, raw in raw_deployments.items():
            if not isinstance(raw, dict):
                raise ConfigError(f"{source}: deployments.{name}: must be a table")
            try:
                deployments[name] = DeploymentSettings().updated(raw)
            except SettingsError as exc:
                raise ConfigError(f"{source}: deployments.{name}.{exc}") from exc
        kwargs["deployments"] = deployments
        return cls(**kwargs)
