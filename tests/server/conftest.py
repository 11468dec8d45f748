"""Fixtures of the server tests: every API test runs over the in-process transport and over real uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from harness.run.control import ControlClient
from harness.server import RunningServer, StreamingASGITransport, create_app, start_in_thread
from server.server_helpers import Target, make_config


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def loopback_server() -> Iterator[RunningServer]:
    with start_in_thread(make_config()) as server:
        yield server


@pytest.fixture(params=["asgi", "uvicorn"])
async def target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    config = make_config()
    if request.param == "asgi":
        transport = StreamingASGITransport(create_app(config))
        http = httpx.AsyncClient(transport=transport, base_url="http://miaw.test", timeout=10.0)
    else:
        server: RunningServer = request.getfixturevalue("loopback_server")
        http = httpx.AsyncClient(base_url=server.base_url, timeout=10.0)
    async with http:
        control = ControlClient(http)
        await control.reset()
        yield Target(request.param, http, control, config.org_id)
