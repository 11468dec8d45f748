"""The ASGI app: the public v2 REST endpoints (v1: `v1.py`), the SSE stream and the control API in one route table.

Over 400 lines because the route table is one list: every endpoint and its request parsing can be read in one place.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from harness.lifecycle import EndCause
from harness.server.apiversions import check_api_version
from harness.server.auth import AccessToken
from harness.server.bodies import read_json
from harness.server.config import ServerConfig
from harness.server.errorbodies import event_router_401
from harness.server.eventlog import PING_FRAME, Subscription, encode_frame
from harness.server.faults import ROUTES
from harness.server.messages import parse_sent_message
from harness.server.openapi import build_document
from harness.server.orgid import check_org_header
from harness.server.state import END_ROLES, LIST_LIMIT_MAX, PARTICIPANT_ROLES, ApiError, Conversation, Runtime
from harness.wire.events import EntryType, Role

if TYPE_CHECKING:
    from harness.server.participants import Signals

V2 = "/iamessage/api/v2"
MAX_ADVANCE_S = 10 * 366 * 86_400  # one clock move is at most ten years: virtual time stays a sane epoch-ms int
Handler = Callable[[Request], Awaitable[Response]]


class _Json(JSONResponse):
    """Starlette's JSONResponse with one shared encoder: `json.dumps` with options builds a new one per call."""

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))  # as JSONResponse renders


def _ok(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return _Json(body, status_code=status)


_log = logging.getLogger("harness.server")


def _error(status: int, message: str) -> JSONResponse:
    # Only `message` (§11.3): a browser client copies the body onto its Response, whose `status` is read-only.
    # A message may quote what the client sent: make sure it can always be written back as UTF-8.
    safe = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return _Json({"message": safe}, status_code=status)


def _str_field(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ApiError(400, f"{key} must be a non-empty string, got {value!r}")
    return value


def _int_query(request: Request, key: str, default: int | None, low: int, high: int | None) -> int | None:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"query parameter {key} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"query parameter {key} must be {bound}, got {value}")
    return value


def _bool_query(request: Request, key: str, default: bool) -> bool:
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ApiError(400, f"query parameter {key} must be true or false, got {raw!r}")


class MiawApi:
    """The handlers; each translates HTTP to one Runtime call and back."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.limit = runtime.config.max_body_bytes

    def route(self, name: str | None, handler: Handler) -> Handler:
        """Wrap a handler: injected faults first (by route name), then ApiError -> JSON 4xx."""
        rt = self.rt

        async def endpoint(request: Request) -> Response:
            try:
                if name is not None and rt.faults.routes:
                    latency_ms, status = rt.faults.take(name)
                    if latency_ms:
                        await asyncio.sleep(latency_ms / 1000)  # injected network latency, not a wait for an event
                    if status:
                        raise ApiError(status, f"injected fault: route {name} answers {status}")
                return await handler(request)
            except ApiError as exc:
                return _error(exc.status, exc.message)
            except Exception as exc:
                # A defect of the runtime, never the client's doing. Answered here (not re-raised to the server
                # layer) so the keep-alive connection survives and the client reads a JSON message.
                _log.exception("internal error on %s %s", request.method, request.url.path)
                return _error(500, f"internal error: {type(exc).__name__}")

        return endpoint

    def _access(self, request: Request) -> AccessToken:
        access = self.rt.authenticate(request.headers.get("authorization"))
        self._serve(access.deployment)
        return access

    def _serve(self, name: object) -> None:
        """§11.8: v2 answers only for API deployments."""
        deployment = self.rt.deployments.get(name) if isinstance(name, str) else None
        if deployment is not None:
            check_api_version(deployment.published, deployment.name, "v2")

    def _owned(self, request: Request) -> tuple[AccessToken, Conversation]:
        access = self._access(request)
        return access, self.rt.owned(access, request.path_params["cid"])

    # -- v2 ---------------------------------------------------------------------------------------------------
    async def unauthenticated_token(self, request: Request) -> Response:
        data = await read_json(request, self.limit)
        for key in ("capabilitiesVersion", "platform"):
            _str_field(data, key, required=False)
        self._serve(data.get("esDeveloperName"))
        return _ok(self.rt.issue_token(data.get("orgId"), data.get("esDeveloperName")))

    async def authenticated_token(self, request: Request) -> Response:
        data = await read_json(request, self.limit)
        self._serve(data.get("esDeveloperName"))
        answer = self.rt.issue_verified_token(
            data.get("orgId"),
            data.get("esDeveloperName"),
            data.get("authorizationType"),
            data.get("customerIdentityToken"),
        )
        return _ok(answer)

    async def continuation_token(self, request: Request) -> Response:
        return _ok(self.rt.continuation(self._access(request)))

    async def create_conversation(self, request: Request) -> Response:
        access = self._access(request)
        data = await read_json(request, self.limit)
        conv = self.rt.create_conversation(
            access, data.get("conversationId"), data.get("esDeveloperName"), data.get("routingAttributes")
        )
        return _ok({"conversationId": conv.conversation_id, "startTimestamp": conv.start_ms}, 201)

    async def list_conversations(self, request: Request) -> Response:
        access = self._access(request)
        include_closed = _bool_query(request, "inclClosedConvs", False)
        limit = _int_query(request, "limit", 20, 1, LIST_LIMIT_MAX)
        assert limit is not None
        return _ok(self.rt.list_conversations(access, include_closed, limit))

    async def list_entries(self, request: Request) -> Response:
        _, conv = self._owned(request)
        limit = _int_query(request, "limit", 20, 1, LIST_LIMIT_MAX)
        assert limit is not None
        direction = request.query_params.get("direction") or "FromEnd"
        if direction not in ("FromStart", "FromEnd"):
            raise ApiError(400, f"query parameter direction must be FromStart or FromEnd, got {direction!r}")
        types: set[EntryType] | None = None
        raw_filter = request.query_params.get("entryTypeFilter")
        if raw_filter:
            try:
                types = {EntryType(t.strip()) for t in raw_filter.split(",") if t.strip()}
            except ValueError as exc:
                raise ApiError(400, f"query parameter entryTypeFilter: {exc}") from None
        answer = self.rt.list_entries(
            conv,
            limit=limit,
            direction=direction,
            types=types,
            start_ms=_int_query(request, "startTimestamp", None, 0, None),
            end_ms=_int_query(request, "endTimestamp", None, 0, None),
        )
        return _ok(answer)

    async def send_message(self, request: Request) -> Response:
        access, conv = self._owned(request)
        data = await read_json(request, self.limit)
        message = data.get("message")
        if not isinstance(message, dict):
            raise ApiError(400, "message must be an object with id, messageType and staticContent")
        sent = parse_sent_message(message, data.get("isNewMessagingSession", False), "message.")
        entry = self.rt.send_message(
            access,
            conv,
            message_id=sent.message_id,
            text=sent.text,
            message_type=sent.message_type,
            new_session=sent.new_session,
            routing_attributes=data.get("routingAttributes"),
            deployment=data.get("esDeveloperName"),
            in_reply_to=sent.in_reply_to,
        )
        return _ok({"conversationEntries": [{"id": entry.identifier, "clientTimestamp": entry.client_timestamp}]}, 202)

    async def post_entry(self, request: Request) -> Response:
        access, conv = self._owned(request)
        data = await read_json(request, self.limit)
        self.rt.post_entry(access, conv, data.get("entryType"), data.get("id"))
        _signals(self.rt).typing(conv, str(data["entryType"]), self.rt.now_ms)
        return _ok({"conversationId": conv.conversation_id, "entryType": data["entryType"], "id": data["id"]}, 202)

    async def acknowledge(self, request: Request) -> Response:
        _, conv = self._owned(request)
        data = await read_json(request, self.limit)
        count = self.rt.acknowledge(conv, data.get("acks"))
        _signals(self.rt).acks(conv, list(data["acks"]), self.rt.now_ms)
        return _ok({"conversationId": conv.conversation_id, "acknowledged": count}, 202)

    async def close_conversation(self, request: Request) -> Response:
        access, conv = self._owned(request)
        self.rt.close_conversation(access, conv, request.query_params.get("esDeveloperName"))
        return _ok(_status(conv))

    async def end_session(self, request: Request) -> Response:
        access, conv = self._owned(request)
        self.rt.check_deployment(access, request.query_params.get("esDeveloperName"))
        self.rt.end_session(conv, EndCause.END_USER)
        return _ok(_status(conv))

    async def routing_status(self, request: Request) -> Response:
        _, conv = self._owned(request)
        return _ok({"conversationId": conv.conversation_id, "routingStatus": conv.routing_status()})

    async def embedded_service_config(self, request: Request) -> Response:
        org_id = request.query_params.get("orgId")
        name = request.query_params.get("esConfigName")
        if org_id is None or name is None:
            raise ApiError(400, "query parameters orgId and esConfigName are required")
        self.rt.check_org(org_id)
        return _ok({"embeddedServiceConfig": self.rt.embedded_service_config(name)})

    async def sse(self, request: Request) -> Response:
        try:  # the event router serves every API version: no deployment-type check here
            access = self.rt.authenticate(request.headers.get("authorization"))
        except ApiError as exc:
            if exc.status != 401:
                raise
            return event_router_401(exc.message, self.rt.now_ms, request.url.path)
        check_org_header(self.rt.config.fidelity.x_org_id_rule, request.headers.get("x-org-id"), access.org_id)
        newest = self.rt.events.last_id(access.subject)
        raw_last = request.headers.get("last-event-id")
        if (raw_last is None or raw_last == "") and self.rt.config.fidelity.sse_replay_without_last_event_id:
            last_id = 0  # §11.6: a new stream without Last-Event-Id replays the subject's events (live-only: §4.3)
        else:
            last_id = resume_point(raw_last, newest)
        ping_s = self.rt.published(access.deployment).sse_ping_interval_s
        sub = self.rt.events.subscribe(access.subject, last_id)
        return StreamingResponse(
            self._frames(sub, access, ping_s),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _frames(self, sub: Subscription, access: AccessToken, ping_s: float) -> AsyncIterator[bytes]:
        # Replay first (every frame after the client's last id), then live frames as `append` wakes us. Every
        # wake-up (a frame, a ping tick, the clock reaching the token's expiry, a revocation) re-checks the
        # stream's token: once it has expired or been revoked the stream ends, and the client's reconnect with that
        # token is a 401 (re-mint, then resume from the last id it processed).
        events = self.rt.events
        pings = 0
        expiry = self.rt.clock.call_at(access.expires_ms, sub.wakeup.set)  # fires on any clock move past `exp`
        try:
            yield PING_FRAME
            while True:
                sub.wakeup.clear()
                if not self.rt.tokens.is_valid(access, now_ms=self.rt.now_ms):
                    return
                frames = events.since(sub.subject, sub.last_id)
                if frames:
                    sub.last_id = frames[-1].event_id
                    yield b"".join(f.wire for f in frames)
                    continue
                if sub.dropped:
                    return
                try:
                    async with asyncio.timeout(ping_s):
                        await sub.wakeup.wait()
                except TimeoutError:
                    pings += 1  # §11.10: ping data is an incrementing counter
                    yield encode_frame(None, "ping", str(pings))
        finally:
            expiry.cancel()
            events.unsubscribe(sub)


def _signals(runtime: Runtime) -> Signals:
    from harness.server.participants import signals_of

    return signals_of(runtime)


def resume_point(raw: str | None, newest: int) -> int:
    """Where a stream starts: the id after which frames are sent, from the client's Last-Event-Id header.

    The rule: no header (or an empty one) means "from now on" (`newest`). Otherwise the header must be a plain
    decimal event id (ASCII digits only: no sign, spaces or underscores; anything else is a 400). An id up to the
    newest replays every later frame; an id beyond the newest (a stale id from before a reset or an eviction, or a
    made-up one) replays nothing and delivers every frame after the current newest, so it can never swallow later
    events.
    """
    if raw is None or raw == "":
        return newest
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdigit()):
        raise ApiError(400, f"Last-Event-Id must be a non-negative decimal event id, got {raw[:40]!r}")
    if len(digits) > 18:
        return newest
    return min(int(digits or "0"), newest)


def _status(conv: Conversation) -> dict[str, Any]:
    lc = conv.lifecycle
    return {
        "conversationId": conv.conversation_id,
        "conversationStatus": lc.conversation.value,
        "sessionStatus": lc.session.value if lc.session else None,
        "endTimestamp": conv.end_ms,
    }


class ControlApi:
    """Everyone who is not the end user: reps, bots, timers, the admin, and fault injection."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.limit = runtime.config.max_body_bytes

    def _conv(self, request: Request) -> Conversation:
        return self.rt.conversation(request.path_params["cid"])

    async def info(self, request: Request) -> Response:
        return _ok(
            {
                "org_id": self.rt.org_id,
                "base_url": str(request.base_url).rstrip("/"),
                "deployments": {name: d.to_json() for name, d in self.rt.deployments.items()},
                "now_ms": self.rt.now_ms,
            }
        )

    async def save_deployment(self, request: Request) -> Response:
        data = await read_json(request, self.limit)
        name = request.path_params["name"]
        return _ok({"name": name, **self.rt.save_settings(name, data).to_json()})

    async def publish(self, request: Request) -> Response:
        name = request.path_params["name"]
        return _ok({"name": name, **self.rt.publish(name).to_json()})

    async def conversation(self, request: Request) -> Response:
        return _ok(self._conv(request).to_control())

    async def subjects(self, request: Request) -> Response:
        return _ok({"subjects": sorted(s for s, convs in self.rt.by_subject.items() if convs)})

    async def subject_conversations(self, request: Request) -> Response:
        subject = request.path_params["subject"]
        convs = self.rt.by_subject.get(subject, [])
        return _ok({"conversations": [c.to_control() for c in convs]})

    async def last_event_id(self, request: Request) -> Response:
        subject = request.path_params["subject"]
        return _ok(
            {
                "lastEventId": str(self.rt.events.last_id(subject)),
                "streams": self.rt.events.stream_count(subject),
            }
        )

    async def participants(self, request: Request) -> Response:
        conv = self._conv(request)
        data = await read_json(request, self.limit)
        role = _role(data.get("role"), PARTICIPANT_ROLES)
        name = _str_field(data, "displayName", required=False)
        participant = self.rt.join(conv, role, name)
        return _ok({"participant": participant.to_json(), "conversation": conv.to_control()})

    async def messages(self, request: Request) -> Response:
        conv = self._conv(request)
        data = await read_json(request, self.limit)
        role = _role(data.get("role"), PARTICIPANT_ROLES)
        text = data.get("text")
        if not isinstance(text, str):
            raise ApiError(400, f"text must be a string, got {text!r}")
        speaker = _str_field(data, "displayName", required=False)
        if speaker is not None:
            from harness.server.participants import find_participant

            found = find_participant(conv, speaker)
            if found.role is not role:
                raise ApiError(400, f"{speaker!r} is a {found.role.value}, not a {role.value}")
            entry = self.rt.say(conv, role, text, speaker=found)
        else:
            entry = self.rt.say(conv, role, text)
        return _ok({"id": entry.identifier, "transcriptedTimestamp": entry.transcripted_timestamp})

    async def end_session(self, request: Request) -> Response:
        conv = self._conv(request)
        data = await read_json(request, self.limit)
        by = data.get("by")
        if not isinstance(by, str) or by not in END_ROLES:
            raise ApiError(400, f"by must be one of {', '.join(END_ROLES)}, got {by!r}")
        self.rt.end_session(conv, END_ROLES[by])
        return _ok(conv.to_control())

    async def inactivate(self, request: Request) -> Response:
        conv = self._conv(request)
        self.rt.inactivate(conv)
        return _ok(conv.to_control())

    async def transfer(self, request: Request) -> Response:
        conv = self._conv(request)
        self.rt.transfer(conv)
        return _ok(conv.to_control())

    async def advance(self, request: Request) -> Response:
        data = await read_json(request, self.limit)
        seconds = data.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_ADVANCE_S:
            raise ApiError(400, f"seconds must be a non-negative number of at most {MAX_ADVANCE_S}, got {seconds!r}")
        fired = self.rt.advance(seconds)
        return _ok({"now_ms": self.rt.now_ms, "fired": fired})

    async def clock(self, request: Request) -> Response:
        return _ok({"now_ms": self.rt.now_ms, "pendingTimers": self.rt.clock.pending()})

    async def add_fault(self, request: Request) -> Response:
        data = await read_json(request, self.limit)
        kind = data.get("kind")
        answer: dict[str, Any] = {"kind": kind}
        if kind == "drop_streams":
            subject = _str_field(data, "subject", required=False)
            answer["dropped"] = self.rt.events.drop(subject)
        elif kind == "expire_tokens":
            subject = _str_field(data, "subject", required=False)
            self.rt.revoke_tokens(subject)
        elif kind in ("fail", "latency"):
            route = data.get("route")
            if route not in ROUTES:
                raise ApiError(400, f"route must be one of {', '.join(ROUTES)}, got {route!r}")
            if kind == "fail":
                status = _int_field(data, "status", 400, 599)
                count = _int_field(data, "count", 1, None, default=1)
                self.rt.faults.fail(route, status, count)
            else:
                self.rt.faults.latency(route, _int_field(data, "ms", 0, 60_000))
        else:
            raise ApiError(400, f"kind must be drop_streams, fail, latency or expire_tokens, got {kind!r}")
        answer["faults"] = self.rt.faults.to_json()
        return _ok(answer)

    async def clear_faults(self, request: Request) -> Response:
        self.rt.faults.clear()
        return _ok({"faults": {}})

    async def retention(self, request: Request) -> Response:
        return _ok(self.rt.retention_stats())

    async def set_retention(self, request: Request) -> Response:
        data = await read_json(request, self.limit)
        unknown = sorted(set(data) - {"ttlSeconds", "maxClosed"})
        if unknown:
            raise ApiError(400, f"unknown retention setting(s) {', '.join(unknown)} (known: ttlSeconds, maxClosed)")
        self.rt.set_retention(data.get("ttlSeconds"), data.get("maxClosed"))
        return _ok(self.rt.retention_stats())

    async def reset(self, request: Request) -> Response:
        self.rt.reset()
        return _ok({"reset": True, "now_ms": self.rt.now_ms})


def _role(raw: object, allowed: tuple[Role, ...]) -> Role:
    names = [r.value for r in allowed]
    if raw not in names:
        raise ApiError(400, f"role must be one of {', '.join(names)}, got {raw!r}")
    return Role(str(raw))


def _int_field(data: dict[str, Any], key: str, low: int, high: int | None, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"{key} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"{key} must be {bound}, got {value}")
    return value


class BrowserCors(CORSMiddleware):
    """CORS for the requests a browser makes (they carry Origin); every other request goes straight to the app.

    Starlette's middleware wraps `send` and rewrites the headers of every response; an SDK or a load generator sends
    no Origin, and the CORS headers mean nothing to it, so that work is skipped for them.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    else:
        message = str(exc.detail)
    return JSONResponse({"message": message}, exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return _error(500, f"internal error: {type(exc).__name__}")


def _fidelity_routes(runtime: Runtime, wrap: Callable[[str | None, Handler], Handler]) -> list[BaseRoute]:
    from harness.server.v1 import v1_routes  # v1 builds on this module's helpers

    return v1_routes(runtime, wrap)


def _participant_routes(runtime: Runtime, wrap: Callable[[str | None, Handler], Handler]) -> list[BaseRoute]:
    from harness.server.participants import participant_routes

    return participant_routes(runtime, wrap)


def _fidelity_middleware(runtime: Runtime, *, sandbox_like: bool) -> list[Middleware]:
    """Rate limits (§11.9) when on, and the wall clock when `fidelity.clock` is "wall"."""
    from harness.server.ratelimit import RateLimitMiddleware
    from harness.server.wallclock import WallClockMiddleware, wall_ms

    fidelity = runtime.config.fidelity
    middleware: list[Middleware] = []
    if fidelity.clock == "wall":
        middleware.append(Middleware(WallClockMiddleware, runtime=runtime))
    if fidelity.rate_limits_on(sandbox_like=sandbox_like):
        # Windows slide on the runtime clock, which tests advance; a frozen clock nobody can advance (the
        # sandbox-like mode has no control API) would hold a window shut forever, so there the wall clock counts.
        frozen_for_good = sandbox_like and fidelity.clock == "frozen"
        now_ms = wall_ms if frozen_for_good else (lambda: runtime.now_ms)
        middleware.append(Middleware(RateLimitMiddleware, settings=fidelity, now_ms=now_ms))
    return middleware


def create_app(config: ServerConfig, *, control: bool = True) -> Starlette:
    """The mock MIAW runtime as an ASGI app; `control=False` is the sandbox-like mode (no /control routes)."""
    runtime = Runtime(config)
    api = MiawApi(runtime)
    r = api.route
    routes: list[BaseRoute] = [
        # The routes an app calls on every message first: Starlette tries them in order.
        Route(f"{V2}/conversation/{{cid}}/message", r("send_message", api.send_message), methods=["POST"]),
        Route(f"{V2}/conversation/{{cid}}/acknowledge-entries", r("acknowledge", api.acknowledge), methods=["POST"]),
        Route(f"{V2}/conversation/{{cid}}/entry", r("entry", api.post_entry), methods=["POST"]),
        Route(f"{V2}/conversation/{{cid}}/entries", r("list_entries", api.list_entries), methods=["GET"]),
        Route("/eventrouter/v1/sse", r("sse", api.sse), methods=["GET"]),
        Route(
            f"{V2}/authorization/unauthenticated/access-token", r("token", api.unauthenticated_token), methods=["POST"]
        ),
        Route(f"{V2}/authorization/authenticated/access-token", r("token", api.authenticated_token), methods=["POST"]),
        Route(
            f"{V2}/authorization/continuation-access-token", r("continuation", api.continuation_token), methods=["GET"]
        ),
        Route(f"{V2}/conversation", r("create_conversation", api.create_conversation), methods=["POST"]),
        Route(f"{V2}/conversation/list", r("list_conversations", api.list_conversations), methods=["GET"]),
        Route(f"{V2}/conversation/{{cid}}", r("routing_status", api.routing_status), methods=["GET"]),
        Route(f"{V2}/conversation/{{cid}}", r("close_conversation", api.close_conversation), methods=["DELETE"]),
        Route(f"{V2}/conversation/{{cid}}/session", r("end_session", api.end_session), methods=["DELETE"]),
        Route("/embeddedservice/v1/embedded-service-config", r(None, api.embedded_service_config), methods=["GET"]),
        *_fidelity_routes(runtime, r),
    ]
    if control:
        c = ControlApi(runtime)
        routes.insert(
            0,  # first: most in-process requests are control calls, and the prefix rules out v2 paths at once
            Mount(
                "/control",
                routes=[
                    Route("/info", r(None, c.info), methods=["GET"]),
                    Route("/deployments/{name}", r(None, c.save_deployment), methods=["PUT"]),
                    Route("/deployments/{name}/publish", r(None, c.publish), methods=["POST"]),
                    Route("/conversations/{cid}", r(None, c.conversation), methods=["GET"]),
                    Route("/conversations/{cid}/participants", r(None, c.participants), methods=["POST"]),
                    Route("/conversations/{cid}/messages", r(None, c.messages), methods=["POST"]),
                    Route("/conversations/{cid}/session/end", r(None, c.end_session), methods=["POST"]),
                    Route("/conversations/{cid}/session/inactivate", r(None, c.inactivate), methods=["POST"]),
                    Route("/conversations/{cid}/transfer", r(None, c.transfer), methods=["POST"]),
                    Route("/subjects", r(None, c.subjects), methods=["GET"]),
                    Route("/subjects/{subject:path}/conversations", r(None, c.subject_conversations), methods=["GET"]),
                    Route("/subjects/{subject:path}/last-event-id", r(None, c.last_event_id), methods=["GET"]),
                    Route("/clock/advance", r(None, c.advance), methods=["POST"]),
                    Route("/clock", r(None, c.clock), methods=["GET"]),
                    Route("/faults", r(None, c.add_fault), methods=["POST"]),
                    Route("/faults", r(None, c.clear_faults), methods=["DELETE"]),
                    Route("/retention", r(None, c.retention), methods=["GET"]),
                    Route("/retention", r(None, c.set_retention), methods=["PUT"]),
                    Route("/reset", r(None, c.reset), methods=["POST"]),
                    *_participant_routes(runtime, r),
                ],
            ),
        )
    document: dict[str, Any] = {}

    async def openapi(request: Request) -> Response:
        return _ok(document)

    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    document.update(build_document(routes))  # from this very table: a route without a description fails here
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(BrowserCors, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]),
            *_fidelity_middleware(runtime, sandbox_like=not control),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    # A path with a trailing slash (e.g. a conversation id ending in an encoded "/") is a 404 with a JSON message,
    # never Starlette's 307 to the same path without it: clients of the real runtime get no redirect either.
    app.router.redirect_slashes = False
    app.state.runtime = runtime
    return app
