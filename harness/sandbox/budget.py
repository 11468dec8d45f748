"""The request budget of a sandbox run: a pace (requests per second), a ceiling, one host, and timeouts."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
import httpx

from harness.sandbox.config import SandboxConfig

__all__ = ["CLEANUP_RESERVE", "DEFAULT_TIMEOUT", "Budget", "BudgetExceeded", "GuardedTransport", "guarded_client"]

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
CLEANUP_RESERVE = 60  # requests kept for closing what the run opened, even past the ceiling


class BudgetExceeded(Exception):
    """The run reached its request ceiling, or tried to leave the target host: it stops rather than flood an org."""


@dataclass
class Budget:
    """At most `max_requests` requests, started at least `1 / per_second` seconds apart."""

    max_requests: int = 300
    per_second: float = 10.0
    used: int = 0
    _next_start: float = 0.0

    def __post_init__(self) -> None:
        if self.max_requests < 1 or self.per_second <= 0:
            raise ValueError("a budget needs max_requests >= 1 and per_second > 0")

    def extend(self, extra: int) -> None:
        """Allow `extra` more requests (the reserve that lets cleanup run after the ceiling was reached)."""
        self.max_requests += extra

    def take(self, now: float) -> float:
        """Book one request at monotonic time `now`; returns how long to wait before sending it."""
        if self.used >= self.max_requests:
            raise BudgetExceeded(
                f"request ceiling of {self.max_requests} reached: the run stops instead of flooding the org"
            )
        self.used += 1
        start = max(now, self._next_start)
        self._next_start = start + 1.0 / self.per_second
        return start - now


class GuardedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: only `host` may be called, and every request is paced and counted by `budget`."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        budget: Budget,
        host: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.inner = inner
        self.budget = budget
        self.host = host
        self.clock = clock
        self.pause = pause
        self._lock = anyio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.host:
            raise BudgetExceeded(f"refused a request to {request.url.host}: this run may only call {self.host}")
        async with self._lock:
            delay = self.budget.take(self.clock())
        if delay > 0:
            await self.pause(delay)  # pacing toward the org's rate limits, not a wait for an event
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def guarded_client(
    config: SandboxConfig, budget: Budget, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT
) -> httpx.AsyncClient:
    """An AsyncClient for the target: its TLS trust, its host only, paced and bounded, no redirects followed."""
    inner = httpx.AsyncHTTPTransport(verify=config.verify(), retries=0)
    transport = GuardedTransport(inner, budget, config.host)
    return httpx.AsyncClient(base_url=config.scrt_url, transport=transport, timeout=timeout, follow_redirects=False)
