"""Garbage-collector policy of a long-running mock runtime: collections whose pause does not grow with the state.

CPython's full collection walks every tracked object. The runtime keeps what it has seen (conversations, entries,
SSE frames), so under a sustained load each full collection takes longer and longer (tens to hundreds of ms of CPU
after a few minutes of send-message), and every request in flight waits for it: that is the tail of the latency.

`install()` moves what start-up built, and from then on the survivors of every collection of the middle and oldest
generations, to the permanent generation (`gc.freeze`, which splices lists: no walk). An object that outlived two
collections is almost always state the runtime keeps, so the collections that follow walk only what was allocated
since: a few thousand objects, whatever the size of the state. Reference counting, which frees almost everything the
runtime drops, is unaffected; what a frozen object no longer gets is the cycle detector. So that cyclic garbage among
frozen objects is still reclaimed, a full collection first gives every frozen object back to the collector
(`gc.unfreeze`) once the frozen count has grown by `SWEEP_GROWTH` since the previous such sweep: sweeps get rarer
as the state grows (their cost, spread over the allocations between them, stays constant), and whatever leaks
between two of them is bounded by the live state.

Only serving processes install it (`miaw-harness serve`): it is process-wide, so in-process runs leave it alone.
"""

from __future__ import annotations

import gc
import math
from typing import Any

_OLDEST = 2
SWEEP_GROWTH = 2.0  # sweep once the frozen count has doubled since the last sweep
_MIN_SWEEP_BASE = 10_000  # a small start-up must not make the first sweeps back to back


class _Policy:
    def __init__(self, sweep_growth: float, min_base: int) -> None:
        self.sweep_growth = sweep_growth
        self.min_base = min_base
        self.full_collections = 0
        self.sweeps = 0
        self._sweeping = False
        self._middle_since_sweep = 0
        self._rebase(gc.get_freeze_count())

    def _rebase(self, frozen: int) -> None:
        """After a sweep: `frozen` objects are live. `gc.get_freeze_count` walks the whole permanent generation, so
        it is read only here; the growth is bounded instead by counting middle collections, each of which can
        freeze at most what was allocated since the previous one (the young thresholds' product)."""
        self.base = max(self.min_base, frozen)
        young, middle, _ = gc.get_threshold()
        self.sweep_after = max(0, math.ceil(self.base * (self.sweep_growth - 1) / max(1, young * middle)))
        self._middle_since_sweep = 0

    def _due(self) -> bool:
        return self._middle_since_sweep >= self.sweep_after

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        generation = info["generation"]
        if generation == 0:
            return
        if phase == "start":
            if generation == _OLDEST and not self._sweeping and self._due():
                gc.unfreeze()  # this collection walks everything: old cycles are reclaimed
                self._sweeping = True
            return
        if generation != _OLDEST:
            if self._sweeping:
                return  # a sweep is pending: survivors stay in the oldest generation until it runs
            self._middle_since_sweep += 1
            if self._due():
                # `gc.freeze` resets every generation's count, so no full collection would ever come on its own:
                # give the frozen objects back and let the oldest generation's count reach its threshold.
                gc.unfreeze()
                self._sweeping = True
                return
            gc.freeze()
            return
        self.full_collections += 1
        gc.freeze()
        if self._sweeping:
            self._sweeping = False
            self.sweeps += 1
            self._rebase(gc.get_freeze_count())  # this collection walked every object already


def install(sweep_growth: float = SWEEP_GROWTH, *, min_base: int = _MIN_SWEEP_BASE) -> None:
    """Freeze what start-up built and, from now on, the survivors of every older collection (idempotent)."""
    if any(isinstance(cb, _Policy) for cb in gc.callbacks):
        return
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_Policy(sweep_growth, min_base))


def policy() -> _Policy | None:
    """The installed policy (its counters), if any."""
    return next((cb for cb in gc.callbacks if isinstance(cb, _Policy)), None)


def uninstall() -> None:
    """Back to CPython's default: every frozen object is collectable again."""
    gc.callbacks[:] = [cb for cb in gc.callbacks if not isinstance(cb, _Policy)]
    gc.unfreeze()
