"""The SDK's REST half: one end user's calls to the public v2 API over an injected httpx client.

`CoreClient` knows nothing of the event stream nor of the app: it owns the end user's `Credentials` and reads the
device's `Network`; both are plain objects the SDK core hands to the stream as well. A renewal that gives a new
identity is reported to the one hook its owner passes in (`on_new_identity`), and returned by `renew_token()`.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from harness.timeline import Kind, Timeline
from harness.urls import RequestUrls
from harness.wire import Entry, entry_from_history, new_uuid
from harness.wire.entries import MalformedEntry
from harness.wire.messages import text_message

API = "/iamessage/api/v2"
CONFIG_PATH = "/embeddedservice/v1/embedded-service-config"
SSE_PATH = "/eventrouter/v1/sse"


@dataclass(slots=True)
class Credentials:
    """Who the end user is to the runtime: the access token, its subject, and the event id the token started at."""

    token: str | None = None
    subject: str | None = None
    initial_event_id: str = "0"  # `lastEventId` of the token response: where a new identity's stream starts

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@dataclass(slots=True)
class Network:
    """Whether the device is online: requests and the stream are not even tried while it is not."""

    online: bool = True


class ApiError(Exception):
    """A request the runtime refused (or that never left the device: status 0)."""

    def __init__(self, status: int, message: str, path: str) -> None:
        self.status = status
        self.message = message
        self.path = path
        super().__init__(f"{path}: {status} {message}")


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    conversation_id: str
    start_ms: int
    end_ms: int

    @property
    def open(self) -> bool:
        return self.end_ms == 0  # the web bootstrap's rule (miaw-api.md §3.6)


def _prechat_fields(container: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields of the pre-chat forms in an `{embeddedServiceConfig: {forms: [...]}}` object."""
    config = container.get("embeddedServiceConfig")
    forms = config.get("forms") if isinstance(config, dict) else None
    fields: list[dict[str, Any]] = []
    for form in forms if isinstance(forms, list) else []:
        if isinstance(form, dict) and isinstance(form.get("formFields"), list):
            fields.extend(f for f in form["formFields"] if isinstance(f, dict) and not f.get("isHidden"))
    return fields


def summaries_of(data: Mapping[str, Any]) -> list[ConversationSummary]:
    """The conversation list's answer (v2 GET or v1 POST query: the same shape), newest first."""
    result = [
        ConversationSummary(
            str(c.get("conversationId")), int(c.get("startTimestamp") or 0), int(c.get("endTimestamp") or 0)
        )
        for c in data.get("conversations") or []
        if isinstance(c, dict)
    ]
    return sorted(result, key=lambda c: c.start_ms, reverse=True)


def entries_of(conversation_id: str, data: Mapping[str, Any]) -> list[Entry]:
    """A history answer's entries (v2 GET or v1 POST query: the same shape); an entry the SDK cannot read is skipped."""
    result: list[Entry] = []
    for fields in data.get("conversationEntries") or []:
        try:
            result.append(entry_from_history(conversation_id, fields))
        except (MalformedEntry, ValueError):
            continue
    return result


def _subject_from_jwt(token: str) -> str:
    """The `sub` claim, read without verifying the signature (the client cannot verify it anyway)."""
    try:
        body = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return str(claims.get("sub", ""))
    except (IndexError, ValueError):
        return ""


def _message_of(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return str(data)[:200]


class CoreClient:
    """Tokens (renewed on 401), conversations, messages, session end and close; every call lands in the timeline.

    This is the v2 wire (a custom client on an API deployment); `dialect_v1.V1CoreClient` is the SDKs' v1 wire.
    """

    API_VERSION = "v2"
    CONTINUATION_PATH = f"{API}/authorization/continuation-access-token"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        org_id: str,
        deployment: str,
        timeline: Timeline,
        rng: random.Random,
        platform: str,
        network: Network | None = None,
        on_new_identity: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.http = http
        self.urls = RequestUrls(http)
        self.org_id = org_id
        self.deployment = deployment
        self.timeline = timeline
        self.rng = rng
        self.platform = "Web" if platform == "web" else "Mobile"
        self.credentials = Credentials()
        self.network = network if network is not None else Network()
        # What the end user types into a pre-chat form: by field name, else by "name" / "email" / "phone".
        self.end_user: Mapping[str, str] = {}
        self._prechat_fields: list[dict[str, Any]] | None = None  # from the deployment's config, once known
        # Called after a request's renewal gave a new identity (whose event ids start over), so streams reopen.
        self.on_new_identity = on_new_identity
        self.writes = 0  # requests that may make the runtime emit events (everything but GET)

    # -- who and where -------------------------------------------------------------------------------------
    @property
    def token(self) -> str | None:
        return self.credentials.token

    @token.setter
    def token(self, value: str | None) -> None:
        self.credentials.token = value

    @property
    def subject(self) -> str | None:
        return self.credentials.subject

    @subject.setter
    def subject(self, value: str | None) -> None:
        self.credentials.subject = value

    @property
    def initial_event_id(self) -> str:
        return self.credentials.initial_event_id

    @property
    def online(self) -> bool:
        return self.network.online

    # -- plumbing -------------------------------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return self.credentials.auth_headers()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        auth: bool = True,
        renew: bool = True,
    ) -> httpx.Response:
        if not self.online:
            self.timeline.add(Kind.REQUEST, "app", f"{method} {path} not sent: device offline")
            raise ApiError(0, "device offline", path)
        headers = self.auth_headers() if auth else {}
        if method != "GET":
            self.writes += 1
        try:
            response = await self.http.request(method, self.urls.url(path), json=body, params=params, headers=headers)
        except httpx.HTTPError as exc:
            self.timeline.add(Kind.REQUEST, "app", f"{method} {path} -> network error", {"error": type(exc).__name__})
            raise ApiError(0, f"network error: {type(exc).__name__}", path) from exc
        status = response.status_code
        self.timeline.add(Kind.REQUEST, "app", f"{method} {path} -> {status}", {"status": status})
        if status == 401 and auth and renew:
            if await self.renew_token() and self.on_new_identity is not None:
                await self.on_new_identity()
            return await self.request(method, path, body=body, params=params, auth=auth, renew=False)
        if status >= 400:
            raise ApiError(status, _message_of(response), path)
        return response

    # -- tokens -------------------------------------------------------------------------------------------------
    async def new_token(self) -> None:
        """A fresh unauthenticated token: a new anonymous identity (old conversations answer 403)."""
        body = {
            "orgId": self.org_id,
            "esDeveloperName": self.deployment,
            "capabilitiesVersion": "1",
            "platform": self.platform,
        }
        data = (
            await self.request("POST", f"{API}/authorization/unauthenticated/access-token", body=body, auth=False)
        ).json()
        self._take_token(data)
        self.credentials.initial_event_id = str(data.get("lastEventId") or "0")

    def _take_token(self, data: dict[str, Any]) -> None:
        token = data.get("accessToken")
        if not isinstance(token, str) or not token:
            raise ApiError(502, "token response without accessToken", "authorization")
        self.token = token
        context = data.get("context") or {}
        end_user = context.get("endUser") or {} if isinstance(context, dict) else {}
        subject = end_user.get("subject") if isinstance(end_user, dict) else None
        self.subject = str(subject) if subject else _subject_from_jwt(token)
        configuration = context.get("configuration") if isinstance(context, dict) else None
        if isinstance(configuration, dict):
            self._prechat_fields = _prechat_fields(configuration)

    def resume(self, token: str, subject: str | None) -> None:
        """Use a token kept on the device (a relaunch: what was only in memory, like the pre-chat form, is gone)."""
        self.token = token
        self._prechat_fields = None
        self.subject = subject or _subject_from_jwt(token)

    async def renew_token(self) -> bool:
        """After a 401: try a continuation token (same identity), else start over as a new identity.

        True when the identity changed: its event ids start over, so an open stream carries the old one's events.
        """
        if self.token is not None:
            try:
                response = await self.request("GET", self.CONTINUATION_PATH, renew=False)
                self._take_token(response.json())
                self.timeline.add(Kind.NOTE, "app", "access token renewed (same identity)")
                return False
            except ApiError:
                pass
        before = self.subject
        await self.new_token()
        if before is not None and before != self.subject:
            self.timeline.add(Kind.NOTE, "app", "access token replaced: new anonymous identity")
            return True
        return False

    # -- conversations ------------------------------------------------------------------------------------------
    async def create_conversation(self, conversation_id: str) -> None:
        values = await self.prechat_values()  # the pre-chat form, if the deployment has one, comes first
        if values:
            self.timeline.add(Kind.UI, "app", "pre-chat form shown and submitted", {"fields": sorted(values)})
        body = {"conversationId": conversation_id, "esDeveloperName": self.deployment, "routingAttributes": values}
        await self.request("POST", f"{API}/conversation", body=body)

    async def list_conversations(self, *, include_closed: bool) -> list[ConversationSummary]:
        params = {"inclClosedConvs": "true" if include_closed else "false", "limit": "50"}
        data = (await self.request("GET", f"{API}/conversation/list", params=params)).json()
        return summaries_of(data)

    async def conversation_summary(self, conversation_id: str) -> ConversationSummary | None:
        for summary in await self.list_conversations(include_closed=True):
            if summary.conversation_id == conversation_id:
                return summary
        return None

    async def entries(self, conversation_id: str) -> list[Entry]:
        params = {"limit": "50", "direction": "FromStart"}
        data = (await self.request("GET", f"{API}/conversation/{conversation_id}/entries", params=params)).json()
        return entries_of(conversation_id, data)

    async def send_message(self, conversation_id: str, message_id: str, text: str) -> None:
        """Send a text; on 417 (no session, per-session pre-chat) submit pre-chat and resend as a new session."""
        body: dict[str, Any] = {"message": text_message(message_id, text), "esDeveloperName": self.deployment}
        path = f"{API}/conversation/{conversation_id}/message"
        try:
            await self.request("POST", path, body=body)
        except ApiError as exc:
            if exc.status != 417:
                raise
            values = await self.prechat_values()
            self.timeline.add(
                Kind.UI, "app", "pre-chat form shown for a new session and submitted", {"fields": sorted(values)}
            )
            body.update({"isNewMessagingSession": True, "routingAttributes": values, "language": "en"})
            await self.request("POST", path, body=body)

    async def prechat_values(self) -> dict[str, str]:
        """The user's answers to the deployment's pre-chat form (its config is read once if the token lacked it)."""
        if self._prechat_fields is None:
            params = {"orgId": self.org_id, "esConfigName": self.deployment}
            data = (await self.request("GET", CONFIG_PATH, params=params, auth=False)).json()
            self._prechat_fields = _prechat_fields(data if isinstance(data, dict) else {})
        answers = {str(f["name"]): self._answer(f) for f in self._prechat_fields if "name" in f}
        return {name: value for name, value in answers.items() if value}  # a blank field is not submitted

    def _answer(self, field: Mapping[str, Any]) -> str:
        name, kind = str(field["name"]), str(field.get("type", "Text"))
        if name in self.end_user:
            return self.end_user[name]
        by_type = {"Email": "email", "Phone": "phone", "Number": "number", "Checkbox": "checkbox"}
        return self.end_user.get(by_type.get(kind, "name"), "")

    async def typing(self, conversation_id: str, started: bool) -> None:
        entry_type = "TypingStartedIndicator" if started else "TypingStoppedIndicator"
        body = {"entryType": entry_type, "id": new_uuid(self.rng)}
        await self.request("POST", f"{API}/conversation/{conversation_id}/entry", body=body)

    async def acknowledge(self, conversation_id: str, entry_id: str, *, read: bool) -> None:
        """A delivery or read acknowledgement of an entry (§3.10)."""
        ack = {"id": new_uuid(self.rng), "entryType": "Read" if read else "Delivery", "conversationEntryId": entry_id}
        await self.request("POST", f"{API}/conversation/{conversation_id}/acknowledge-entries", body={"acks": [ack]})

    async def end_session(self, conversation_id: str) -> None:
        params = {"esDeveloperName": self.deployment}
        await self.request("DELETE", f"{API}/conversation/{conversation_id}/session", params=params)

    async def close_conversation(self, conversation_id: str) -> None:
        params = {"esDeveloperName": self.deployment}
        await self.request("DELETE", f"{API}/conversation/{conversation_id}", params=params)
