"""The runtime's truth about a conversation, and where a run gets it from (the control API or the public API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from harness.lifecycle import ConversationState
from harness.wire import SessionStatus

__all__ = ["REP_ROLES", "ConversationTruth", "Oracle"]

REP_ROLES = frozenset({"Agent", "Chatbot", "Supervisor"})
_REP_REACHABLE = frozenset({SessionStatus.ACTIVE, SessionStatus.WAITING, SessionStatus.NEW})


@dataclass(frozen=True, slots=True)
class ConversationTruth:
    conversation_id: str
    state: ConversationState
    session: SessionStatus | None
    participants: frozenset[str]  # roles present now
    message_ids: frozenset[str]
    rep_texts: tuple[str, ...] = ()
    user_texts: tuple[str, ...] = ()  # the end user's messages, for clients that cannot report message ids

    @property
    def open(self) -> bool:
        return self.state is ConversationState.OPEN

    @property
    def rep_present(self) -> bool:
        return bool(self.participants & REP_ROLES) and self.session in _REP_REACHABLE


class Oracle(Protocol):
    """Where the runtime's truth comes from."""

    async def conversation(self, conversation_id: str) -> ConversationTruth | None: ...

    async def conversations_of(self, subject: str) -> list[ConversationTruth]: ...

    async def rep_says(self, conversation_id: str, text: str) -> None: ...
