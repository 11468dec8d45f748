"""Stream storm: many subjects, streams dropped at random points by the app and by the server, always resumed.

Every event must arrive exactly once and in order (`App.read` raises on a gap or a repeat), and every rep message
must be seen, in the order it was written.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from harness.server import RunningServer
from reliability.apps import App, cancel, last_event_id, limits

pytestmark = pytest.mark.anyio

SUBJECTS = 16
ROUNDS = 12


async def test_every_event_exactly_once_in_order_through_random_drops(fresh: RunningServer) -> None:
    rng = random.Random(10)
    async with httpx.AsyncClient(base_url=fresh.base_url, timeout=30.0, limits=limits(SUBJECTS * 3)) as http:
        apps = [App(http) for _ in range(SUBJECTS)]
        await asyncio.gather(*(app.start() for app in apps))
        readers = [asyncio.create_task(app.read(drop_after=random.Random(i))) for i, app in enumerate(apps)]
        try:
            server_drops = 0
            for round_ in range(ROUNDS):
                for i, app in enumerate(apps):
                    r = await http.post(
                        f"/control/conversations/{app.cid}/messages", json={"role": "Agent", "text": f"{i}:{round_}"}
                    )
                    r.raise_for_status()
                victim = rng.choice(apps)
                r = await http.post("/control/faults", json={"kind": "drop_streams", "subject": victim.subject})
                server_drops += r.json()["dropped"]
            targets = [await last_event_id(http, app.subject) for app in apps]
            await asyncio.gather(*(app.wait_for(t) for app, t in zip(apps, targets, strict=True)))
        finally:
            await cancel(readers)
    for i, (app, target) in enumerate(zip(apps, targets, strict=True)):
        assert app.last_id == target
        assert [e["conversationId"] for e in app.events] == [app.cid] * target
        rep_texts = [t for t in app.texts() if ":" in t]
        assert rep_texts == [f"{i}:{r}" for r in range(ROUNDS)]
    reconnects = sum(app.connects for app in apps) - SUBJECTS
    assert reconnects >= SUBJECTS * ROUNDS // 4, reconnects  # the storm really dropped streams
    print(
        f"storm: {SUBJECTS} subjects, {sum(targets)} events, {reconnects} resumed streams, {server_drops} server drops"
    )
