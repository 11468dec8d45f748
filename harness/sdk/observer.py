"""The harness's observer of a simulated app: it records what the user does and sees, and settles the app.

Not part of any SDK: a real SDK has no control API. `settle()` waits on a condition until the stream's processed
event id reaches the newest id the runtime has for the end user (the control API's watermark), so tests never
sleep; without a control API (a real org) it waits for a quiet window instead. The end user may change under it:
a stream ended with its token reconnects, is refused and renews, possibly as a new identity whose ids start over,
so settling waits for a steady stream and reads the identity and its watermark again after every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from harness.sdk.core import CoreClient
from harness.sdk.stream import EventStream
from harness.sdk.ui import UiState
from harness.timeline import Kind, Timeline

__all__ = ["EventWatermark", "Observer", "SettleTimeout"]


class EventWatermark(Protocol):
    """The part of the control client `settle()` needs: the newest event id the runtime has for a subject."""

    async def last_event_id(self, subject: str) -> int: ...


class SettleTimeout(TimeoutError):
    """The app did not catch up with the runtime's events within the bound."""


class Observer:
    def __init__(
        self,
        *,
        timeline: Timeline,
        control: EventWatermark | None,
        settle_timeout_s: float,
        quiet_window_s: float,
    ) -> None:
        self.timeline = timeline
        self.control = control
        self.settle_timeout_s = settle_timeout_s
        self.quiet_window_s = quiet_window_s
        self._last_ui = ""

    # -- recording ----------------------------------------------------------------------------------------------
    def act(self, summary: str) -> None:
        self.timeline.add(Kind.ACTION, "user", summary)

    def screen(self, ui: UiState) -> None:
        """Record the screen when what the user sees changed."""
        summary = ui.summary()
        if summary != self._last_ui:
            self._last_ui = summary
            self.timeline.add(Kind.UI, "app", summary)

    # -- settling -----------------------------------------------------------------------------------------------
    async def settle(self, core: CoreClient, stream: EventStream) -> None:
        """Wait until the app has processed every event the runtime emitted for its subject (bounded)."""
        try:
            if self.control is None:
                await self._quiet_window(stream)
            else:
                await asyncio.wait_for(self._catch_up(self.control, core, stream), self.settle_timeout_s)
        except TimeoutError:
            raise SettleTimeout(
                f"app did not catch up within {self.settle_timeout_s}s (processed event {stream.last_event_id})"
            ) from None
        if stream.failure is not None:
            raise stream.failure

    async def _catch_up(self, control: EventWatermark, core: CoreClient, stream: EventStream) -> None:
        """Wait until the stream is steady and has processed the runtime's newest event of the app's identity.

        Steady: connected, or down for good (its policy gave up or never reconnects). A stream that reconnects
        after the runtime ended it (an expired or revoked token) may renew the token as a new identity on the
        way, whose event ids start over: the identity and its newest id are read again after every change, and
        a processed id counts only for the identity the stream follows.
        """
        changed = stream.changed
        while True:
            async with changed:
                await changed.wait_for(lambda: _steady(stream))
            subject = core.subject
            if subject is None:
                return
            writes = core.writes
            target = await control.last_event_id(subject)
            if stream.failure is not None:
                return
            if core.subject != subject or not _steady(stream):
                continue  # the identity or the stream moved while the runtime answered: look again
            if not stream.running:
                missing = target - (stream.processed_id if stream.ids_subject == subject else 0)
                if missing > 0:
                    self.timeline.add(
                        Kind.NOTE, "app", f"settled with the stream down: {missing} event(s) not received"
                    )
                return
            if not _caught_up(stream, subject, target):
                async with changed:
                    await changed.wait_for(_caught_up_or_moved(stream, core, subject, target))
                if stream.failure is not None:
                    return
            if core.writes == writes and core.subject == subject and _caught_up(stream, subject, target):
                return  # caught up, and nothing the handlers did since can have made new events

    async def _quiet_window(self, stream: EventStream) -> None:
        """Against a real org: return once no event arrived for `quiet_window_s` (bounded by the settle timeout)."""
        changed = stream.changed
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_timeout_s
        while loop.time() < deadline:
            try:
                async with changed:
                    await asyncio.wait_for(changed.wait_for(_moved_on(stream)), self.quiet_window_s)
            except TimeoutError:
                return


def _steady(stream: EventStream) -> bool:
    """Not in the middle of (re)connecting: open, or down until the app starts it again."""
    return stream.connected or not stream.running or stream.failure is not None


def _caught_up(stream: EventStream, subject: str, target: int) -> bool:
    return stream.ids_subject == subject and stream.processed_id >= target


def _caught_up_or_moved(stream: EventStream, core: CoreClient, subject: str, target: int) -> Callable[[], bool]:
    return lambda: _caught_up(stream, subject, target) or not _steady(stream) or core.subject != subject


def _moved_on(stream: EventStream) -> Callable[[], bool]:
    seen = stream.last_event_id
    return lambda: stream.last_event_id != seen
