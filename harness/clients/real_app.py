"""A real client as a scenario's app: the adapter's actions, and a clear "not applicable" for the rest.

The step library talks to the simulated app, which can do more than a user can (end the chat through its SDK, drop
its network, go to the background). A real client behind an adapter offers only the adapter's actions; every other
step is not applicable to it, with the reason. What the client cannot tell (its identity, its conversation) the
journey learns from the runtime's own record and sets here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from harness.clients.adapter import Capability, capabilities_of
from harness.clients.spec import ClientSpec
from harness.run.judge import NotApplicable
from harness.timeline import Kind

if TYPE_CHECKING:
    from harness.run.control import ControlClient
    from harness.run.journey import Journey

__all__ = ["ClientProfile", "RealClientApp", "record_runtime"]


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """What the step library reads of an app's profile: its name, for reasons."""

    name: str


class RealClientApp:
    """Wraps a `ClientAdapter` (browser, command or manual) for the step library and the journey."""

    def __init__(self, spec: ClientSpec, adapter: Any) -> None:
        self.spec = spec
        self.adapter = adapter
        self.profile = ClientProfile(spec.label)
        self.learned_subject: str | None = None  # from the runtime's record, when the client cannot tell

    @property
    def name(self) -> str:
        return str(getattr(self.adapter, "name", self.spec.label))

    @property
    def capabilities(self) -> frozenset[Capability]:
        return capabilities_of(self.adapter)

    # -- what the adapter reads -----------------------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        cid = self.adapter.conversation_id
        return None if cid is None else str(cid)

    @property
    def subject(self) -> str | None:
        subject = self.adapter.subject
        return str(subject) if subject else self.learned_subject

    @property
    def ui(self) -> Any:
        return self.adapter.ui

    # -- what the adapter does ------------------------------------------------------------------------------------
    async def launch(self) -> None:
        await self.adapter.launch()

    async def send(self, text: str) -> Any:
        return await self.adapter.send(text)

    async def tap_new_conversation(self) -> bool:
        return bool(await self.adapter.tap_new_conversation())

    async def reopen_chat(self) -> None:
        self._need(Capability.REOPEN_CHAT)
        await self.adapter.reopen_chat()

    async def relaunch(self) -> None:
        self._need(Capability.RELAUNCH)
        await self.adapter.relaunch()

    async def settle(self) -> None:
        await self.adapter.settle()

    async def start(self) -> None:
        """Before a scenario: the client starts from a fresh install, where its adapter can make it so."""
        reset = getattr(self.adapter, "reset", None)
        if reset is not None:
            await reset()

    async def aclose(self) -> None:
        close = getattr(self.adapter, "aclose", None)
        if close is not None:
            await close()

    # -- what only the simulated app can do -------------------------------------------------------------------------
    async def end_chat(self) -> bool:
        self._cannot("end the chat from the app's own menu")

    async def close_conversation(self) -> bool:
        self._cannot("close the conversation from the app")

    async def background(self) -> None:
        self._cannot("kill the app or send it to the background apart from a relaunch")

    async def foreground_(self) -> None:
        self._cannot("bring the app back to the foreground")

    async def go_offline(self) -> None:
        self._cannot("take the device offline")

    async def go_online(self) -> None:
        self._cannot("bring the device back online")

    @property
    def stream(self) -> Any:
        self._cannot("watch the app's event stream")

    # -- reasons ----------------------------------------------------------------------------------------------------
    def _need(self, capability: Capability) -> None:
        from harness.clients.adapter import not_applicable_reason

        reason = not_applicable_reason(self.name, [capability], self.capabilities)
        if reason is not None:
            raise NotApplicable(reason)

    def _cannot(self, what: str) -> NoReturn:
        raise NotApplicable(f"{self.name} cannot {what} (the client adapter has no such action)")


async def record_runtime(journey: Journey, control: ControlClient, moment: str) -> None:
    """Write what the runtime holds for the run's user into the timeline: each conversation (state, session, when
    it started and ended, the user's messages in it), whether the user got a new conversation after the first one
    closed, which conversations are left open besides the current one, and the time from the close to the first
    message that reached a rep again (runtime clock)."""
    subjects = set(journey.subjects) | set(await control.subjects())
    conversations: list[dict[str, Any]] = []
    for subject in sorted(subjects):
        conversations += await control.subject_conversations(subject)
    conversations.sort(key=lambda c: (int(c.get("startTimestamp") or 0), str(c["conversationId"])))
    first = next((c for c in conversations if c["conversationId"] == journey.first_conversation_id), None)
    current = journey.current_conversation_id
    closed_at = int(first.get("endTimestamp") or 0) if first is not None else 0
    detail: dict[str, Any] = {
        "conversations": [
            {
                "id": str(c["conversationId"]),
                "state": c.get("state"),
                "session": c.get("session"),
                "started_ms": c.get("startTimestamp"),
                "ended_ms": c.get("endTimestamp") or None,
                "user_messages": sum(1 for m in c.get("messages") or () if m.get("role") == "EndUser"),
            }
            for c in conversations
        ]
    }
    if closed_at:
        after = [c for c in conversations if int(c.get("startTimestamp") or 0) >= closed_at]
        detail["new_conversation_after_close"] = bool(after)
        still_open = [c for c in conversations if c.get("state") == "OPEN" and c["conversationId"] != current]
        detail["left_open"] = [str(c["conversationId"]) for c in still_open]
        if journey.obs.recovered and current is not None:
            landed = next((c for c in conversations if c["conversationId"] == current), None)
            stamps = [
                int(m.get("transcriptedTimestamp") or 0)
                for m in (landed or {}).get("messages") or ()
                if m.get("role") == "EndUser" and int(m.get("transcriptedTimestamp") or 0) >= closed_at
            ]
            if stamps:
                detail["time_to_recovery_ms"] = min(stamps) - closed_at
    journey.timeline.add(Kind.NOTE, "runtime", f"the runtime's record: {moment}", detail)
