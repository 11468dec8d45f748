"""Shared pieces of the server tests: a target (in-process or loopback), an end user, and an SSE reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.run.control import ControlClient
from harness.server.config import DeploymentSettings, ServerConfig
from harness.wire import new_uuid

V2 = "/iamessage/api/v2"
IDENTITY_KEY = "identity-secret-for-tests-0123456789abcdef"
WAIT_S = 10.0  # safety net on condition waits; never reached when the code is right


def make_config() -> ServerConfig:
    return ServerConfig(
        deployments={
            "MIAW_Harness": DeploymentSettings(),
            "MIAW_Verified": DeploymentSettings(user_verification=True),
        },
        signing_key="test-signing-key-0123456789abcdef0123456789",
        identity_key=IDENTITY_KEY,
    )


@dataclass
class Target:
    kind: str  # "asgi" | "uvicorn"
    http: httpx.AsyncClient
    control: ControlClient
    org_id: str
    deployment: str = "MIAW_Harness"

    async def snapshot(self, cid: str) -> dict[str, Any] | None:
        return await self.control.conversation(cid)


@dataclass
class User:
    """An end user holding an access token."""

    target: Target
    token: str
    subject: str
    last_event_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def create(self, cid: str | None = None, **body: Any) -> str:
        cid = cid or new_uuid()
        r = await self.target.http.post(
            f"{V2}/conversation",
            json={"conversationId": cid, "esDeveloperName": self.target.deployment, **body},
            headers=self.headers,
        )
        assert r.status_code == 201, r.text
        return cid

    async def send(
        self, cid: str, text: str = "hello", *, message_id: str | None = None, **extra: Any
    ) -> httpx.Response:
        body = {
            "message": {
                "id": message_id or new_uuid(),
                "messageType": "StaticContentMessage",
                "staticContent": {"formatType": "Text", "text": text},
            },
            "esDeveloperName": self.target.deployment,
            **extra,
        }
        return await self.target.http.post(f"{V2}/conversation/{cid}/message", json=body, headers=self.headers)

    def sse_headers(self, last_event_id: str | None = "0") -> dict[str, str]:
        headers = {**self.headers, "X-Org-Id": self.target.org_id[:15], "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-Id"] = last_event_id
        return headers


async def new_user(target: Target, deployment: str | None = None) -> User:
    r = await target.http.post(
        f"{V2}/authorization/unauthenticated/access-token",
        json={
            "orgId": target.org_id,
            "esDeveloperName": deployment or target.deployment,
            "capabilitiesVersion": "1",
            "platform": "Web",
        },
    )
    assert r.status_code == 200, r.text
    data = r.json()
    return User(target, data["accessToken"], data["context"]["endUser"]["subject"], data["lastEventId"])


@dataclass
class Event:
    event_id: str | None
    name: str
    data: str

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.data)
        return data

    @property
    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.json["conversationEntry"]["entryPayload"])
        return payload


@dataclass
class SseReader:
    """Reads one SSE stream in a background task; tests wait on conditions over `events`, never on time."""

    user: User
    last_event_id: str | None = "0"
    events: list[Event] = field(default_factory=list)
    pings: int = 0
    ended: bool = False
    status: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SseReader:
        self._task = asyncio.get_running_loop().create_task(self._run())
        await self.wait(lambda: self.pings > 0 or self.ended)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        http = self.user.target.http
        headers = self.user.sse_headers(self.last_event_id)
        try:
            async with http.stream("GET", "/eventrouter/v1/sse", headers=headers, timeout=None) as response:
                self.status = response.status_code
                if response.status_code != 200:
                    return
                fields: dict[str, str] = {}
                async for line in response.aiter_lines():
                    if line == "":
                        if fields:
                            self._frame(fields)
                        fields = {}
                        continue
                    key, _, value = line.partition(":")
                    fields[key] = value[1:] if value.startswith(" ") else value
        finally:
            self.ended = True
            self._changed.set()

    def _frame(self, fields: dict[str, str]) -> None:
        if fields.get("event") == "ping":
            assert fields.get("data", "").isdigit()  # §11.10: an incrementing counter
            self.pings += 1
        else:
            self.events.append(Event(fields.get("id"), fields.get("event", ""), fields.get("data", "")))
        self._changed.set()

    async def wait(self, condition: Any) -> None:
        async def loop() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), WAIT_S)

    async def wait_count(self, n: int) -> list[Event]:
        await self.wait(lambda: len(self.events) >= n)
        return self.events

    def names(self) -> list[str]:
        return [e.name for e in self.events]


async def quiescent(user: User) -> int:
    """The subject's newest event id, as the control API reports it."""
    return await user.target.control.last_event_id(user.subject)


async def read_until(reader: SseReader, user: User) -> list[Event]:
    """Wait until the reader has seen every event the runtime logged for the user so far."""
    last = await quiescent(user)
    await reader.wait(lambda: (bool(reader.events) and int(reader.events[-1].event_id or 0) >= last) or last == 0)
    return reader.events
