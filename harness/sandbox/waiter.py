"""Bounded waits on a condition read from the runtime: poll at a steady pace until it holds or the bound runs out."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio

__all__ = ["Waiter"]


@dataclass
class Waiter:
    """`until(check)` re-reads `check` every `poll_s` seconds for at most `timeout_s`; True once it held."""

    timeout_s: float = 300.0
    poll_s: float = 3.0
    pause: Callable[[float], Awaitable[None]] = field(default=anyio.sleep)
    clock: Callable[[], float] = field(default=time.monotonic)
    polls: int = 0  # how many times the last `until` read the condition

    async def until(self, check: Callable[[], Awaitable[bool]]) -> bool:
        deadline = self.clock() + self.timeout_s
        self.polls = 0
        while True:
            self.polls += 1
            if await check():
                return True
            if self.clock() >= deadline:
                return False
            await self.pause(self.poll_s)  # the pace of the polling, not a guess at when the condition holds
