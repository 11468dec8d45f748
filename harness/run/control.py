"""Client of the mock runtime's control API (reps, bots and any named participant, the end user's signals, clock,
settings, faults), over HTTP only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from harness.urls import RequestUrls

__all__ = ["ControlClient", "ControlError"]


class ControlError(Exception):
    """A control request the runtime refused (non-2xx): carries the status and the runtime's message."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        super().__init__(f"control {method} {path} -> {status}: {message}")


def _subject(subject: str) -> str:
    return quote(subject, safe="")


def _participant(conversation_id: str, name: str) -> str:
    """The path of a participant (by display name or subject) of a conversation."""
    return f"/conversations/{conversation_id}/participants/{quote(name, safe='')}"


class ControlClient:
    """Async methods for every `/control` endpoint; `http` is any AsyncClient whose base URL is the runtime."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.urls = RequestUrls(http)

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        url = f"/control{path}"
        try:
            response = await self.http.request(
                method, self.urls.url(url), json=dict(body) if body is not None else None
            )
        except httpx.HTTPError as exc:
            raise ControlError(method, url, 0, f"transport error: {exc!r}") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if not response.is_success:
            message = data.get("message") if isinstance(data, dict) else None
            raise ControlError(method, url, response.status_code, str(message or response.text[:200]))
        if not isinstance(data, dict):
            raise ControlError(method, url, response.status_code, "answer is not a JSON object")
        return data

    # -- the org and its deployments ---------------------------------------------------------------------------
    async def info(self) -> dict[str, Any]:
        """{org_id, base_url, deployments: {name: {saved, published}}, now_ms}."""
        return await self._call("GET", "/info")

    async def put_deployment(self, name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Save (not publish) settings; creates the deployment if absent."""
        return await self._call("PUT", f"/deployments/{quote(name, safe='')}", settings)

    async def publish(self, name: str) -> dict[str, Any]:
        return await self._call("POST", f"/deployments/{quote(name, safe='')}/publish", {})

    async def configure(self, name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Save then publish, as an admin does."""
        await self.put_deployment(name, settings)
        return await self.publish(name)

    # -- the runtime's truth -----------------------------------------------------------------------------------
    async def conversation(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation as the runtime holds it, or None if it does not exist."""
        try:
            return await self._call("GET", f"/conversations/{conversation_id}")
        except ControlError as exc:
            if exc.status == 404:
                return None
            raise

    async def subjects(self) -> list[str]:
        """Every end user (token subject) the runtime holds conversations for, sorted."""
        data = await self._call("GET", "/subjects")
        return [str(s) for s in data["subjects"]]

    async def subject_conversations(self, subject: str) -> list[dict[str, Any]]:
        data = await self._call("GET", f"/subjects/{_subject(subject)}/conversations")
        return list(data["conversations"])

    async def last_event_id(self, subject: str) -> int:
        data = await self._call("GET", f"/subjects/{_subject(subject)}/last-event-id")
        return int(data["lastEventId"])

    async def stream_count(self, subject: str) -> int:
        """How many SSE streams of `subject` are connected right now."""
        data = await self._call("GET", f"/subjects/{_subject(subject)}/last-event-id")
        return int(data["streams"])

    # -- reps, bots, supervisors -------------------------------------------------------------------------------
    async def add_participant(
        self, conversation_id: str, role: str = "Agent", display_name: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"role": role}
        if display_name is not None:
            body["displayName"] = display_name
        return await self._call("POST", f"/conversations/{conversation_id}/participants", body)

    async def join(self, conversation_id: str, name: str, role: str = "Agent") -> dict[str, Any]:
        """A rep (or bot) called `name` joins (a ParticipantChanged add): {participant, conversation}."""
        return await self.add_participant(conversation_id, role, name)

    async def speak(self, conversation_id: str, name: str, text: str) -> dict[str, Any]:
        """The participant called `name` sends `text`: {id, transcriptedTimestamp} of the message entry."""
        return await self._call("POST", f"{_participant(conversation_id, name)}/messages", {"text": text})

    async def typing(self, conversation_id: str, name: str, started: bool = True) -> dict[str, Any]:
        """The participant called `name` starts (or stops) typing: {id, entryType} of the indicator it sent."""
        return await self._call("POST", f"{_participant(conversation_id, name)}/typing", {"started": started})

    async def acknowledge(self, conversation_id: str, name: str, entry_id: str, kind: str = "Read") -> dict[str, Any]:
        """The participant called `name` acknowledges entry `entry_id` ("Delivery" or "Read"): {id, entryType}."""
        body = {"entryType": kind, "conversationEntryId": entry_id}
        return await self._call("POST", f"{_participant(conversation_id, name)}/acks", body)

    async def leave(self, conversation_id: str, name: str) -> dict[str, Any]:
        """The participant called `name` leaves: a ParticipantChanged remove; the conversation afterwards."""
        return await self._call("POST", f"{_participant(conversation_id, name)}/leave", {})

    async def signals(self, conversation_id: str) -> dict[str, Any]:
        """The end user's typing indicators and acknowledgements: {conversationId, endUserTyping, typing, acks}."""
        return await self._call("GET", f"/conversations/{conversation_id}/signals")

    async def send_message(self, conversation_id: str, role: str = "Agent", text: str = "") -> dict[str, Any]:
        return await self._call("POST", f"/conversations/{conversation_id}/messages", {"role": role, "text": text})

    async def end_session(self, conversation_id: str, by: str = "Agent") -> dict[str, Any]:
        return await self._call("POST", f"/conversations/{conversation_id}/session/end", {"by": by})

    async def inactivate(self, conversation_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/conversations/{conversation_id}/session/inactivate", {})

    async def transfer(self, conversation_id: str) -> dict[str, Any]:
        return await self._call("POST", f"/conversations/{conversation_id}/transfer", {})

    # -- the clock ---------------------------------------------------------------------------------------------
    async def advance_clock(self, seconds: float) -> int:
        """Move virtual time forward, firing due timers; returns the new now (epoch ms)."""
        data = await self._call("POST", "/clock/advance", {"seconds": seconds})
        return int(data["now_ms"])

    async def now_ms(self) -> int:
        data = await self._call("GET", "/clock")
        return int(data["now_ms"])

    # -- faults ------------------------------------------------------------------------------------------------
    async def drop_streams(self, subject: str | None = None) -> int:
        """End the subject's SSE streams (every stream when None); returns how many were dropped."""
        body: dict[str, Any] = {"kind": "drop_streams"}
        if subject is not None:
            body["subject"] = subject
        data = await self._call("POST", "/faults", body)
        return int(data["dropped"])

    async def fail_requests(self, route: str, status: int, count: int = 1) -> dict[str, Any]:
        return await self._call("POST", "/faults", {"kind": "fail", "route": route, "status": status, "count": count})

    async def add_latency(self, route: str, ms: int) -> dict[str, Any]:
        return await self._call("POST", "/faults", {"kind": "latency", "route": route, "ms": ms})

    async def expire_tokens(self, subject: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": "expire_tokens"}
        if subject is not None:
            body["subject"] = subject
        return await self._call("POST", "/faults", body)

    async def clear_faults(self) -> dict[str, Any]:
        return await self._call("DELETE", "/faults")

    async def reset(self) -> dict[str, Any]:
        return await self._call("POST", "/reset", {})
