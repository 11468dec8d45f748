"""The runtime's virtual clock: epoch milliseconds that move only when told, with timers that fire on advance."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
_COMPACT_EVERY = 4096


@dataclass(order=True, slots=True)
class Timer:
    """A callback due at `due_ms`; cancelling it keeps it in the heap but makes it a no-op."""

    due_ms: int
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


@dataclass(slots=True)
class VirtualClock:
    """Time stands still until `advance`; due timers fire in (due time, creation order), each at its own instant."""

    now_ms: int = DEFAULT_START_MS
    _timers: list[Timer] = field(default_factory=list)
    _seq: int = 0

    def call_at(self, due_ms: int, callback: Callable[[], None]) -> Timer:
        self._seq += 1
        if self._seq % _COMPACT_EVERY == 0:
            # re-armed timers leave cancelled ones behind; drop them so a long run does not grow the heap forever
            self._timers = [t for t in self._timers if not t.cancelled]
            heapq.heapify(self._timers)
        timer = Timer(max(due_ms, self.now_ms), self._seq, callback)
        heapq.heappush(self._timers, timer)
        return timer

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.now_ms + round(seconds * 1000), callback)

    def advance(self, seconds: float) -> int:
        """Move forward by `seconds`, firing every timer that falls due (also ones armed by callbacks on the way).

        Returns the number of timers fired.
        """
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        target = self.now_ms + round(seconds * 1000)
        fired = 0
        while self._timers and self._timers[0].due_ms <= target:
            timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self.now_ms = timer.due_ms
            timer.callback()
            fired += 1
        self.now_ms = target
        return fired

    def pending(self) -> int:
        return sum(1 for t in self._timers if not t.cancelled)


class WallSync:
    """Keeps a `VirtualClock` in step with the wall clock (`clock = "wall"`): `sync` moves it forward by the wall
    time elapsed since the last sync, firing due timers on the way. A jump made on the virtual clock (the control
    API's advance) is therefore kept: virtual time stays that far ahead of the wall from then on."""

    def __init__(self, clock: VirtualClock, wall_ms: Callable[[], int]) -> None:
        self.clock = clock
        self.wall_ms = wall_ms
        self.last_wall_ms = wall_ms()

    def sync(self) -> int:
        """Advance by the wall time elapsed since the last sync; returns the number of timers fired."""
        wall = self.wall_ms()
        elapsed = wall - self.last_wall_ms
        if elapsed <= 0:  # no time passed (or the wall clock stepped back): virtual time never goes backwards
            return 0
        self.last_wall_ms = wall
        return self.clock.advance(elapsed / 1000)
