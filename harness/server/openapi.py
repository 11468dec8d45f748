"""The OpenAPI document of what the runtime serves, generated from its Starlette route table.

Paths, methods and path parameters come from the live route table (`build_document(app.routes)`), so the document
cannot list a route the app does not serve, nor miss one: an operation without a description below is a defect
that `build_document` reports. What a table of routes cannot know (query parameters, headers, body shapes and the
statuses each operation answers) is described once per operation in `OPERATIONS`. Statuses that a deployment's
settings can change (`closed_send_status`, `duplicate_conversation_status`) are documented at their defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute, Mount, Route

V2 = "/iamessage/api/v2"
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")

_STR: dict[str, Any] = {"type": "string"}
_NONEMPTY: dict[str, Any] = {"type": "string", "minLength": 1}
_ERROR = {
    "description": "refused: the message names the problem",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": _STR},
            }
        }
    },
}
_ORG = {"type": "string", "pattern": "^00D[0-9A-Za-z]{12}([0-9A-Za-z]{3})?$"}
_ROLE = {"type": "string", "enum": ["Agent", "Chatbot", "Supervisor"]}


def _object(required: Sequence[str] = (), **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: str  # "query" | "header"
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    """What the route table cannot say about one operation."""

    summary: str
    ok: int = 200
    errors: tuple[int, ...] = ()
    body: dict[str, Any] | None = None
    params: tuple[Param, ...] = ()
    bearer: bool = False
    media: str = "application/json"
    tags: tuple[str, ...] = field(default=())


_BEARER = Param("Authorization", "header", {"type": "string", "pattern": "^Bearer .+"}, required=True)
_OWNED = (400, 401, 403, 404)
_LIMIT = Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 50})

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", f"{V2}/authorization/unauthenticated/access-token"): Operation(
        "Mint an access token for a new anonymous end user",
        errors=(400, 413),
        body=_object(
            ["orgId", "esDeveloperName"],
            orgId=_ORG,
            esDeveloperName=_NONEMPTY,
            capabilitiesVersion=_STR,
            platform=_STR,
        ),
    ),
    ("POST", f"{V2}/authorization/authenticated/access-token"): Operation(
        "Mint an access token for a verified end user (customer identity JWT)",
        errors=(400, 401, 413),
        body=_object(
            ["orgId", "esDeveloperName", "authorizationType", "customerIdentityToken"],
            orgId=_ORG,
            esDeveloperName=_NONEMPTY,
            authorizationType={"type": "string", "enum": ["JWT"]},
            customerIdentityToken=_NONEMPTY,
        ),
    ),
    ("GET", f"{V2}/authorization/continuation-access-token"): Operation(
        "Renew the access token for the same end user", errors=(400, 401), bearer=True
    ),
    ("POST", f"{V2}/conversation"): Operation(
        "Create a conversation",
        ok=201,
        errors=(400, 401, 409, 413),
        bearer=True,
        body=_object(
            ["conversationId", "esDeveloperName"],
            conversationId={"type": "string", "format": "uuid"},
            esDeveloperName=_NONEMPTY,
            routingAttributes={"type": "object"},
        ),
    ),
    ("GET", f"{V2}/conversation/list"): Operation(
        "List the end user's conversations",
        errors=(400, 401),
        bearer=True,
        params=(Param("inclClosedConvs", "query", {"type": "string", "enum": ["true", "false"]}), _LIMIT),
    ),
    ("GET", f"{V2}/conversation/{{cid}}"): Operation("Routing status of a conversation", errors=_OWNED, bearer=True),
    ("DELETE", f"{V2}/conversation/{{cid}}"): Operation(
        "Close a conversation (End Chat)",
        errors=(*_OWNED, 409),
        bearer=True,
        params=(Param("esDeveloperName", "query", _STR),),
    ),
    ("GET", f"{V2}/conversation/{{cid}}/entries"): Operation(
        "List a conversation's entries",
        errors=_OWNED,
        bearer=True,
        params=(
            _LIMIT,
            Param("direction", "query", {"type": "string", "enum": ["FromStart", "FromEnd"]}),
            Param("entryTypeFilter", "query", _STR),
            Param("startTimestamp", "query", {"type": "integer", "minimum": 0}),
            Param("endTimestamp", "query", {"type": "integer", "minimum": 0}),
        ),
    ),
    ("POST", f"{V2}/conversation/{{cid}}/message"): Operation(
        "Send a message",
        ok=202,
        errors=(*_OWNED, 409, 413, 417),
        bearer=True,
        body=_object(
            ["message"],
            message=_object(
                ["id", "staticContent"],
                id=_NONEMPTY,
                messageType={"type": "string", "enum": ["StaticContentMessage"]},
                staticContent=_object(["text"], formatType=_STR, text=_STR),
                inReplyToMessageId=_STR,
            ),
            esDeveloperName=_NONEMPTY,
            isNewMessagingSession={"type": "boolean"},
            routingAttributes={"type": "object"},
        ),
    ),
    ("POST", f"{V2}/conversation/{{cid}}/entry"): Operation(
        "Send a typing indicator",
        ok=202,
        errors=(*_OWNED, 413),
        bearer=True,
        body=_object(
            ["entryType", "id"],
            entryType={"type": "string", "enum": ["TypingStartedIndicator", "TypingStoppedIndicator"]},
            id=_NONEMPTY,
        ),
    ),
    ("POST", f"{V2}/conversation/{{cid}}/acknowledge-entries"): Operation(
        "Acknowledge delivery or reading of entries",
        ok=202,
        errors=(*_OWNED, 413),
        bearer=True,
        body=_object(
            ["acks"],
            acks={
                "type": "array",
                "minItems": 1,
                "items": _object(
                    ["id", "entryType", "conversationEntryId"],
                    id=_NONEMPTY,
                    entryType={"type": "string", "enum": ["Delivery", "Read"]},
                    conversationEntryId=_NONEMPTY,
                ),
            },
        ),
    ),
    ("DELETE", f"{V2}/conversation/{{cid}}/session"): Operation(
        "End the messaging session",
        errors=(*_OWNED, 409),
        bearer=True,
        params=(Param("esDeveloperName", "query", _STR),),
    ),
    ("GET", "/eventrouter/v1/sse"): Operation(
        "The end user's event stream (Server-Sent Events)",
        errors=(400, 401),
        bearer=True,
        media="text/event-stream",
        params=(
            Param("X-Org-Id", "header", _ORG, required=True),
            Param("Last-Event-Id", "header", {"type": "string", "pattern": "^[0-9]*$"}),
        ),
    ),
    ("GET", "/embeddedservice/v1/embedded-service-config"): Operation(
        "A deployment's published configuration",
        errors=(400,),
        params=(Param("orgId", "query", _ORG, required=True), Param("esConfigName", "query", _STR, required=True)),
    ),
    ("GET", "/control/info"): Operation("The org, its deployments and the clock", tags=("control",)),
    ("PUT", "/control/deployments/{name}"): Operation(
        "Save (not publish) a deployment's settings", errors=(400, 413), body={"type": "object"}, tags=("control",)
    ),
    ("POST", "/control/deployments/{name}/publish"): Operation(
        "Publish a deployment's saved settings", errors=(404,), tags=("control",)
    ),
    ("GET", "/control/conversations/{cid}"): Operation(
        "A conversation as the runtime holds it", errors=(400, 404), tags=("control",)
    ),
    ("POST", "/control/conversations/{cid}/participants"): Operation(
        "A rep, bot or supervisor joins",
        errors=(400, 404, 409, 413),
        body=_object(["role"], role=_ROLE, displayName=_STR),
        tags=("control",),
    ),
    ("POST", "/control/conversations/{cid}/messages"): Operation(
        "A rep, bot or supervisor writes",
        errors=(400, 404, 409, 413),
        body=_object(["role", "text"], role=_ROLE, text=_STR),
        tags=("control",),
    ),
    ("POST", "/control/conversations/{cid}/session/end"): Operation(
        "Someone ends the messaging session",
        errors=(400, 404, 409, 413),
        body=_object(["by"], by={"type": "string", "enum": ["Agent", "Chatbot", "EndUser", "Supervisor"]}),
        tags=("control",),
    ),
    ("POST", "/control/conversations/{cid}/session/inactivate"): Operation(
        "The session goes inactive", errors=(400, 404, 409), tags=("control",)
    ),
    ("POST", "/control/conversations/{cid}/transfer"): Operation(
        "The session is transferred", errors=(400, 404, 409), tags=("control",)
    ),
    ("GET", "/control/subjects"): Operation("Every end user with conversations", tags=("control",)),
    ("GET", "/control/subjects/{subject}/conversations"): Operation("An end user's conversations", tags=("control",)),
    ("GET", "/control/subjects/{subject}/last-event-id"): Operation(
        "An end user's newest event id and open streams", tags=("control",)
    ),
    ("POST", "/control/clock/advance"): Operation(
        "Move virtual time forward",
        errors=(400, 413),
        body=_object(["seconds"], seconds={"type": "number", "minimum": 0, "maximum": 316_224_000}),
        tags=("control",),
    ),
    ("GET", "/control/clock"): Operation("Virtual time and pending timers", tags=("control",)),
    ("POST", "/control/faults"): Operation(
        "Inject a fault",
        errors=(400, 413),
        body=_object(
            ["kind"],
            kind={"type": "string", "enum": ["drop_streams", "fail", "latency", "expire_tokens"]},
            subject=_STR,
            route=_STR,
            status={"type": "integer", "minimum": 400, "maximum": 599},
            count={"type": "integer", "minimum": 1},
            ms={"type": "integer", "minimum": 0, "maximum": 60_000},
        ),
        tags=("control",),
    ),
    ("DELETE", "/control/faults"): Operation("Clear injected faults", tags=("control",)),
    ("GET", "/control/retention"): Operation(
        "The retention policy, what is kept and what was evicted", tags=("control",)
    ),
    ("PUT", "/control/retention"): Operation(
        "Change the retention policy (until the next reset)",
        errors=(400, 413),
        body=_object((), ttlSeconds={"type": "integer", "minimum": 1}, maxClosed={"type": "integer", "minimum": 1}),
        tags=("control",),
    ),
    ("POST", "/control/reset"): Operation("Back to the configuration; every earlier token revoked", tags=("control",)),
    ("GET", "/openapi.json"): Operation("This document"),
}

V1 = "/iamessage/v1"
_V1_ERRORS = (400, 401, 403, 404, 409, 413, 429)  # 400 also for a body key outside v1's allow-list (§11.5)
_V1_TOKEN_ERRORS = (400, 401, 413, 429)
_ANY_BODY: dict[str, Any] = {"type": "object"}  # v1 bodies are checked key by key (harness.server.v1)
_PARTICIPANT_ERRORS = (400, 404, 409, 413)

OPERATIONS.update(
    {
        ("POST", f"{V1}/authorization/unauthenticated/accessToken"): Operation(
            "v1: mint an access token for a new anonymous end user (Web and In-App deployments)",
            errors=_V1_TOKEN_ERRORS,
            body=_ANY_BODY,
            tags=("v1",),
        ),
        ("POST", f"{V1}/authorization/unauthenticated/persistedToken"): Operation(
            "v1: mint a token that can be refreshed for the same anonymous end user",
            errors=_V1_TOKEN_ERRORS,
            body=_ANY_BODY,
            tags=("v1",),
        ),
        ("POST", f"{V1}/authorization/authenticated/accessToken"): Operation(
            "v1: mint an access token for a verified user (customer identity token)",
            errors=_V1_TOKEN_ERRORS,
            body=_ANY_BODY,
            tags=("v1",),
        ),
        ("GET", f"{V1}/authorization/continuityAccessToken"): Operation(
            "v1: a continuation token for the same user; it keeps the original expiry (§11.7)",
            errors=(400, 401, 403, 429),
            bearer=True,
            tags=("v1",),
        ),
        ("POST", f"{V1}/authorization/revokeToken"): Operation(
            "v1: revoke the token; the user's open streams end (§11.7)",
            errors=(400, 401, 413, 429),
            bearer=True,
            tags=("v1",),
        ),
        ("POST", f"{V1}/conversation"): Operation(
            "v1: create a conversation (201 with its participants)",
            ok=201,
            errors=_V1_ERRORS,
            body=_ANY_BODY,
            bearer=True,
            tags=("v1",),
        ),
        ("POST", f"{V1}/queries/conversation/list"): Operation(
            "v1: list the user's conversations", errors=_V1_ERRORS, body=_ANY_BODY, bearer=True, tags=("v1",)
        ),
        ("POST", f"{V1}/queries/conversation/{{cid}}/entries"): Operation(
            "v1: query a conversation's entries", errors=_V1_ERRORS, body=_ANY_BODY, bearer=True, tags=("v1",)
        ),
        ("DELETE", f"{V1}/conversation/{{cid}}"): Operation(
            "v1: close a conversation", errors=_V1_ERRORS, bearer=True, tags=("v1",)
        ),
        ("POST", f"{V1}/conversation/{{cid}}/message"): Operation(
            "v1: send a message (flat body; 200 with an empty object)",
            errors=(*_V1_ERRORS, 417),
            body=_ANY_BODY,
            bearer=True,
            tags=("v1",),
        ),
        ("POST", f"{V1}/conversation/{{cid}}/entry"): Operation(
            "v1: typing indicators and other entries", errors=_V1_ERRORS, body=_ANY_BODY, bearer=True, tags=("v1",)
        ),
        ("POST", f"{V1}/conversation/{{cid}}/deliveryAcknowledgeEntries"): Operation(
            "v1: acknowledge delivery of entries", errors=_V1_ERRORS, body=_ANY_BODY, bearer=True, tags=("v1",)
        ),
        ("POST", f"{V1}/conversation/{{cid}}/readAcknowledgeEntry"): Operation(
            "v1: acknowledge reading an entry", errors=_V1_ERRORS, body=_ANY_BODY, bearer=True, tags=("v1",)
        ),
        ("DELETE", f"{V1}/conversation/{{cid}}/session"): Operation(
            "v1: the end user ends the messaging session", errors=_V1_ERRORS, bearer=True, tags=("v1",)
        ),
        ("POST", f"{V1}/device/registerDeviceCapabilities"): Operation(
            "v1: register the device's capabilities", errors=_V1_ERRORS, body=_ANY_BODY, bearer=True, tags=("v1",)
        ),
        ("DELETE", f"{V2}/authorization/authenticated/access-token"): Operation(
            "Revoke the access token; the user's open streams end (§11.7)",
            ok=204,
            errors=(400, 401, 403, 429),
            bearer=True,
        ),
        ("POST", "/control/conversations/{cid}/participants/{name}/messages"): Operation(
            "A named rep or bot writes",
            errors=_PARTICIPANT_ERRORS,
            body=_object(["text"], text=_STR),
            tags=("control",),
        ),
        ("POST", "/control/conversations/{cid}/participants/{name}/leave"): Operation(
            "A named rep or bot leaves the conversation", errors=_PARTICIPANT_ERRORS, tags=("control",)
        ),
        ("POST", "/control/conversations/{cid}/participants/{name}/typing"): Operation(
            "A named rep or bot starts or stops typing",
            errors=_PARTICIPANT_ERRORS,
            body=_ANY_BODY,
            tags=("control",),
        ),
        ("POST", "/control/conversations/{cid}/participants/{name}/acks"): Operation(
            "A named rep or bot acknowledges delivery or reading of entries",
            errors=_PARTICIPANT_ERRORS,
            body=_ANY_BODY,
            tags=("control",),
        ),
        ("GET", "/control/conversations/{cid}/signals"): Operation(
            "The end user's typing indicators and acknowledgements", errors=(400, 404), tags=("control",)
        ),
    }
)


class UndocumentedRoute(Exception):
    """A route of the table that `OPERATIONS` does not describe."""


def iter_operations(routes: Iterable[BaseRoute], prefix: str = "") -> Iterable[tuple[str, str, list[str]]]:
    """(method, OpenAPI path, path parameter names) for every served operation, in table order."""
    for route in routes:
        if isinstance(route, Mount):
            yield from iter_operations(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            path = _PARAM.sub(r"{\1}", prefix + route.path)
            names = _PARAM.findall(route.path)
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, path, names


def _operation(method: str, path: str, names: list[str], spec: Operation) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}} for n in names
    ]
    if spec.bearer:
        params.append(_param(_BEARER))
    params.extend(_param(p) for p in spec.params)
    ok_content = (
        {"text/event-stream": {"schema": {"type": "string"}}}
        if spec.media == "text/event-stream"
        else {"application/json": {"schema": {"type": "object"}}}
    )
    responses: dict[str, Any] = {str(spec.ok): {"description": "done", "content": ok_content}}
    errors = set(spec.errors)
    if names:
        errors.add(404)  # a path parameter that no route pattern accepts (e.g. one holding a line break)
    for status in sorted(errors):
        responses[str(status)] = _ERROR
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{re.sub(r'[^0-9A-Za-z]+', '_', path).strip('_')}",
        "summary": spec.summary,
        "parameters": params,
        "responses": responses,
    }
    if spec.tags:
        operation["tags"] = list(spec.tags)
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": spec.body}}}
    return operation


def _param(p: Param) -> dict[str, Any]:
    return {"name": p.name, "in": p.where, "required": p.required, "schema": p.schema}


def build_document(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes`; raises UndocumentedRoute for a route `OPERATIONS` does not describe."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path, names in iter_operations(routes):
        spec = OPERATIONS.get((method, path))
        if spec is None:
            raise UndocumentedRoute(f"{method} {path} is served but not described in harness.server.openapi")
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, names, spec)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "miaw-harness mock MIAW runtime",
            "version": "v2",
            "description": "The v2 end-user API, the SSE stream and (when enabled) the /control API. "
            "Every refusal is a 4xx with a JSON `message`.",
        },
        "paths": paths,
    }
