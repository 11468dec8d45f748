"""The SDK's realtime half: one SSE stream per end user, resumed with Last-Event-Id under the profile's policy.

Theory of operation: a single task reads the stream and hands each event to the app's handler *before* it
records the event id as processed, so "processed id >= newest id on the server" means the app has reacted to
everything. When the stream ends or fails, the profile's `realtime_reconnect` decides: "none" leaves it down
until the app restarts it (foreground, back online, relaunch); "backoff" (1.5x per attempt) and "fibonacci"
wait through the injected `sleep` and reconnect with the last processed id, so the server replays what was missed.

The stream is given what it needs explicitly (`StreamLink`): the HTTP client, the org id, the end user's
`Credentials`, the device's `Network` and a `renew` call for a refused stream. It never sees the REST client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse
from httpx_sse import SSEError as _SSEError

from harness.sdk.core import SSE_PATH, ApiError, Credentials, Network
from harness.timeline import Fact, Kind, Timeline
from harness.wire import PING_EVENT

Handler = Callable[[ServerSentEvent], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Renew = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class StreamLink:
    """Everything the stream takes from the SDK's REST side, named: nothing else of it is reachable."""

    http: httpx.AsyncClient
    org_id: str
    credentials: Credentials
    network: Network
    renew: Renew  # after a 401 on the stream: renew the token (raises ApiError when it cannot)


_STREAM_TIMEOUT = httpx.Timeout(10.0, read=None)


def reconnect_delay_ms(policy: str, attempt: int, base_ms: int, cap_ms: int) -> int:
    """Delay before reconnect `attempt` (1-based) under `policy`."""
    if policy == "backoff":
        delay = base_ms * 1.5 ** (attempt - 1)
    elif policy == "fibonacci":
        a, b = 1, 1
        for _ in range(attempt - 1):
            a, b = b, a + b
        delay = base_ms * a
    else:
        raise ValueError(f"no reconnect delay for policy {policy!r}")
    return int(min(delay, cap_ms))


class EventStream:
    def __init__(
        self,
        *,
        link: StreamLink,
        handler: Handler,
        timeline: Timeline,
        sleep: Sleep,
        policy: str,
        base_ms: int,
        cap_ms: int,
        max_attempts: int,
        changed: asyncio.Condition,
    ) -> None:
        self.link = link
        self.handler = handler
        self.timeline = timeline
        self.sleep = sleep
        self.policy = policy
        self.base_ms = base_ms
        self.cap_ms = cap_ms
        self.max_attempts = max_attempts
        self.changed = changed
        self.last_event_id = "0"
        self.ids_subject: str | None = None  # the identity whose event ids last_event_id counts
        self.connected = False
        self.failure: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._wanted = False

    @property
    def running(self) -> bool:
        """The stream is open or about to be (connecting, or waiting out a reconnect delay)."""
        return self._task is not None and not self._task.done()

    @property
    def processed_id(self) -> int:
        try:
            return int(self.last_event_id)
        except ValueError:
            return 0

    def start(self) -> None:
        if self.running:
            return
        self._wanted = True
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def started(self, timeout_s: float = 5.0) -> None:
        """Start if needed and wait until the stream is open (or has given up): events then flow before any request."""
        self.start()
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(self._open_or_down), timeout_s)

    def _open_or_down(self) -> bool:
        return self.connected or not self.running

    async def stop(self) -> None:
        self._wanted = False
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.connected:
            self.connected = False
            self.timeline.add(Kind.NOTE, "app", "stream stopped by the app")
        await self._notify()

    async def reopen_for_new_identity(self) -> None:
        """The token now belongs to another identity: the open stream carries the old one's events, so reopen."""
        if asyncio.current_task() is self._task or not self.running:
            return  # the stream's own renewal: it reconnects with the new token next
        await self.stop()
        self.start()

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def _run(self) -> None:
        attempt = 0
        try:
            while self._wanted:
                opened = await self._connect_once()
                if opened:
                    attempt = 0
                if not self._wanted:
                    return
                if self.policy == "none":
                    self.timeline.add(Kind.NOTE, "app", "stream down; this SDK does not reconnect by itself")
                    return
                attempt += 1
                if attempt > self.max_attempts:
                    self.timeline.add(Kind.NOTE, "app", f"stream down; gave up after {self.max_attempts} attempts")
                    return
                delay = reconnect_delay_ms(self.policy, attempt, self.base_ms, self.cap_ms)
                self.timeline.add(
                    Kind.NOTE, "app", f"reconnect attempt {attempt} after {delay} ms", {"delay_ms": delay}
                )
                await self.sleep(delay / 1000)
        except Exception as exc:  # a bug in a handler: keep it for settle() to raise, never swallow it
            self.failure = exc
            self.timeline.add(Kind.NOTE, "app", f"stream task failed: {type(exc).__name__}: {exc}")
        finally:
            self.connected = False
            await self._notify()

    async def _connect_once(self) -> bool:
        """One connection (after a 401, one more with a renewed token); True if it opened."""
        renewed = False
        while True:
            opened = await self._open(renewed)
            if opened is None:
                renewed = True
                try:
                    await self.link.renew()
                except ApiError as exc:
                    self.timeline.add(Kind.NOTE, "app", f"stream not reopened: token renewal failed ({exc.status})")
                    return False
                continue
            return opened

    async def _open(self, renewed: bool) -> bool | None:
        """None: refused with 401 (renew and retry); otherwise whether the stream opened."""
        link, credentials = self.link, self.link.credentials
        if not link.network.online:
            self.timeline.add(Kind.NOTE, "app", "stream not opened: device offline")
            return False
        if self.ids_subject is not None and credentials.subject != self.ids_subject:
            # A new identity has a stream of its own whose ids start over: resume from its token's lastEventId.
            self.timeline.add(Kind.NOTE, "app", "new identity: event ids start again from its token")
            self.last_event_id = credentials.initial_event_id
        self.ids_subject = credentials.subject
        headers = {
            **credentials.auth_headers(),
            "X-Org-Id": link.org_id[:15],  # the event router wants the 15-character id (§11.4)
            "Last-Event-Id": self.last_event_id,
        }
        opened = False
        try:
            async with aconnect_sse(link.http, "GET", SSE_PATH, headers=headers, timeout=_STREAM_TIMEOUT) as source:
                status = source.response.status_code
                self.timeline.add(
                    Kind.REQUEST,
                    "app",
                    f"GET {SSE_PATH} (Last-Event-Id {self.last_event_id}) -> {status}",
                    {"status": status, "last_event_id": self.last_event_id},
                )
                if status == 401 and not renewed:
                    return None
                if status != 200:
                    return False
                opened = True
                self.connected = True
                await self._notify()
                async for event in source.aiter_sse():
                    if event.event == PING_EVENT:
                        continue
                    await self.handler(event)
                    if event.id:
                        self.last_event_id = event.id
                    await self._notify()
            self.timeline.add(Kind.NOTE, "app", Fact.STREAM_CLOSED_BY_SERVER.value, fact=Fact.STREAM_CLOSED_BY_SERVER)
        except (httpx.HTTPError, _SSEError) as exc:
            self.timeline.add(Kind.NOTE, "app", f"stream error: {type(exc).__name__}")
        finally:
            self.connected = False
        return opened
