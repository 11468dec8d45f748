"""Garbage-collector policy of a long-running mock runtime: full collections whose pause does not grow with the state.

CPython's full collection walks every tracked object. The runtime keeps what it has seen (conversations, entries,
SSE frames), so under a sustained load each full collection takes longer and longer (hundreds of ms of CPU after a
few minutes of send-message), and every request in flight waits for it: that is the tail of the latency.

`install()` moves the objects that survived start-up, and then the survivors of every full collection, to the
permanent generation (`gc.freeze`), so the next full collection walks only what was allocated since the previous
one. Reference counting, which frees almost everything the runtime drops, is unaffected; what a frozen object no
longer gets is the cycle detector. So that cyclic garbage among long-lived objects is still reclaimed, one full
collection in `SWEEP_EVERY` first gives every frozen object back to the collector (`gc.unfreeze`) and walks them all.

Only serving processes install it (`miaw-harness serve`): it is process-wide, so in-process runs leave it alone.
"""

from __future__ import annotations

import gc
from typing import Any

SWEEP_EVERY = 64
_OLDEST = 2


class _Policy:
    def __init__(self, sweep_every: int) -> None:
        self.sweep_every = sweep_every
        self.full_collections = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != _OLDEST:
            return
        if phase == "start":
            self.full_collections += 1
            if self.full_collections % self.sweep_every == 0:
                gc.unfreeze()  # this collection walks everything: old cycles are reclaimed
        else:
            gc.freeze()


def install(sweep_every: int = SWEEP_EVERY) -> None:
    """Freeze what start-up built and, from now on, the survivors of every full collection (idempotent)."""
    if any(isinstance(cb, _Policy) for cb in gc.callbacks):
        return
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_Policy(sweep_every))


def uninstall() -> None:
    """Back to CPython's default: every frozen object is collectable again."""
    gc.callbacks[:] = [cb for cb in gc.callbacks if not isinstance(cb, _Policy)]
    gc.unfreeze()
