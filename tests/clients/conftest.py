"""Fixtures of the client-adapter tests: a loopback runtime, Session-Based Chat on, that also serves the demo chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from harness.clients.demo_app import add_demo_client
from harness.run.control import ControlClient
from harness.server import RunningServer, start_in_thread
from harness.server.config import DeploymentSettings, ServerConfig


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sbc_config() -> ServerConfig:
    """Session-Based Chat on, a rep accepts every new session, and the close event follows a session end."""
    return ServerConfig(
        deployments={"MIAW_Web": DeploymentSettings(session_based_chat=True, emit_close_event_on_sbc_end=True)},
        signing_key="test-signing-key-0123456789abcdef0123456789",
    )


@pytest.fixture(scope="module")
def demo_server() -> Iterator[RunningServer]:
    with start_in_thread(sbc_config(), extend=add_demo_client) as server:
        yield server


@pytest.fixture
async def control(demo_server: RunningServer) -> AsyncIterator[ControlClient]:
    async with httpx.AsyncClient(base_url=demo_server.base_url, timeout=10.0) as http:
        client = ControlClient(http)
        await client.reset()
        yield client
