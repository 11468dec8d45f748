"""`validate`'s preflight: reachability, token issuance, deployment config, the Session-Based Chat probe, a verdict.

Every finding is a `Check`; what to change in Setup is a `fix`. Problems with the user's input (an unreachable
URL, an untrusted certificate, an unknown deployment or org, a rejected customer token) stop the preflight as a
one-line `UserError`; everything after a token was issued is reported as findings.
"""

from __future__ import annotations

import random
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.errors import UserError
from harness.sandbox.budget import CLEANUP_RESERVE, Budget, BudgetExceeded, guarded_client
from harness.sandbox.cleanup import Cleanup, CleanupReport
from harness.sandbox.config import SandboxConfig
from harness.sandbox.probe import ProbeResult, SbcState, probe_session_based_chat
from harness.sandbox.redact import Redactor
from harness.sandbox.waiter import Waiter
from harness.sdk.core import API, ApiError, CoreClient
from harness.timeline import Timeline

__all__ = ["EXPECTATIONS", "Check", "Validation", "new_core", "preflight", "probe_rng", "run_validation"]

EXPECTATIONS = ("any", "on", "off")
CONFIG_PATH = "/embeddedservice/v1/embedded-service-config"
SETUP_FIX = (
    "in Setup > Messaging Settings, edit the deployment's messaging channel, in the Session-Based Chat section "
    "select End chat when session ends, save, then in Embedded Service Deployment Settings click Publish"
)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail"
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Validation:
    target: dict[str, str]
    checks: list[Check] = field(default_factory=list)
    deployment: dict[str, Any] = field(default_factory=dict)
    probe: ProbeResult | None = None
    expect: str = "any"
    summary: str = ""
    fixes: list[str] = field(default_factory=list)
    cleanup: CleanupReport = field(default_factory=CleanupReport)
    requests: int = 0

    def add(self, name: str, status: str, detail: str) -> None:
        self.checks.append(Check(name, status, detail))

    @property
    def session_based_chat(self) -> SbcState:
        return self.probe.state if self.probe is not None else SbcState.UNKNOWN

    @property
    def ok(self) -> bool:
        """Reachable and consistent (and as expected, when an expectation was given), with nothing left open."""
        return not any(c.status == "fail" for c in self.checks) and not self.cleanup.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "target": dict(self.target),
            "ok": self.ok,
            "sessionBasedChat": self.session_based_chat.value,
            "expect": self.expect,
            "summary": self.summary,
            "checks": [c.to_json() for c in self.checks],
            "deployment": dict(self.deployment),
            "probe": self.probe.to_json() if self.probe is not None else None,
            "fixes": list(self.fixes),
            "cleanup": {"closed": list(self.cleanup.closed), "failed": list(self.cleanup.failed)},
            "requests": self.requests,
        }

    def to_text(self) -> str:
        t = self.target
        lines = [f"target: {t['scrt_url']}  org {t['org_id']}  deployment {t['deployment']}  ({t['identity']})"]
        for check in self.checks:
            lines.append(f"  {check.status:<4}  {check.name}: {check.detail}")
        if self.cleanup.closed:
            lines.append(f"  ok    cleanup: closed {len(self.cleanup.closed)} probe conversation(s)")
        for failure in self.cleanup.failed:
            lines.append(f"  fail  cleanup: could not close {failure}")
        lines.append(f"summary: {self.summary}")
        lines.extend(f"fix: {fix}" for fix in self.fixes)
        lines.append(f"{'OK' if self.ok else 'NOT OK'} ({self.requests} requests)")
        return "\n".join(lines)


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _reachability(config: SandboxConfig, http: httpx.AsyncClient, v: Validation) -> None:
    params = {"orgId": config.org_id, "esConfigName": config.deployment}
    try:
        response = await http.get(CONFIG_PATH, params=params)
    except httpx.TimeoutException:
        raise UserError(f"{config.scrt_url} did not answer in time: check --scrt-url and your network") from None
    except httpx.HTTPError as exc:
        if _is_tls_failure(exc):
            hint = f"the CA bundle {config.ca_bundle} does not" if config.ca_bundle else "your system's CAs do not"
            raise UserError(
                f"the TLS certificate of {config.host} is not trusted ({hint} sign it): pass --ca-bundle FILE with "
                "the CA that signed it"
            ) from None
        raise UserError(
            f"cannot reach {config.scrt_url} ({type(exc).__name__}): check --scrt-url (the deployment's Salesforce "
            "Messaging URL) and that the host is up"
        ) from None
    how = (
        f"TLS verified with {config.ca_bundle}"
        if config.ca_bundle
        else "TLS"
        if config.scrt_url.startswith("https")
        else "plain http (loopback only)"
    )
    v.add("reachable", "ok", f"{config.scrt_url} answered ({response.status_code}) over {how}")


def _token_refused(config: SandboxConfig, exc: ApiError) -> UserError:
    message = exc.message
    lowered = message.lower()
    if exc.status == 401 and config.customer_jwt:
        return UserError(
            f"the runtime rejected MIAW_CUSTOMER_JWT ({exc.status}): check the token's signing key and claims "
            "against the deployment's user verification keyset"
        )
    org_first = "orgid" in lowered and lowered.find("orgid") < (lowered.find("esdevelopername") % (len(lowered) + 1))
    if exc.status == 400 and org_first:
        return UserError(f"org {config.org_id} is not this runtime's org ({message}): check --org-id and --scrt-url")
    if exc.status == 400 and "verification" in lowered and config.customer_jwt:
        return UserError(
            f"deployment {config.deployment} does not use user verification: unset MIAW_CUSTOMER_JWT to test "
            "anonymous users"
        )
    if exc.status == 400:
        return UserError(
            f"unknown or unpublished deployment {config.deployment!r} ({message}): check --deployment (the API "
            "name, case-sensitive), that the deployment is published, and --org-id"
        )
    if exc.status == 0:
        return UserError(f"lost the connection to {config.scrt_url} while asking for a token ({message})")
    return UserError(f"the runtime refused to issue a token ({exc.status}: {message}); try again later")


async def _token(config: SandboxConfig, core: CoreClient, v: Validation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "orgId": config.org_id,
        "esDeveloperName": config.deployment,
        "capabilitiesVersion": "1",
        "platform": "Web",
    }
    kind = "unauthenticated"
    if config.customer_jwt:
        kind = "authenticated"
        body.update({"authorizationType": "JWT", "customerIdentityToken": config.customer_jwt})
    try:
        response = await core.request("POST", f"{API}/authorization/{kind}/access-token", body=body, auth=False)
    except ApiError as exc:
        raise _token_refused(config, exc) from None
    data = response.json()
    token = data.get("accessToken") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise UserError(f"{config.scrt_url} answered the token request without an accessToken: is it a MIAW runtime?")
    context = data.get("context") or {}
    subject = ((context.get("endUser") or {}).get("subject")) if isinstance(context, dict) else None
    core.resume(token, str(subject) if subject else None)
    who = "a verified end user" if config.customer_jwt else "an anonymous end user"
    v.add("token", "ok", f"access token issued for {who} (the token itself is never shown)")
    es_config = (
        ((context.get("configuration") or {}).get("embeddedServiceConfig")) if isinstance(context, dict) else None
    )
    return es_config if isinstance(es_config, dict) else {}


def _deployment(config: SandboxConfig, es_config: dict[str, Any], v: Validation) -> None:
    channel = es_config.get("embeddedServiceMessagingChannel") or {}
    auth_mode = str(channel.get("authMode") or "unknown") if isinstance(channel, dict) else "unknown"
    prechat = [
        str(f.get("displayContext") or "Conversation")
        for f in es_config.get("forms") or []
        if isinstance(f, dict) and f.get("formType") == "PreChat"
    ]
    required = [
        str(item.get("name"))
        for f in es_config.get("forms") or []
        if isinstance(f, dict) and f.get("formType") == "PreChat"
        for item in f.get("formFields") or []
        if isinstance(item, dict) and item.get("required")
    ]
    v.deployment = {
        "name": es_config.get("name") or config.deployment,
        "deploymentType": es_config.get("deploymentType") or "unknown",
        "authMode": auth_mode,
        "prechat": prechat[0] if prechat else "none",
        "requiredPrechatFields": required,
    }
    if not es_config:
        v.add("deployment config", "warn", "the token answer carried no deployment configuration")
        return
    prechat_text = {"none": "no pre-chat", "Session": "pre-chat for every session"}.get(
        v.deployment["prechat"], f"pre-chat once per {str(v.deployment['prechat']).lower()}"
    )
    detail = f"{v.deployment['deploymentType']} deployment, auth mode {auth_mode}, {prechat_text}"
    if auth_mode == "Auth":
        v.add("deployment config", "warn", detail + ": User Verification is on")
        v.fixes.append(
            "Session-Based Chat can't be enabled for verified users: turn off User Verification on the Messaging "
            "Settings page before turning Session-Based Chat on"
        )
    else:
        v.add("deployment config", "ok", detail)


def _conclude(config: SandboxConfig, v: Validation) -> None:
    probe = v.probe
    state = v.session_based_chat
    where = f"deployment {config.deployment}"
    if probe is None or state is SbcState.UNKNOWN:
        notes = "; ".join(probe.notes) if probe else "the probe did not run"
        v.add("Session-Based Chat", "fail", f"could not tell whether it is in effect: {notes}")
        v.summary = f"Session-Based Chat on {where}: unknown ({notes})"
        return
    evidence = (
        f"conversation {probe.conversation_id}: session ended by the end user ({probe.end_session_status}); the list "
        f"shows it {'closed' if probe.listed_closed else 'open'}; a new message was "
        f"{'refused' if probe.send_refused else 'accepted'} ({probe.send_after_status})"
    )
    if state is SbcState.INCONSISTENT:
        v.add("Session-Based Chat", "fail", f"inconsistent runtime: {evidence}")
        v.summary = f"the runtime contradicts itself on {where}: {'; '.join(probe.notes[-1:])}"
        v.fixes.append(
            "publish the deployment again, wait a few minutes, and rerun validate; if it persists, open a case"
        )
        return
    in_effect = state is SbcState.IN_EFFECT
    wanted = {"on": True, "off": False}.get(v.expect)
    status = "ok" if wanted is None or wanted == in_effect else "fail"
    v.add("Session-Based Chat", status, f"{'in effect' if in_effect else 'not in effect'}: {evidence}")
    if in_effect:
        v.summary = (
            f"Session-Based Chat is in effect on {where}: ending a session closes the conversation. Next, check "
            f"your SDK and app against it: miaw-harness run --target {config.scrt_url} --org-id {config.org_id} "
            f"--deployment {config.deployment}"
        )
        if wanted is False:
            v.fixes.append(
                "Session-Based Chat is in effect but you expected it off: in Setup > Messaging Settings, clear End "
                "chat when session ends on the channel, save, then publish the deployment"
            )
    else:
        v.summary = f"Session-Based Chat is not in effect on {where}: ending a session leaves the conversation open"
        if wanted is not False:
            v.fixes.append(f"Session-Based Chat is not in effect: {SETUP_FIX} ({config.deployment})")


async def preflight(
    config: SandboxConfig,
    http: httpx.AsyncClient,
    *,
    core: CoreClient | None = None,
    expect: str = "any",
    seed: int | None = None,
    waiter: Waiter | None = None,
) -> Validation:
    """Run every check against `config` through `http` (a guarded client); cleanup is the caller's job."""
    if expect not in EXPECTATIONS:
        raise UserError(f"--expect must be one of {', '.join(EXPECTATIONS)}, got {expect!r}")
    rng = probe_rng(seed)
    core = core or new_core(config, http, rng)
    v = Validation(target=config.describe(), expect=expect)
    await _reachability(config, http, v)
    es_config = await _token(config, core, v)
    _deployment(config, es_config, v)
    v.probe = await probe_session_based_chat(core, http, es_config, rng=rng, waiter=waiter)
    _conclude(config, v)
    return v


def probe_rng(seed: int | None) -> random.Random:
    """Seeded for tests; otherwise fresh, because a real org refuses a conversation id it has seen before."""
    return random.Random(seed) if seed is not None else random.SystemRandom()


def new_core(config: SandboxConfig, http: httpx.AsyncClient, rng: random.Random) -> CoreClient:
    """The end-user REST client the preflight plays (web platform); its timeline stays in memory."""
    return CoreClient(
        http=http, org_id=config.org_id, deployment=config.deployment, timeline=Timeline(), rng=rng, platform="web"
    )


async def run_validation(
    config: SandboxConfig,
    budget: Budget,
    expect: str = "any",
    seed: int | None = None,
    redactor: Redactor | None = None,
    waiter: Waiter | None = None,
) -> Validation:
    """The whole `validate`: a guarded client, the preflight, then (always, also on Ctrl-C) closing what it opened.

    `redactor`, when given, learns the access token the run was issued, so callers can scrub anything they print.
    """
    http = guarded_client(config, budget)
    core = new_core(config, http, probe_rng(seed))
    cleanup = Cleanup(http, config.deployment, tokens=lambda: [core.token] if core.token else [])
    validation: Validation | None = None
    try:
        validation = await preflight(config, http, core=core, expect=expect, seed=seed, waiter=waiter)
    except BudgetExceeded as exc:
        raise UserError(f"{exc}; raise --max-requests if the org can take it") from None
    finally:
        if redactor is not None:
            redactor.add(core.token)
        budget.extend(CLEANUP_RESERVE)
        report = await cleanup.close_all()
        if validation is not None:
            validation.cleanup = report
            validation.requests = budget.used
        await http.aclose()
    return validation
