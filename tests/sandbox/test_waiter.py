"""Bounded polling: it stops as soon as the condition holds, and gives up at the bound."""

from __future__ import annotations

import pytest

from harness.sandbox.waiter import Waiter

pytestmark = pytest.mark.anyio


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def pause(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(
    ("holds_at", "timeout", "expected", "polls"), [(0, 10, True, 1), (3, 10, True, 4), (99, 6, False, 4)]
)
async def test_until(holds_at: int, timeout: float, expected: bool, polls: int) -> None:
    time = FakeTime()
    calls = 0

    async def check() -> bool:
        nonlocal calls
        calls += 1
        return calls > holds_at

    waiter = Waiter(timeout_s=timeout, poll_s=2.0, pause=time.pause, clock=time.clock)
    assert await waiter.until(check) is expected
    assert waiter.polls == polls == calls
