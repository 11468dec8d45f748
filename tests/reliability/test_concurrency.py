"""Concurrency: a few hundred apps over loopback through a chat, a server-wide stream drop, End Chat and eviction.

None may be stuck (every app reaches its close event), none may lose an event (ids contiguous, every text seen), no
event may reach another subject, and once the conversations are evicted the runtime keeps no more than the
retention bound (`maxClosed` closed conversations and their subjects; no frame of an evicted conversation).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from harness.server import RunningServer
from reliability.apps import App, cancel, last_event_id, limits

pytestmark = pytest.mark.anyio

APPS = 200
KEEP = 5  # the retention bound for this run: closed conversations kept


async def _rep_says(http: httpx.AsyncClient, app: App, text: str) -> None:
    r = await http.post(f"/control/conversations/{app.cid}/messages", json={"role": "Agent", "text": text})
    r.raise_for_status()


async def _settle(http: httpx.AsyncClient, apps: list[App]) -> None:
    targets = await asyncio.gather(*(last_event_id(http, app.subject) for app in apps))
    await asyncio.gather(*(app.wait_for(t) for app, t in zip(apps, targets, strict=True)))


async def _stats(http: httpx.AsyncClient) -> dict[str, object]:
    r = await http.get("/control/retention")
    r.raise_for_status()
    stats: dict[str, object] = r.json()
    return stats


async def test_hundreds_of_apps_none_stuck_none_lost_no_leak_memory_bounded(fresh: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=fresh.base_url, timeout=60.0, limits=limits(APPS * 3)) as http:
        (await http.put("/control/retention", json={"maxClosed": KEEP})).raise_for_status()
        apps = [App(http) for _ in range(APPS)]
        await asyncio.gather(*(app.start() for app in apps))
        readers = [asyncio.create_task(app.read()) for app in apps]
        try:
            await asyncio.gather(*(app.send(f"first {i}") for i, app in enumerate(apps)))
            await asyncio.gather(*(_rep_says(http, app, f"reply {i}") for i, app in enumerate(apps)))
            await _settle(http, apps)
            dropped = (await http.post("/control/faults", json={"kind": "drop_streams"})).json()["dropped"]
            assert dropped >= APPS  # recovery: every stream ends at once and every app resumes
            await asyncio.gather(*(app.send(f"second {i}") for i, app in enumerate(apps)))
            await _settle(http, apps)  # every app has resumed: what it sees from here on comes on its open stream
            await asyncio.gather(*(app.close() for app in apps))
            await _settle(http, apps)
        finally:
            await cancel(readers)
        for i, app in enumerate(apps):
            assert app.events[-1]["event"] == "CONVERSATION_CLOSE_CONVERSATION", app.events[-1]["event"]
            assert [int(e["conversationEntry"]["entryPayload"] is not None) for e in app.events]
            assert {e["conversationId"] for e in app.events} == {app.cid}
            assert {e["channelPlatformKey"] for e in app.events} == {app.subject}
            assert app.texts()[-3:] == [f"first {i}", f"reply {i}", f"second {i}"]
            assert app.connects >= 2
        await _wait_for_no_streams(http)
        stats = await _stats(http)
        retained = stats["retained"]
        assert isinstance(retained, dict)
        assert retained["conversations"] == retained["closedConversations"] == KEEP
        assert retained["subjects"] <= KEEP
        assert retained["frames"] <= KEEP * max(len(app.events) for app in apps)
        print(f"concurrency: {APPS} apps, retention after close: {stats}")


async def _wait_for_no_streams(http: httpx.AsyncClient) -> None:
    """The apps have left; their streams end server-side once woken (a drop fault wakes them all at once), and
    each ended stream lets its subject's emptied log go."""

    async def loop() -> None:
        while True:
            (await http.post("/control/faults", json={"kind": "drop_streams"})).raise_for_status()
            retained = (await _stats(http))["retained"]
            assert isinstance(retained, dict)
            if retained["streams"] == 0 and retained["subjects"] <= KEEP:
                return

    await asyncio.wait_for(loop(), 60)
