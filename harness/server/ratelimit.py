"""Rate limits of the Help page "Messaging for In-App and Web rate limits" (miaw-api.md §11.9), on the runtime clock.

Access tokens: 200 a minute per org; renewals (continuation tokens): 200 a minute per org; conversation starts: 3 per
page (one end-user identity here) per 30 s; inbound messages: 22 a minute per conversation. Past a limit the answer
is 429 with a JSON `message` and a `Retry-After` in whole seconds. The limits are an ASGI middleware in front of
the routes, installed only when they are on (off in conformance runs, on in the sandbox-like mode).
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from harness.server.fidelity import FidelitySettings

_TOKEN = re.compile(
    r"^/iamessage/(?:api/v2/authorization/(?:un)?authenticated/access-token"
    r"|v1/authorization/(?:un)?authenticated/(?:accessToken|persistedToken))$"
)
_RENEWAL = re.compile(
    r"^/iamessage/(?:api/v2/authorization/continuation-access-token"
    r"|v1/authorization/(?:continuityAccessToken|renewToken))$"
)
_CREATE = re.compile(r"^/iamessage/(?:api/v2|v1)/conversation$")
_MESSAGE = re.compile(r"^/iamessage/(?:api/v2|v1)/conversation/([^/]+)/message$")


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: int
    window_ms: int


@dataclass(slots=True)
class SlidingWindow:
    """At most `limit.count` hits per key in any `limit.window_ms`; `hit` answers the wait in ms (0 = allowed)."""

    limit: Limit
    hits: dict[str, deque[int]] = field(default_factory=dict)

    def hit(self, key: str, now_ms: int) -> int:
        window = self.hits.setdefault(key, deque())
        if window and window[-1] > now_ms:  # the clock was reset: earlier hits belong to another run
            window.clear()
        while window and window[0] <= now_ms - self.limit.window_ms:
            window.popleft()
        if len(window) >= self.limit.count:
            return window[0] + self.limit.window_ms - now_ms
        window.append(now_ms)
        return 0


def limits_of(settings: FidelitySettings) -> dict[str, Limit]:
    return {
        "token": Limit("access tokens per org", settings.rate_tokens_per_min, 60_000),
        "renewal": Limit("token renewals per org", settings.rate_continuations_per_min, 60_000),
        "create": Limit(
            "conversation starts per end user",
            settings.rate_conversation_starts,
            settings.rate_conversation_window_s * 1000,
        ),
        "message": Limit("inbound messages per conversation", settings.rate_messages_per_min, 60_000),
    }


def classify(method: str, path: str, authorization: str) -> tuple[str, str] | None:
    """(limit name, key) for a request a limit counts, else None."""
    if method == "POST" and _TOKEN.match(path):
        return "token", "org"
    if method in ("GET", "POST") and _RENEWAL.match(path):
        return "renewal", "org"
    if method == "POST" and _CREATE.match(path):
        return "create", authorization
    if method == "POST" and (m := _MESSAGE.match(path)):
        return "message", m.group(1)
    return None


class RateLimitMiddleware:
    """Counts the limited requests on `now_ms` (the runtime clock) and answers 429 past a limit."""

    def __init__(self, app: ASGIApp, *, settings: FidelitySettings, now_ms: Callable[[], int]) -> None:
        self.app = app
        self.now_ms = now_ms
        self.windows = {name: SlidingWindow(limit) for name, limit in limits_of(settings).items()}

    def reset(self) -> None:
        for window in self.windows.values():
            window.hits.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = ""
            for name, value in scope.get("headers", ()):
                if name == b"authorization":
                    authorization = value.decode("latin-1")
            picked = classify(scope["method"], scope["path"], authorization)
            if picked is not None:
                window = self.windows[picked[0]]
                wait_ms = window.hit(picked[1], self.now_ms())
                if wait_ms > 0:
                    await _too_many(send, window.limit, wait_ms)
                    return
        await self.app(scope, receive, send)


async def _too_many(send: Send, limit: Limit, wait_ms: int) -> None:
    retry_after = max(1, math.ceil(wait_ms / 1000))
    body = json.dumps(
        {
            "message": f"Too many requests: the limit of {limit.count} {limit.name} per {limit.window_ms // 1000} s "
            f"was reached; retry after {retry_after} s"
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
