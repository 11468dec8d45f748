"""Where a sandbox run points: the SCRT URL, org id, deployment, CA bundle and customer token, checked up front."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from harness.errors import UserError
from harness.wire.ids import is_valid_org_id

__all__ = [
    "ENV_CUSTOMER_JWT",
    "ENV_DEPLOYMENT",
    "ENV_ORG_ID",
    "ENV_SCRT_URL",
    "SandboxConfig",
    "is_loopback_host",
    "jwt_claims",
    "load_config",
    "ssl_context",
]

ENV_SCRT_URL = "MIAW_SCRT_URL"
ENV_ORG_ID = "MIAW_ORG_ID"
ENV_DEPLOYMENT = "MIAW_DEPLOYMENT"
ENV_CUSTOMER_JWT = "MIAW_CUSTOMER_JWT"

# An Embedded Service deployment API name: a letter, then letters, digits and single underscores.
_DEPLOYMENT_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
_MAX_DEPLOYMENT_NAME = 80


@dataclass(frozen=True)
class SandboxConfig:
    """A validated target. `customer_jwt` never appears in `repr` (it is a secret)."""

    scrt_url: str
    org_id: str
    deployment: str
    ca_bundle: Path | None = None
    customer_jwt: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return urlsplit(self.scrt_url).hostname or ""

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    def verify(self) -> ssl.SSLContext:
        """The TLS trust to use: the CA bundle when given, else the system's default trust store."""
        return ssl_context(self.ca_bundle)

    def describe(self) -> dict[str, str]:
        """The target as it may be printed (no secrets)."""
        return {
            "scrt_url": self.scrt_url,
            "org_id": self.org_id,
            "deployment": self.deployment,
            "ca_bundle": str(self.ca_bundle) if self.ca_bundle else "",
            "identity": "verified (customer identity token)" if self.customer_jwt else "anonymous",
        }


def ssl_context(ca_bundle: Path | str | None) -> ssl.SSLContext:
    """Trust `ca_bundle` when given, else the same public CAs httpx trusts by default (certifi)."""
    if ca_bundle is None:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        raise UserError(f"--ca-bundle {ca_bundle}: not a readable PEM certificate bundle ({exc})") from exc


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback addresses (the only hosts where plain http is accepted)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _pick(flag: str | None, env: Mapping[str, str], key: str) -> str | None:
    if flag is not None and flag.strip():
        return flag.strip()
    value = env.get(key, "").strip()
    return value or None


def _check_url(raw: str | None, flag: str = "--scrt-url") -> str:
    if raw is None:
        raise UserError(
            f"no SCRT URL: pass {flag} https://<MyDomain>.my.salesforce-scrt.com or set {ENV_SCRT_URL} "
            "(the Salesforce Messaging URL in the deployment's Code Snippet panel)"
        )
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{flag} {raw!r} is not an http(s) URL with a host, e.g. https://x.my.salesforce-scrt.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise UserError(f"{flag} {raw!r} must be a bare base URL (no user, query or fragment)")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UserError(
            f"{flag} {raw!r} uses http for the non-loopback host {parts.hostname}: a real org is reached over "
            "https only; use https://"
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise UserError(f"{flag} {raw!r}: {exc}") from exc
    return raw.rstrip("/")


def _check_org(raw: str | None) -> str:
    if raw is None:
        raise UserError(f"no org id: pass --org-id 00D... or set {ENV_ORG_ID} (Setup > Company Information)")
    if not is_valid_org_id(raw):
        raise UserError(
            f"--org-id {raw!r} is not a Salesforce org id: it has 15 or 18 letters and digits and starts with 00D "
            "(Setup > Company Information > Salesforce.com Organization ID)"
        )
    return raw


def _check_deployment(raw: str | None) -> str:
    if raw is None:
        raise UserError(
            f"no deployment: pass --deployment API_Name or set {ENV_DEPLOYMENT} "
            "(Setup > Embedded Service Deployments > the deployment's API Name)"
        )
    if len(raw) > _MAX_DEPLOYMENT_NAME or not _DEPLOYMENT_NAME.fullmatch(raw) or raw.endswith("_"):
        raise UserError(
            f"--deployment {raw!r} is not a deployment API name: letters, digits and single underscores, "
            "starting with a letter (Setup > Embedded Service Deployments > API Name)"
        )
    return raw


def _check_ca_bundle(raw: str | None) -> Path | None:
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise UserError(f"--ca-bundle {raw}: no such file (give the PEM file of the CA that signed the runtime's cert)")
    ssl_context(path)
    return path


def jwt_claims(token: str) -> dict[str, object]:
    """The claims of a JWT, read without checking its signature (only the runtime can check it)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise ValueError("not three dot-separated parts")
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    if not isinstance(claims, dict):
        raise ValueError("the payload is not a JSON object")
    return claims


def _check_customer_jwt(raw: str | None, now_s: float) -> str | None:
    if raw is None:
        return None
    try:
        claims = jwt_claims(raw)
    except (ValueError, UnicodeError) as exc:
        raise UserError(
            f"{ENV_CUSTOMER_JWT} is not a JWT ({exc}): set it to the customer identity token your app signs"
        ) from None
    exp = claims.get("exp")
    if exp is None:
        return raw
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise UserError(f"{ENV_CUSTOMER_JWT} has a non-numeric exp claim: mint a new customer identity token")
    try:
        when = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):  # NaN, infinities, or beyond the calendar
        raise UserError(
            f"{ENV_CUSTOMER_JWT} has an exp claim that is not a time ({exp!r}): mint a new customer identity token"
        ) from None
    if exp <= now_s:
        raise UserError(
            f"{ENV_CUSTOMER_JWT} expired at {when} (its exp claim): mint a fresh customer identity token and set "
            f"{ENV_CUSTOMER_JWT} again"
        )
    return raw


def load_config(
    *,
    scrt_url: str | None = None,
    org_id: str | None = None,
    deployment: str | None = None,
    ca_bundle: str | None = None,
    env: Mapping[str, str] | None = None,
    now_s: Callable[[], float] | None = None,
    url_flag: str = "--scrt-url",
) -> SandboxConfig:
    """Flags win over the environment; every problem is one `UserError` line saying what to fix.

    `now_s` is the wall clock, read only to judge the customer token's expiry (never stored or reported).
    """
    env = os.environ if env is None else env
    if now_s is None:
        import time

        now_s = time.time
    url = _check_url(_pick(scrt_url, env, ENV_SCRT_URL), url_flag)
    org = _check_org(_pick(org_id, env, ENV_ORG_ID))
    name = _check_deployment(_pick(deployment, env, ENV_DEPLOYMENT))
    bundle = _check_ca_bundle(ca_bundle)
    token = env.get(ENV_CUSTOMER_JWT, "").strip() or None
    return SandboxConfig(url, org, name, bundle, _check_customer_jwt(token, now_s()))
