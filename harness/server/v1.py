"""The v1 endpoints the Salesforce SDKs and the web client call (miaw-api.md §3 v1 rows, §11.5, §11.7, §11.8).

They run over the same `Runtime` (state, rules and event stream) as v2; what differs is the wire: a v1 token request
names the deployment `developerName` and a `capabilitiesVersion` from the SDKs' list, create answers 201 with the
participants, a send carries the message object at top level and answers 200 `{}`, history is a POST query, and every
body is checked against an allow-list (an extra property, or a v2-only field such as `esDeveloperName`, is a 400).
Only Web and In-App deployments are served; an API deployment gets the runtime's deploymentType refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from harness.lifecycle import EndCause
from harness.server.apiversions import check_api_version
from harness.server.auth import AccessToken
from harness.server.bodies import read_json
from harness.server.messages import parse_sent_message
from harness.server.participants import signals_of
from harness.server.state import LIST_LIMIT_MAX, ApiError, Conversation, Runtime
from harness.wire.events import EntryType
from harness.wire.ids import new_uuid

V1 = "/iamessage/v1"
CAPABILITIES_VERSIONS = ("238", "240", "246", "248", "252", "254", "258", "258.1", "260")
V2_ONLY_FIELDS = ("esDeveloperName", "message", "language", "platform", "context")
Handler = Callable[[Request], Awaitable[Response]]
Wrap = Callable[[str | None, Handler], Handler]

_TOKEN_FIELDS = ("orgId", "developerName", "capabilitiesVersion", "deviceId")
_VERIFIED_FIELDS = (*_TOKEN_FIELDS, "authorizationType", "customerIdentityToken")
_CREATE_FIELDS = ("conversationId", "routingAttributes")
_MESSAGE_FIELDS = (
    "id",
    "messageType",
    "staticContent",
    "inReplyToMessageId",
    "isNewMessagingSession",
    "routingAttributes",
)
_ENTRY_FIELDS = ("entryType", "id")
_QUERY_FIELDS = ("limit", "direction", "entryTypeFilter", "startTimestamp", "endTimestamp")
_LIST_FIELDS = ("includeClosedConversations", "limit")
_ACK_FIELDS = ("id", "conversationEntryId")
_REVOKE_FIELDS = ("accessToken", "deviceId")


def strict(data: dict[str, Any], allowed: tuple[str, ...], what: str) -> dict[str, Any]:
    """§11.5: v1 bodies are strict. A v2-only field and any other extra property are each a 400 naming the key."""
    for key in data:
        if key in allowed:
            continue
        if key in V2_ONLY_FIELDS:
            raise ApiError(400, f'Unrecognized field "{key}" in the {what} request: it is not part of the v1 API')
        raise ApiError(400, f'Unrecognized field "{key}" in the {what} request (allowed: {", ".join(allowed)})')
    return data


def _opt_int(data: dict[str, Any], key: str, low: int, high: int | None) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{key} must be an integer {bound}, got {value!r}")
    return value


class V1Api:
    """The v1 handlers: each checks the strict body and calls the shared Runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.limit = runtime.config.max_body_bytes

    # -- helpers ----------------------------------------------------------------------------------------------
    def _serve(self, name: str) -> None:
        deployment = self.rt.deployments.get(name)
        check_api_version(deployment.published if deployment else None, name, "v1")

    def _access(self, request: Request) -> AccessToken:
        access = self.rt.authenticate(request.headers.get("authorization"))
        self._serve(access.deployment)
        return access

    def _owned(self, request: Request) -> tuple[AccessToken, Conversation]:
        access = self._access(request)
        return access, self.rt.owned(access, request.path_params["cid"])

    async def _body(self, request: Request, allowed: tuple[str, ...], what: str) -> dict[str, Any]:
        return strict(await read_json(request, self.limit), allowed, what)

    def _mint(self, subject: str, deployment: str, *, expires_ms: int | None = None) -> dict[str, Any]:
        settings = self.rt.published(deployment)
        token, expires = self.rt.tokens.mint(
            subject=subject,
            deployment=deployment,
            now_ms=self.rt.now_ms,
            ttl_s=settings.token_ttl_s,
            client_id=new_uuid(self.rt.rng),
            api_version="v1",
            expires_ms=expires_ms,
        )
        return {"accessToken": token, "lastEventId": str(self.rt.events.last_id(subject)), "expiresAt": expires}

    def _check_token_body(self, data: dict[str, Any]) -> str:
        self.rt.check_org(data.get("orgId"))
        name = data.get("developerName")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "developerName must be a non-empty string")
        version = data.get("capabilitiesVersion")
        if version not in CAPABILITIES_VERSIONS:
            raise ApiError(
                400, f"capabilitiesVersion must be one of {', '.join(CAPABILITIES_VERSIONS)}, got {version!r}"
            )
        self.rt.published(name)
        self._serve(name)
        return name

    # -- authorization ----------------------------------------------------------------------------------------
    async def access_token(self, request: Request) -> Response:
        data = await self._body(request, _TOKEN_FIELDS, "access token")
        name = self._check_token_body(data)
        subject = f"v2/iamessage/UNAUTH/NA/uid:{new_uuid(self.rt.rng)}"
        return JSONResponse({**self._mint(subject, name), "context": {}})

    async def persisted_token(self, request: Request) -> Response:
        data = await self._body(request, _TOKEN_FIELDS, "persisted token")
        name = self._check_token_body(data)
        subject = f"v2/iamessage/UNAUTH/NA/uid:{new_uuid(self.rt.rng)}"
        answer = self._mint(subject, name)
        return JSONResponse({**answer, "refreshToken": new_uuid(self.rt.rng), "context": {}})

    async def verified_token(self, request: Request) -> Response:
        data = await self._body(request, _VERIFIED_FIELDS, "access token")
        name = self._check_token_body(data)
        answer = self.rt.issue_verified_token(
            data.get("orgId"), name, data.get("authorizationType"), data.get("customerIdentityToken")
        )
        subject = answer["context"]["endUser"]["subject"]
        return JSONResponse({**self._mint(subject, name), "context": {}})

    async def continuity_token(self, request: Request) -> Response:
        access = self._access(request)
        # §11.7: a continuation serves another tab and does not extend the expiry of the token it came from.
        return JSONResponse(self._mint(access.subject, access.deployment, expires_ms=access.expires_ms))

    async def revoke_token(self, request: Request) -> Response:
        access = self._access(request)
        if request.headers.get("content-length") not in (None, "0"):
            await self._body(request, _REVOKE_FIELDS, "revoke token")
        revoke(self.rt, access)
        return JSONResponse({})

    # -- conversations ----------------------------------------------------------------------------------------
    async def create_conversation(self, request: Request) -> Response:
        access = self._access(request)
        data = await self._body(request, _CREATE_FIELDS, "create conversation")
        conv = self.rt.create_conversation(
            access, data.get("conversationId"), access.deployment, data.get("routingAttributes")
        )
        end_user = {"role": "EndUser", "subject": access.subject, "appType": "iamessage", "displayName": "Guest"}
        participants = [end_user, *({**p.sender().to_wire(), "displayName": p.display_name} for p in conv.participants)]
        return JSONResponse(
            {"conversationId": conv.conversation_id, "participants": participants, "startTimestamp": conv.start_ms},
            status_code=201,
        )

    async def list_conversations(self, request: Request) -> Response:
        access = self._access(request)
        data = await self._body(request, _LIST_FIELDS, "list conversations")
        include = data.get("includeClosedConversations", False)
        if not isinstance(include, bool):
            raise ApiError(400, f"includeClosedConversations must be true or false, got {include!r}")
        limit = _opt_int(data, "limit", 1, LIST_LIMIT_MAX) or 20
        answer = self.rt.list_conversations(access, include, limit)
        return JSONResponse(
            {
                "numOpenConversationsFound": answer["openConversationsFound"],
                "numClosedConversationsFound": answer["closedConversationsFound"],
                "conversations": answer["conversations"],
            }
        )

    async def query_entries(self, request: Request) -> Response:
        _, conv = self._owned(request)
        data = await self._body(request, _QUERY_FIELDS, "conversation entries query")
        direction = data.get("direction", "FromEnd")
        if direction not in ("FromStart", "FromEnd"):
            raise ApiError(400, f"direction must be FromStart or FromEnd, got {direction!r}")
        raw = data.get("entryTypeFilter")
        types: set[EntryType] | None = None
        if raw is not None:
            if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
                raise ApiError(400, f"entryTypeFilter must be a list of entry types, got {raw!r}")
            try:
                types = {EntryType(t) for t in raw}
            except ValueError as exc:
                raise ApiError(400, f"entryTypeFilter: {exc}") from None
        answer = self.rt.list_entries(
            conv,
            limit=_opt_int(data, "limit", 1, LIST_LIMIT_MAX) or 20,
            direction=direction,
            types=types,
            start_ms=_opt_int(data, "startTimestamp", 0, None),
            end_ms=_opt_int(data, "endTimestamp", 0, None),
        )
        return JSONResponse(answer)

    async def send_message(self, request: Request) -> Response:
        access, conv = self._owned(request)
        data = await self._body(request, _MESSAGE_FIELDS, "send message")
        sent = parse_sent_message(data, data.get("isNewMessagingSession", False))
        self.rt.send_message(
            access,
            conv,
            message_id=sent.message_id,
            text=sent.text,
            message_type=sent.message_type,
            new_session=sent.new_session,
            routing_attributes=data.get("routingAttributes"),
            deployment=None,
            in_reply_to=sent.in_reply_to,
        )
        return JSONResponse({})

    async def post_entry(self, request: Request) -> Response:
        access, conv = self._owned(request)
        data = await self._body(request, _ENTRY_FIELDS, "conversation entry")
        self.rt.post_entry(access, conv, data.get("entryType"), data.get("id"))
        signals_of(self.rt).typing(conv, str(data["entryType"]), self.rt.now_ms)
        return JSONResponse({})

    async def delivery_acks(self, request: Request) -> Response:
        _, conv = self._owned(request)
        data = await self._body(request, ("acks",), "delivery acknowledgement")
        acks = data.get("acks")
        if not isinstance(acks, list):
            raise ApiError(400, "acks must be a non-empty list of {id, conversationEntryId}")
        for i, ack in enumerate(acks):
            if not isinstance(ack, dict):
                raise ApiError(400, f"acks[{i}] must be an object")
            strict(ack, _ACK_FIELDS, "delivery acknowledgement")
        typed = [{**a, "entryType": "Delivery"} for a in acks]
        self.rt.acknowledge(conv, typed)
        signals_of(self.rt).acks(conv, typed, self.rt.now_ms)
        return JSONResponse({})

    async def read_ack(self, request: Request) -> Response:
        _, conv = self._owned(request)
        data = await self._body(request, _ACK_FIELDS, "read acknowledgement")
        typed = [{**data, "entryType": "Read"}]
        self.rt.acknowledge(conv, typed)
        signals_of(self.rt).acks(conv, typed, self.rt.now_ms)
        return JSONResponse({})

    async def close_conversation(self, request: Request) -> Response:
        access, conv = self._owned(request)
        self.rt.close_conversation(access, conv, request.query_params.get("esDeveloperName"))
        return JSONResponse({})

    async def end_session(self, request: Request) -> Response:
        access, conv = self._owned(request)
        self.rt.check_deployment(access, request.query_params.get("esDeveloperName"))
        self.rt.end_session(conv, EndCause.END_USER)
        return JSONResponse({})

    async def register_capabilities(self, request: Request) -> Response:
        self._access(request)
        await read_json(request, self.limit)
        return JSONResponse({})


def revoke(runtime: Runtime, access: AccessToken) -> None:
    """§11.7: revoking ends the token (refused from now on) and the streams it opened (they end; other tokens of the
    subject reconnect with their Last-Event-Id and lose nothing)."""
    runtime.tokens.revoke(access)
    runtime.events.drop(access.subject)


async def revoke_v2(runtime: Runtime, request: Request) -> Response:
    """`DELETE /iamessage/api/v2/authorization/authenticated/access-token` (§11.7)."""
    access = runtime.authenticate(request.headers.get("authorization"))
    revoke(runtime, access)
    return Response(status_code=204)


def v1_routes(runtime: Runtime, wrap: Wrap) -> list[BaseRoute]:
    """The v1 route table (and v2's revoke), each handler wrapped like v2's (faults, ApiError -> JSON)."""
    api = V1Api(runtime)
    auth = f"{V1}/authorization"

    async def v2_revoke(request: Request) -> Response:
        return await revoke_v2(runtime, request)

    return [
        Route(f"{auth}/unauthenticated/accessToken", wrap("token", api.access_token), methods=["POST"]),
        Route(f"{auth}/unauthenticated/persistedToken", wrap("token", api.persisted_token), methods=["POST"]),
        Route(f"{auth}/authenticated/accessToken", wrap("token", api.verified_token), methods=["POST"]),
        Route(f"{auth}/continuityAccessToken", wrap("continuation", api.continuity_token), methods=["GET"]),
        Route(f"{auth}/revokeToken", wrap(None, api.revoke_token), methods=["POST"]),
        Route(f"{V1}/conversation", wrap("create_conversation", api.create_conversation), methods=["POST"]),
        Route(f"{V1}/queries/conversation/list", wrap("list_conversations", api.list_conversations), methods=["POST"]),
        Route(f"{V1}/queries/conversation/{{cid}}/entries", wrap("list_entries", api.query_entries), methods=["POST"]),
        Route(f"{V1}/conversation/{{cid}}", wrap("close_conversation", api.close_conversation), methods=["DELETE"]),
        Route(f"{V1}/conversation/{{cid}}/message", wrap("send_message", api.send_message), methods=["POST"]),
        Route(f"{V1}/conversation/{{cid}}/entry", wrap("entry", api.post_entry), methods=["POST"]),
        Route(
            f"{V1}/conversation/{{cid}}/deliveryAcknowledgeEntries",
            wrap("acknowledge", api.delivery_acks),
            methods=["POST"],
        ),
        Route(f"{V1}/conversation/{{cid}}/readAcknowledgeEntry", wrap("acknowledge", api.read_ack), methods=["POST"]),
        Route(f"{V1}/conversation/{{cid}}/session", wrap("end_session", api.end_session), methods=["DELETE"]),
        Route(f"{V1}/device/registerDeviceCapabilities", wrap(None, api.register_capabilities), methods=["POST"]),
        Route(
            "/iamessage/api/v2/authorization/authenticated/access-token",
            wrap(None, v2_revoke),
            methods=["DELETE"],
        ),
    ]
