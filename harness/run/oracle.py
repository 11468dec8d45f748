"""The runtime's truth as the mock's control API tells it."""

from __future__ import annotations

from typing import Any

from harness.lifecycle import ConversationState
from harness.run.control import ControlClient
from harness.run.truth import ConversationTruth
from harness.wire import SessionStatus

__all__ = ["ControlOracle", "truth_from_control"]


def truth_from_control(data: dict[str, Any]) -> ConversationTruth:
    messages = data.get("messages") or []
    participants = data.get("participants") or []
    return ConversationTruth(
        conversation_id=str(data["conversationId"]),
        state=ConversationState(str(data["state"])),
        session=SessionStatus(data["session"]) if data.get("session") else None,
        participants=frozenset(str(p.get("role", p) if isinstance(p, dict) else p) for p in participants),
        message_ids=frozenset(str(m["id"]) for m in messages if m.get("role") == "EndUser"),
        rep_texts=tuple(str(m.get("text", "")) for m in messages if m.get("role") != "EndUser"),
        user_texts=tuple(str(m.get("text", "")) for m in messages if m.get("role") == "EndUser"),
    )


class ControlOracle:
    def __init__(self, control: ControlClient) -> None:
        self.control = control

    async def conversation(self, conversation_id: str) -> ConversationTruth | None:
        data = await self.control.conversation(conversation_id)
        return None if data is None else truth_from_control(data)

    async def conversations_of(self, subject: str) -> list[ConversationTruth]:
        return [truth_from_control(c) for c in await self.control.subject_conversations(subject)]

    async def subjects(self) -> list[str]:
        """Every end user the runtime holds conversations for (a real client may not tell its own identity)."""
        return await self.control.subjects()

    async def rep_says(self, conversation_id: str, text: str) -> None:
        await self.control.send_message(conversation_id, role="Agent", text=text)
