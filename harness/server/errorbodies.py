"""Error bodies as the runtime shapes them (miaw-api.md §11.3).

REST errors carry `message` only: the official web sample copies an error body onto its fetch `Response`
(`Object.assign`), which throws on any key a `Response` owns read-only. The event router is a different service: its
401 is a Spring-style body with `status`, `error` and `path` (a stream client does not copy it onto a Response).
"""

from __future__ import annotations

import datetime

from starlette.responses import JSONResponse

RESPONSE_OWNED_KEYS = frozenset({"status", "ok", "headers", "url", "type", "body", "statusText", "redirected"})


def event_router_401(message: str, now_ms: int, path: str) -> JSONResponse:
    """The event router's 401: `{"timestamp", "status": 401, "error": "Unauthorized", "message", "path"}`."""
    stamp = datetime.datetime.fromtimestamp(now_ms / 1000, datetime.UTC).isoformat(timespec="milliseconds")
    text = "Jwt is expired" if "expired" in message else message
    body = {
        "timestamp": stamp,
        "status": 401,
        "error": "Unauthorized",
        "message": text,
        "path": path,
    }
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
