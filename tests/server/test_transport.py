"""The in-process transport streams bodies: an endless SSE stream yields its first frame and can be closed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.run.control import ControlClient
from harness.server import StreamingASGITransport, create_app
from server.server_helpers import Target, make_config, new_user

pytestmark = pytest.mark.anyio


async def test_endless_stream_is_readable_and_closing_it_disconnects_the_app() -> None:
    config = make_config()
    app = create_app(config)
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://miaw.test") as http:
        target = Target("asgi", http, ControlClient(http), config.org_id)
        user = await new_user(target)
        async with http.stream("GET", "/eventrouter/v1/sse", headers=user.sse_headers()) as response:
            lines = response.aiter_lines()
            assert await anext(lines) == "event: ping"
            assert await target.control.stream_count(user.subject) == 1
        assert await target.control.stream_count(user.subject) == 0


async def test_request_bodies_headers_and_query_reach_the_app() -> None:
    app = create_app(make_config())
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://miaw.test") as http:
        r = await http.get("/control/subjects/v2%2Fiamessage%2FUNAUTH%2FNA%2Fuid%3Ax/last-event-id")
        assert r.json() == {"lastEventId": "0", "streams": 0}
        r = await http.post("/control/clock/advance", json={"seconds": 2})
        assert r.status_code == 200 and r.json()["fired"] == 0
        r = await http.get("/embeddedservice/v1/embedded-service-config?orgId=00Dx&esConfigName=y")
        assert r.status_code == 400 and r.headers["content-type"] == "application/json"


async def test_app_errors_surface_as_json_500() -> None:
    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("boom")

    async with httpx.AsyncClient(transport=StreamingASGITransport(broken), base_url="http://miaw.test") as http:
        with pytest.raises(RuntimeError, match="boom"):
            await http.get("/")


async def test_a_finished_answer_arrives_whole_with_the_apps_own_headers() -> None:
    async def chunked(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 207, "headers": [(b"x-kind", b"parts")]})
        for part, more in ((b"one,", True), (b"", True), (b"two", False)):
            await send({"type": "http.response.body", "body": part, "more_body": more})

    async with httpx.AsyncClient(transport=StreamingASGITransport(chunked), base_url="http://miaw.test") as http:
        r = await http.get("/")
        assert (r.status_code, r.content, r.is_closed) == (207, b"one,two", True)
        assert list(r.headers.raw) == [(b"x-kind", b"parts")]
