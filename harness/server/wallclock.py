"""`clock = "wall"`: the runtime's virtual clock follows the wall clock, for real clients over long sessions.

Entries, token expiries and timers then run in real time, and the control API's advance still jumps ahead (the jump
is kept). The clock is brought up to date before every request and, while a server runs, once a second so timers
fire without traffic. In-process conformance runs keep the default frozen clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from harness.server.clock import DEFAULT_START_MS, WallSync
from harness.server.state import Runtime


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class WallClockMiddleware:
    """Syncs `runtime.clock` to the wall before each request; `tick_s` (None: off) also syncs in the background."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        runtime: Runtime,
        wall: Callable[[], int] = wall_ms,
        tick_s: float | None = 1.0,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.wall = wall
        self.tick_s = tick_s
        # An explicit start time is kept; the default start (2026-01-01) is replaced by "now".
        self.start_at_wall = runtime.config.clock_start_ms == DEFAULT_START_MS
        self._sync: WallSync | None = None
        self._ticker: asyncio.Task[None] | None = None

    def sync(self) -> int:
        clock = self.runtime.clock
        if self._sync is None or self._sync.clock is not clock:  # first request, or the runtime was reset
            if self.start_at_wall:
                clock.advance(max(0, self.wall() - clock.now_ms) / 1000)
            self._sync = WallSync(clock, self.wall)
        return self._sync.sync()

    async def _tick(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)  # a periodic wall-clock tick, not a wait for an event
            self.sync()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.sync()
            if self.tick_s is not None and (self._ticker is None or self._ticker.done()):
                with contextlib.suppress(RuntimeError):
                    self._ticker = asyncio.get_running_loop().create_task(self._tick(self.tick_s))
        await self.app(scope, receive, send)
