"""Simulated end-user apps for the reliability suite: a token, conversations, and a resuming SSE reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from httpx_sse import aconnect_sse

from harness.wire import new_uuid

V2 = "/iamessage/api/v2"
ORG_ID = "00DHA0000001HRNAAA"
DEPLOYMENT = "MIAW_Harness"


def limits(connections: int) -> httpx.Limits:
    """Idle connections are let go before the server's keep-alive timeout (5 s), so none is reused as it closes."""
    return httpx.Limits(max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0)


class OutOfOrder(AssertionError):
    """An event arrived twice or out of order."""


@dataclass
class App:
    """One end user: its token, its conversation, and every event its streams delivered, across reconnects."""

    http: httpx.AsyncClient
    token: str = ""
    subject: str = ""
    cid: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    last_id: int = 0
    connects: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    failure: BaseException | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One idempotent request (message ids and conversation ids make these so), retried on a transport error
        as a real app does: under load a kept-alive connection may be closed just as it is reused."""
        for attempt in range(3):
            try:
                r = await self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                if attempt == 2:
                    raise
                continue
            if attempt and r.status_code == 409:
                return r  # the lost answer's request did arrive: the conversation exists, or is closed already
            r.raise_for_status()
            return r
        raise AssertionError("unreachable")

    async def start(self) -> None:
        r = await self._request(
            "POST",
            f"{V2}/authorization/unauthenticated/access-token",
            json={"orgId": ORG_ID, "esDeveloperName": DEPLOYMENT},
        )
        self.token = r.json()["accessToken"]
        self.subject = r.json()["context"]["endUser"]["subject"]
        self.cid = new_uuid()
        await self._request(
            "POST",
            f"{V2}/conversation",
            json={"conversationId": self.cid, "esDeveloperName": DEPLOYMENT},
            headers=self.headers,
        )

    async def send(self, text: str) -> None:
        body = {"message": {"id": new_uuid(), "messageType": "StaticContentMessage", "staticContent": {"text": text}}}
        await self._request("POST", f"{V2}/conversation/{self.cid}/message", json=body, headers=self.headers)

    async def close(self) -> None:
        await self._request("DELETE", f"{V2}/conversation/{self.cid}", headers=self.headers)

    async def read(self, *, drop_after: random.Random | None = None) -> None:
        """Read the stream forever, resuming from the last id after every end; with `drop_after`, the app itself
        drops each stream after a random 1-4 events (as a flaky network would)."""
        try:
            while True:
                try:
                    await self._read_once(drop_after)
                except httpx.TransportError:
                    continue  # the network dropped it: resume from the last id, as a real app does
        except Exception as exc:
            self.failure = exc
            self.changed.set()
            raise

    async def _read_once(self, drop_after: random.Random | None) -> None:
        headers = {**self.headers, "X-Org-Id": ORG_ID[:15]}  # the event router compares the 15-character id
        budget = drop_after.randint(1, 4) if drop_after else -1
        async with aconnect_sse(
            self.http, "GET", "/eventrouter/v1/sse", headers={**headers, "Last-Event-Id": str(self.last_id)}
        ) as source:
            if source.response.status_code != 200:
                raise AssertionError(f"stream refused: {source.response.status_code}")
            self.connects += 1
            async for sse in source.aiter_sse():
                if sse.event == "ping":
                    continue
                event_id = int(sse.id)
                if event_id != self.last_id + 1:
                    raise OutOfOrder(f"{self.subject}: event {event_id} after {self.last_id}")
                self.last_id = event_id
                self.events.append({"event": sse.event, **json.loads(sse.data)})
                self.changed.set()
                budget -= 1
                if budget == 0:
                    return

    async def wait_for(self, last_id: int, timeout: float = 120.0) -> None:
        async def loop() -> None:
            while self.last_id < last_id:
                self.changed.clear()
                if self.failure is not None:
                    raise AssertionError(f"{self.subject}: the reader failed") from self.failure
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)

    def texts(self) -> list[str]:
        out = []
        for e in self.events:
            if e["event"] == "CONVERSATION_MESSAGE":
                payload = json.loads(e["conversationEntry"]["entryPayload"])
                out.append(payload["abstractMessage"]["staticContent"]["text"])
        return out


async def last_event_id(http: httpx.AsyncClient, subject: str) -> int:
    r = await http.get(f"/control/subjects/{quote(subject, safe='')}/last-event-id")
    r.raise_for_status()
    return int(r.json()["lastEventId"])


async def cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
