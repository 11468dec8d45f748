"""The virtual clock: time moves only on advance; timers fire in order, at their own instant."""

from __future__ import annotations

import pytest

from harness.server.clock import DEFAULT_START_MS, VirtualClock


def test_timers_fire_in_due_order_at_their_instant() -> None:
    clock = VirtualClock()
    fired: list[tuple[str, int]] = []
    clock.call_later(10, lambda: fired.append(("b", clock.now_ms)))
    clock.call_later(5, lambda: fired.append(("a", clock.now_ms)))
    clock.call_later(10, lambda: fired.append(("c", clock.now_ms)))
    assert clock.advance(9) == 1
    assert fired == [("a", DEFAULT_START_MS + 5000)]
    assert clock.advance(1) == 2
    assert [name for name, _ in fired] == ["a", "b", "c"]
    assert clock.now_ms == DEFAULT_START_MS + 10_000


def test_cancelled_timers_do_not_fire_and_callbacks_can_arm_new_ones() -> None:
    clock = VirtualClock(0)
    fired: list[int] = []
    cancelled = clock.call_at(1000, lambda: fired.append(-1))
    cancelled.cancel()

    def chain() -> None:
        fired.append(clock.now_ms)
        if len(fired) < 3:
            clock.call_later(1, chain)

    clock.call_later(1, chain)
    assert clock.pending() == 1
    clock.advance(60)
    assert fired == [1000, 2000, 3000] and clock.now_ms == 60_000 and clock.pending() == 0


def test_time_never_goes_backwards() -> None:
    clock = VirtualClock(0)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    timer = clock.call_at(-50, lambda: None)
    assert timer.due_ms == 0


def test_cancelled_timers_are_compacted_away() -> None:
    clock = VirtualClock(0)
    fired: list[int] = []
    timer = clock.call_later(1, lambda: fired.append(0))
    for n in range(10_000):  # re-arming, as every customer message does to the inactivity timer
        timer.cancel()
        timer = clock.call_later(1, lambda n=n: fired.append(n))  # type: ignore[misc]
    assert len(clock._timers) < 5000 and clock.pending() == 1
    clock.advance(1)
    assert fired == [9_999]
