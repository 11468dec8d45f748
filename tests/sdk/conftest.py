"""Fixtures of the SDK tests: the anyio backend and one loopback runtime per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.server import RunningServer, ServerConfig, start_in_thread


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def loopback() -> Iterator[RunningServer]:
    with start_in_thread(ServerConfig.default()) as server:
        yield server
