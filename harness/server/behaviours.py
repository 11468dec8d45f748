"""Every runtime behaviour with its evidence level and the setting that controls it: the source of docs/fidelity.md.

Defaults are read from `DeploymentSettings` and `FidelitySettings`, never written here, and a test checks that every
setting has a row and that the committed docs/fidelity.md is what `render()` makes; so the page cannot drift.
Regenerate it with `python -m harness.server.behaviours docs/fidelity.md`.

Evidence levels (miaw-api.md §0 and §11): OFFICIAL-DOC, OFFICIAL-CODE, SDK-DECOMP, BOOTSTRAP, THIRD-PARTY; §11's
TL (third-party code verified live), OC (SDK reference docs), OD (Help pages); INFERRED (no source says it).
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.server.config import DeploymentSettings
from harness.server.fidelity import FidelitySettings

DEPLOYMENT = "deployment"
FIDELITY = "fidelity"


@dataclass(frozen=True, slots=True)
class Behaviour:
    topic: str
    behaviour: str
    evidence: str
    source: str
    setting: str | None = None  # "deployment.<field>" or "fidelity.<field>"; None: fixed behaviour
    note: str = ""
    evidence_value: object = None  # the value the evidence supports, where the default does not follow it yet


def _b(
    topic: str,
    behaviour: str,
    evidence: str,
    source: str,
    setting: str | None = None,
    note: str = "",
    evidence_value: object = None,
) -> Behaviour:
    return Behaviour(topic, behaviour, evidence, source, setting, note, evidence_value)


BEHAVIOURS: tuple[Behaviour, ...] = (
    # -- deployments and API versions
    _b(
        "API versions",
        "A deployment has a type; v2 serves API deployments, v1 serves Web and In-App ones; any other pairing is "
        "400 \"The deploymentType '<type>' ... isn't supported for this endpoint. Supported deployment types: ...\"",
        "TL",
        "§11.8, §11.3",
        "deployment.deployment_type",
        "Default API; the default runtime also has an InApp deployment (MIAW_Harness_InApp) for the iOS and "
        "Android profiles, which speak v1 (profile capability rest_api); the web profile speaks v2.",
    ),
    _b("API versions", "The event router (`/eventrouter/v1/sse`) serves tokens of both versions", "TL", "§11.8"),
    _b("API versions", "Tokens carry an `apiVersion` claim (`v1` or `v2`)", "THIRD-PARTY", "§2 (T-JWT)"),
    _b(
        "v1 wire",
        "Token: `POST /iamessage/v1/authorization/unauthenticated/accessToken` (web) or `.../persistedToken` "
        "(mobile) with `orgId`, `developerName`, `capabilitiesVersion` (238, 240, 246, 248, 252, 254, 258, 258.1, "
        "260) -> `{accessToken, lastEventId, context: {}}`",
        "TL",
        "§11.8, §3.1",
    ),
    _b(
        "v1 wire",
        "Create `POST /iamessage/v1/conversation` (no esDeveloperName) -> 201 with participants",
        "TL",
        "§11.8",
    ),
    _b("v1 wire", "Send: the message object at top level -> 200 `{}`", "TL", "§11.8"),
    _b("v1 wire", "History: `POST /iamessage/v1/queries/conversation/{id}/entries` (GET is 405)", "TL", "§11.8"),
    _b(
        "v1 wire",
        "Bodies are strict: an extra property, or a v2-only field (`esDeveloperName`, the `message` wrapper, "
        "`language`, `platform`, `context`), is a 400 naming the key",
        "TL",
        "§11.5",
    ),
    _b(
        "v1 wire",
        "Typing `POST .../entry`, acks `POST .../deliveryAcknowledgeEntries` and `.../readAcknowledgeEntry`, end "
        "session `DELETE .../session`, close `DELETE /conversation/{id}`, list `POST /queries/conversation/list`; "
        "their body fields are not documented",
        "SDK-DECOMP",
        "§3.9, §3.10, §3.12",
        None,
        "Ack body shapes (`acks: [{id, conversationEntryId}]`, `{id, conversationEntryId}`) are INFERRED.",
    ),
    # -- tokens
    _b("Tokens", "Token endpoints accept the 15- and the 18-character org id", "TL", "§11.4"),
    _b("Tokens", "The JWT carries the 15-character org id", "TL", "§11.4"),
    _b("Tokens", "Unauthenticated access token lifetime", "OFFICIAL-DOC", "§5.3, §8", "deployment.token_ttl_s"),
    _b(
        "Tokens",
        "A continuation token keeps the subject, gets a new client id and does not extend `exp`",
        "OD",
        "§11.7",
    ),
    _b(
        "Tokens",
        "Revoke (v1 `POST .../revokeToken`, v2 `DELETE .../authenticated/access-token`) refuses the token from then on "
        "and ends the subject's open streams (other tokens reconnect with Last-Event-Id)",
        "OD",
        "§11.7",
    ),
    # -- errors
    _b(
        "Errors",
        "REST error bodies carry `message` only: no key a browser Response owns (status, ok, headers, url, type, "
        "body, statusText, redirected)",
        "TL",
        "§11.3",
    ),
    _b(
        "Errors",
        "The event router's 401 is Spring-shaped: `timestamp`, `status`, `error: Unauthorized`, `message` "
        "(`Jwt is expired` on expiry), `path`",
        "TL",
        "§11.3",
    ),
    _b(
        "Errors",
        "Send, typing or ack to a closed conversation",
        "TL",
        "§11.1",
        "deployment.closed_send_status",
        "§11.1's leading inference is 403 (§9 had 400). Conformance runs also try 400 and 401 wherever an SDK "
        "profile reacts to that status differently (`send_refusal_*` flags, harness/sdk/refusal.py).",
    ),
    _b("Errors", "Duplicate conversation id on create", "TL", "§11.9", "deployment.duplicate_conversation_status"),
    _b("Errors", "Send with no session under per-session pre-chat: 417", "OFFICIAL-CODE", "§3.8"),
    # -- event router
    _b(
        "Event router",
        "`X-Org-Id` compared with the token's org id: `exact` (an 18-character header is 400 \"OrgId in the header "
        'and token must match, ...") or `first-15`; a missing header is 400 "OrgId is required"',
        "TL",
        "§11.4",
        "fidelity.x_org_id_rule",
    ),
    _b(
        "Event router",
        "Seconds between `ping` frames (the real interval is not known; Android reads time out after 30 s)",
        "INFERRED",
        "§4.2",
        "deployment.sse_ping_interval_s",
    ),
    _b("Event router", "`ping` data is an incrementing counter per stream", "TL", "§11.10"),
    _b(
        "Event router",
        "A new stream without Last-Event-Id replays the subject's events (off: it starts live)",
        "TL",
        "§11.6",
        "fidelity.sse_replay_without_last_event_id",
    ),
    # -- payloads
    _b(
        "Payloads",
        "SessionStatusChanged: entryType, id, conversationId, channelAddressIdentifier, sessionId, sessionStatus, "
        "sessionStatusPrev, sessionStartTime, sessionEndTime (ended), sessionEndedByRole (ended)",
        "OC",
        "§11.10",
    ),
    _b("Payloads", "CloseConversation carries `conversationId` and `conversationIdentifier`", "OC", "§11.10"),
    _b("Payloads", 'ParticipantChanged is sent by "Automated Process"', "TL", "§11.10"),
    _b("Payloads", "`routingStatus` reads NEEDS_ROUTING after an agent ended the session", "TL", "§11.2"),
    # -- lifecycle
    _b(
        "Lifecycle",
        "Session-Based Chat: any session end closes the conversation",
        "OFFICIAL-DOC",
        "§5.5",
        "deployment.session_based_chat",
    ),
    _b(
        "Lifecycle",
        "A close event when Session-Based Chat closes the conversation",
        "TL",
        "§11.2",
        "deployment.emit_close_event_on_sbc_end",
        "§11.2 better supports no close event (the default); conformance runs try both (variants `close-event` and "
        "`no-close-event`).",
    ),
    _b(
        "Lifecycle",
        "Channel type (Session-Based Chat only on Enhanced In-App and Web)",
        "OFFICIAL-DOC",
        "§5.5",
        "deployment.channel_type",
    ),
    _b(
        "Lifecycle",
        "User verification (excludes Session-Based Chat)",
        "OFFICIAL-DOC",
        "§5.5",
        "deployment.user_verification",
    ),
    _b(
        "Lifecycle",
        "Opt-out keywords end the session, never the conversation",
        "OFFICIAL-DOC",
        "§5.5",
        "deployment.opt_out_keywords",
    ),
    _b(
        "Lifecycle",
        "Pre-chat display: none, once per Conversation, or every Session (417 path)",
        "OFFICIAL-CODE",
        "§3.17, §5.4",
        "deployment.prechat_display",
    ),
    _b("Lifecycle", "Pre-chat fields and which are required", "OFFICIAL-CODE", "§3.17", "deployment.prechat_fields"),
    _b(
        "Lifecycle",
        "Customer inactivity (5-30 min) makes the session Inactive",
        "OFFICIAL-DOC",
        "§5.3",
        "deployment.inactivity_timeout_s",
    ),
    _b("Lifecycle", "Inactive sessions end after about 24 h", "OFFICIAL-DOC", "§5.3", "deployment.inactive_auto_end_s"),
    _b(
        "Lifecycle",
        "Whether the 24 h auto-end closes the conversation under Session-Based Chat",
        "INFERRED",
        "§10 q7",
        "deployment.auto_end_closes_conversation",
    ),
    _b(
        "Lifecycle",
        "Who accepts a routed session at once (Agent, Chatbot or nobody)",
        "INFERRED",
        "§9",
        "deployment.auto_accept",
    ),
    _b("Lifecycle", "Greeting message on acceptance", "THIRD-PARTY", "§3.5", "deployment.greeting"),
    _b("Lifecycle", "Without Session-Based Chat a send after an agent end starts a new session", "TL", "§11.10"),
    # -- limits
    _b(
        "Rate limits",
        "Rate limits on (429 with Retry-After); off in conformance runs, on in the sandbox-like mode",
        "OD",
        "§11.9",
        "fidelity.rate_limits",
    ),
    _b("Rate limits", "Access tokens per org per minute", "OD", "§11.9", "fidelity.rate_tokens_per_min"),
    _b(
        "Rate limits",
        "Token renewals (continuations) per org per minute",
        "OD",
        "§11.9",
        "fidelity.rate_continuations_per_min",
    ),
    _b(
        "Rate limits",
        "Conversation starts per page (end user) per window",
        "OD",
        "§11.9",
        "fidelity.rate_conversation_starts",
    ),
    _b("Rate limits", "The conversation-start window", "OD", "§11.9", "fidelity.rate_conversation_window_s"),
    _b("Rate limits", "Inbound messages per conversation per minute", "OD", "§11.9", "fidelity.rate_messages_per_min"),
    # -- clock
    _b(
        "Clock",
        "Virtual time: `frozen` (moves only when advanced) or `wall` (follows the wall clock; advances are "
        "kept as an offset)",
        "INFERRED",
        "DESIGN.md decision 5",
        "fidelity.clock",
    ),
)


def _defaults() -> dict[str, object]:
    values: dict[str, object] = {}
    for prefix, instance in ((DEPLOYMENT, DeploymentSettings()), (FIDELITY, FidelitySettings())):
        for f in dataclasses.fields(instance):
            values[f"{prefix}.{f.name}"] = getattr(instance, f.name)
    return values


def setting_names() -> set[str]:
    return set(_defaults())


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[]" if not value else ", ".join(map(str, value))
    return str(value)


def render() -> str:
    defaults = _defaults()
    lines = [
        "# Runtime fidelity",
        "",
        "Every behaviour of the mock runtime, the evidence for it (miaw-api.md section and level) and the setting",
        "that controls it. Generated by `python -m harness.server.behaviours docs/fidelity.md` from",
        "`harness/server/behaviours.py`; do not edit by hand.",
        "",
        "Settings named `deployment.*` are per deployment (`[deployments.<name>]` in a config file, or the control",
        "API's `PUT /control/deployments/{name}`); `fidelity.*` apply to the whole runtime (`[fidelity]`).",
        "`fidelity.rate_limits = auto` means on in the sandbox-like mode and off otherwise.",
        "",
        "Evidence levels: OFFICIAL-DOC, OFFICIAL-CODE, SDK-DECOMP, BOOTSTRAP, THIRD-PARTY (miaw-api.md §0); TL",
        "(third-party code verified live), OC (SDK reference docs), OD (Help pages) from §11; INFERRED.",
        "",
    ]
    topic = ""
    for b in BEHAVIOURS:
        if b.topic != topic:
            topic = b.topic
            lines += [
                f"## {topic}",
                "",
                "| Behaviour | Evidence | Source | Setting | Default |",
                "|---|---|---|---|---|",
            ]
        setting = f"`{b.setting}`" if b.setting else "fixed"
        default = ""
        if b.setting:
            raw = defaults[b.setting]
            default = "auto" if b.setting == "fidelity.rate_limits" and raw is None else _show(raw)
        text = b.behaviour + (f" *{b.note}*" if b.note else "")
        lines.append(f"| {text.replace('|', '/')} | {b.evidence} | {b.source} | {setting} | {default} |")
        next_topic = BEHAVIOURS[BEHAVIOURS.index(b) + 1].topic if b is not BEHAVIOURS[-1] else None
        if next_topic != topic:
            lines.append("")
    lagging = [b for b in BEHAVIOURS if b.setting and b.evidence_value is not None]
    if not lagging:
        return "\n".join(lines)
    lines += [
        "## Where a default does not follow the evidence yet",
        "",
        "These defaults keep the bundled conformance verdicts until the matching variant axes exist on the client",
        "side. To run `serve` as the evidence suggests, put this in the deployment's table of a config file:",
        "",
        "```toml",
        "[deployments.MIAW_Harness]",
        *(f"{b.setting.partition('.')[2]} = {_toml(b.evidence_value)}" for b in lagging if b.setting),
        "```",
        "",
    ]
    return "\n".join(lines)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m harness.server.behaviours PATH (writes the generated fidelity page)", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
