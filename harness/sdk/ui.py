"""The simulated app's screen: composer, closed banner, buttons and messages, as a step reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Composer = Literal["enabled", "read_only", "hidden"]
MessageState = Literal["sending", "sent", "failed"]


@dataclass(slots=True)
class MessageView:
    id: str
    text: str
    state: MessageState
    conversation_id: str | None
    from_role: str  # "EndUser", "Agent", "Chatbot", ...


@dataclass(slots=True)
class UiState:
    composer: Composer = "enabled"
    banner: str | None = None  # the closed view's text, when the UI shows one
    error: str | None = None  # a transient error line ("Message not sent")
    new_conversation_button: bool = False
    end_chat_button: bool = False
    chat_open: bool = False
    messages: list[MessageView] = field(default_factory=list)

    @property
    def can_type(self) -> bool:
        return self.chat_open and self.composer == "enabled"

    def find(self, message_id: str) -> MessageView | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def summary(self) -> str:
        """One line that changes whenever what the user sees changes."""
        counts: dict[str, int] = {}
        for m in self.messages:
            counts[m.state] = counts.get(m.state, 0) + 1
        shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        parts = [
            "chat open" if self.chat_open else "chat closed",
            f"composer {self.composer}",
            f"banner {self.banner!r}" if self.banner else "no banner",
            f"error {self.error!r}" if self.error else "",
            "new-conversation button" if self.new_conversation_button else "",
            "End Chat" if self.end_chat_button else "",
            f"messages: {shown}",
        ]
        return "; ".join(p for p in parts if p)
