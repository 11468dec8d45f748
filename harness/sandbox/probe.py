"""The behavioural probe: is Session-Based Chat in effect on this deployment, judged from the public API only?

It plays one anonymous end user: open a conversation, write once (so a messaging session exists), end the
session with `DELETE .../session`, then look twice: does the list show the conversation closed (`endTimestamp`
set) and is a further message refused? Both yes: in effect. Both no: not in effect. Otherwise the runtime is
inconsistent and the probe says so. The conversation is closed afterwards by the caller's cleanup.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from harness.sandbox.public_oracle import list_conversations, list_entries, truth_from_public
from harness.sandbox.waiter import Waiter
from harness.sdk.core import API, ApiError, CoreClient
from harness.timeline import Timeline
from harness.wire.events import EntryType
from harness.wire.ids import new_uuid
from harness.wire.messages import text_message

__all__ = [
    "DEFAULT_WAIT_S",
    "PROBE_TEXT",
    "ProbeResult",
    "SbcState",
    "placeholder_prechat",
    "probe_channel",
    "probe_session_based_chat",
]

DEFAULT_WAIT_S = 10.0  # how long the runtime gets to show the close after the session end
PROBE_TEXT = "miaw-harness validation probe: this conversation checks Session-Based Chat, please ignore"
_PLACEHOLDERS: dict[str, Any] = {
    "Text": "miaw-harness probe",
    "Email": "probe@example.invalid",
    "Number": "0",
    "Phone": "0000000000",
    "Checkbox": True,
    "ChoiceList": "miaw-harness probe",
}


class SbcState(StrEnum):
    IN_EFFECT = "in_effect"
    NOT_IN_EFFECT = "not_in_effect"
    INCONSISTENT = "inconsistent"
    UNKNOWN = "unknown"


@dataclass
class ProbeResult:
    state: SbcState
    conversation_id: str | None = None
    end_session_status: int | None = None
    listed_closed: bool | None = None
    session_ended_entry: bool | None = None
    send_after_status: int | None = None  # the status of the message sent after the session end
    notes: list[str] = field(default_factory=list)

    @property
    def send_refused(self) -> bool | None:
        if self.send_after_status is None:
            return None
        # 417 says "no session, show pre-chat": the conversation is open and would take a new session.
        return self.send_after_status >= 400 and self.send_after_status != 417

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "conversationId": self.conversation_id,
            "endSessionStatus": self.end_session_status,
            "listedClosed": self.listed_closed,
            "sessionEndedEntry": self.session_ended_entry,
            "sendAfterEndStatus": self.send_after_status,
            "sendRefused": self.send_refused,
            "notes": list(self.notes),
        }


def placeholder_prechat(config: dict[str, Any]) -> dict[str, Any]:
    """Values for the deployment's required pre-chat fields, so the probe's conversation can be created."""
    values: dict[str, Any] = {}
    for form in config.get("forms") or []:
        if not isinstance(form, dict) or form.get("formType") != "PreChat":
            continue
        for item in form.get("formFields") or []:
            if isinstance(item, dict) and item.get("required") and item.get("name"):
                values[str(item["name"])] = _PLACEHOLDERS.get(str(item.get("type", "Text")), "miaw-harness probe")
    return values


def _message_body(deployment: str, message_id: str, text: str) -> dict[str, Any]:
    return {"message": text_message(message_id, text), "esDeveloperName": deployment}


async def probe_session_based_chat(
    core: CoreClient,
    http: httpx.AsyncClient,
    es_config: dict[str, Any],
    *,
    rng: random.Random,
    waiter: Waiter | None = None,
) -> ProbeResult:
    """Run the probe with `core`'s (already issued) token; `http` reads the public API with the same token."""
    waiter = waiter or Waiter(timeout_s=DEFAULT_WAIT_S, poll_s=1.0)
    token = core.token
    assert token is not None, "issue a token before probing"
    cid = new_uuid(rng)
    result = ProbeResult(SbcState.UNKNOWN, cid)
    attributes = placeholder_prechat(es_config)
    try:
        body = {"conversationId": cid, "esDeveloperName": core.deployment, "routingAttributes": attributes}
        await core.request("POST", f"{API}/conversation", body=body)
        await core.send_message(cid, new_uuid(rng), PROBE_TEXT)
    except ApiError as exc:
        result.notes.append(f"could not open the probe conversation: {exc.status} {exc.message}")
        return result

    async def session_exists() -> bool:
        entries = await list_entries(http, token, cid)
        kinds = {e.get("entryType") for e in entries}
        return bool(kinds & {EntryType.SESSION_STATUS_CHANGED.value, EntryType.ROUTING_RESULT.value})

    if not await waiter.until(session_exists):
        result.notes.append("no messaging session showed up for the probe conversation (routing never started)")
    try:
        await core.end_session(cid)
        result.end_session_status = 200
    except ApiError as exc:
        result.end_session_status = exc.status
        result.notes.append(f"ending the session as the end user was refused: {exc.status} {exc.message}")
        return result

    async def listed_closed() -> bool:
        found = {c.conversation_id: c for c in await list_conversations(http, token)}
        return cid in found and found[cid].end_ms != 0

    result.listed_closed = await waiter.until(listed_closed)
    listed = {c.conversation_id: c for c in await list_conversations(http, token)}.get(cid)
    if listed is not None:
        raw = await list_entries(http, token, cid)
        truth = truth_from_public(listed, raw)
        result.session_ended_entry = any(
            e.get("entryType") == EntryType.SESSION_STATUS_CHANGED.value
            and (e.get("entryPayload") or {}).get("sessionStatus") == "Ended"
            for e in raw
            if isinstance(e.get("entryPayload"), dict)
        )
        result.notes.append(f"after the end-user session end the list shows the conversation {truth.state}")
    try:
        response = await core.request(
            "POST", f"{API}/conversation/{cid}/message", body=_message_body(core.deployment, new_uuid(rng), PROBE_TEXT)
        )
        result.send_after_status = response.status_code
    except ApiError as exc:
        result.send_after_status = exc.status
    result.state = _decide(result)
    return result


async def probe_channel(
    http: httpx.AsyncClient, org_id: str, deployment: str, *, rng: random.Random, waiter: Waiter | None = None
) -> tuple[ProbeResult, str | None]:
    """Mint a throwaway anonymous end user and probe with it; returns the result and that user's token (for cleanup)."""
    core = CoreClient(http=http, org_id=org_id, deployment=deployment, timeline=Timeline(), rng=rng, platform="web")
    body = {"orgId": org_id, "esDeveloperName": deployment, "capabilitiesVersion": "1", "platform": "Web"}
    try:
        response = await core.request(
            "POST", f"{API}/authorization/unauthenticated/access-token", body=body, auth=False
        )
    except ApiError as exc:
        return ProbeResult(SbcState.UNKNOWN, notes=[f"no token for the probe: {exc.status} {exc.message}"]), None
    data = response.json()
    context = data.get("context") or {}
    subject = (context.get("endUser") or {}).get("subject")
    core.resume(str(data.get("accessToken") or ""), str(subject) if subject else None)
    es_config = (context.get("configuration") or {}).get("embeddedServiceConfig") or {}
    result = await probe_session_based_chat(core, http, es_config, rng=rng, waiter=waiter)
    return result, core.token


def _decide(result: ProbeResult) -> SbcState:
    closed, refused = result.listed_closed, result.send_refused
    if closed is None or refused is None:
        return SbcState.UNKNOWN
    if closed and refused:
        return SbcState.IN_EFFECT
    if not closed and not refused:
        return SbcState.NOT_IN_EFFECT
    if closed:
        result.notes.append("the list shows the conversation closed but a message to it was accepted")
    else:
        result.notes.append(
            f"the list shows the conversation open but a message was refused ({result.send_after_status})"
        )
    return SbcState.INCONSISTENT
