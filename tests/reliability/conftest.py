"""Fixtures of the reliability suite: one real uvicorn on loopback per module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from server.server_helpers import make_config

from harness.server import RunningServer, start_in_thread


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with start_in_thread(make_config()) as running:
        yield running


@pytest.fixture
def fresh(server: RunningServer) -> RunningServer:
    """The module's server, reset to its configuration."""
    httpx.post(f"{server.base_url}/control/reset", json={}, timeout=10).raise_for_status()
    return server
