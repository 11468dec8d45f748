"""What a journey needs from an app, whatever drives it: the `ClientAdapter` protocol and capability declarations.

The journey (`harness.run.journey`) talks to an app only through it; the simulated app is already an adapter.
Adapters that drive something outside the harness (a browser, a device through shell commands, a person) cannot
read their screen synchronously: they take a `ClientUi` snapshot after every action and every `settle()`, and `ui`
returns the latest one. A journey therefore reads the screen only after an action or a settle, as it already does.

Not every adapter can do everything (a manual tester cannot report message ids; a browser page may have no way
to relaunch). Each adapter declares its `Capability` set; `missing()` tells which of the actions a scenario
needs it cannot do, and `not_applicable_reason()` words that for a report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from harness.errors import UserError
from harness.timeline import Kind, Timeline

__all__ = [
    "COMPOSER_STATES",
    "MESSAGE_STATES",
    "Capability",
    "ClientAdapter",
    "ClientError",
    "ClientMessage",
    "ClientUi",
    "Composer",
    "MessageState",
    "Recorder",
    "capabilities_of",
    "missing",
    "not_applicable_reason",
    "usable_capabilities",
]

Composer = Literal["enabled", "read_only", "hidden"]
MessageState = Literal["sending", "sent", "failed"]
COMPOSER_STATES: tuple[Composer, ...] = ("enabled", "read_only", "hidden")
MESSAGE_STATES: tuple[MessageState, ...] = ("sending", "sent", "failed")


class ClientError(UserError):
    """An adapter could not do what it was asked: a command failed, a page never got ready, no answer came."""


class Capability(StrEnum):
    """One thing an adapter can do or read."""

    LAUNCH = "launch"
    SEND = "send"
    TAP_NEW_CONVERSATION = "tap_new_conversation"
    REOPEN_CHAT = "reopen_chat"
    RELAUNCH = "relaunch"
    READ_COMPOSER = "read_composer"
    READ_BANNER = "read_banner"
    READ_NEW_CONVERSATION_BUTTON = "read_new_conversation_button"
    READ_MESSAGES = "read_messages"  # the texts on screen and who wrote them
    READ_MESSAGE_STATE = "read_message_state"  # sending / sent / failed per message
    READ_MESSAGE_IDS = "read_message_ids"  # the ids the client sent its messages with
    READ_CONVERSATION_ID = "read_conversation_id"
    READ_SUBJECT = "read_subject"  # the end user's identity (the token's subject)
    EXACT_SETTLE = "exact_settle"  # settle() waits for the runtime's newest event, not for a quiet screen


ALL_CAPABILITIES: frozenset[Capability] = frozenset(Capability)

_WORDS: dict[Capability, str] = {
    Capability.LAUNCH: "launch the app",
    Capability.SEND: "type and send a message",
    Capability.TAP_NEW_CONVERSATION: "tap 'start a new conversation'",
    Capability.REOPEN_CHAT: "reopen the chat",
    Capability.RELAUNCH: "relaunch the app",
    Capability.READ_COMPOSER: "read whether the composer is enabled",
    Capability.READ_BANNER: "read the closed banner",
    Capability.READ_NEW_CONVERSATION_BUTTON: "read whether a new-conversation button shows",
    Capability.READ_MESSAGES: "read the messages on screen",
    Capability.READ_MESSAGE_STATE: "read each message's send state",
    Capability.READ_MESSAGE_IDS: "read the ids of the messages it sent",
    Capability.READ_CONVERSATION_ID: "read the conversation id it uses",
    Capability.READ_SUBJECT: "read the end user's identity",
    Capability.EXACT_SETTLE: "wait for the runtime's newest event",
}


@dataclass(slots=True)
class ClientMessage:
    """One message as the screen shows it; `id` is empty when the client does not expose it."""

    id: str
    text: str
    state: MessageState
    from_role: str = "EndUser"  # "EndUser", "Agent", "Chatbot", ...
    conversation_id: str | None = None


@dataclass(slots=True)
class ClientUi:
    """A snapshot of the screen, with the same attribute names as `harness.sdk.ui.UiState`."""

    composer: Composer = "hidden"
    banner: str | None = None
    new_conversation_button: bool = False
    messages: list[ClientMessage] = field(default_factory=list)
    error: str | None = None

    @property
    def can_type(self) -> bool:
        return self.composer == "enabled"

    def find(self, message_id: str) -> ClientMessage | None:
        return next((m for m in self.messages if m.id and m.id == message_id), None)

    def summary(self) -> str:
        """One line that changes whenever what the user sees changes (as `UiState.summary`)."""
        counts: dict[str, int] = {}
        for m in self.messages:
            counts[m.state] = counts.get(m.state, 0) + 1
        shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        parts = [
            f"composer {self.composer}",
            f"banner {self.banner!r}" if self.banner else "no banner",
            f"error {self.error!r}" if self.error else "",
            "new-conversation button" if self.new_conversation_button else "",
            f"messages: {shown}",
        ]
        return "; ".join(p for p in parts if p)


@runtime_checkable
class ClientAdapter(Protocol):
    """Everything a journey does with an app. `harness.sdk.app.SimulatedApp` satisfies it as it is."""

    @property
    def conversation_id(self) -> str | None: ...

    @property
    def subject(self) -> str | None: ...

    @property
    def ui(self) -> Any: ...

    async def launch(self) -> None: ...

    async def send(self, text: str) -> Any: ...

    async def tap_new_conversation(self) -> bool: ...

    async def reopen_chat(self) -> None: ...

    async def relaunch(self) -> None: ...

    async def settle(self) -> None: ...


def usable_capabilities(declared: Iterable[Capability], *, has_control: bool) -> frozenset[Capability]:
    """What an adapter can do with what its description declares: an exact settle needs the runtime's control API
    (the newest event id to wait for); without it the adapter falls back to a quiet screen."""
    caps = set(declared)
    if not has_control:
        caps.discard(Capability.EXACT_SETTLE)
    return frozenset(caps)


def capabilities_of(app: object) -> frozenset[Capability]:
    """What `app` declares it can do (a `capabilities` attribute); an app that declares nothing can do it all."""
    declared = getattr(app, "capabilities", None)
    if declared is None:
        return ALL_CAPABILITIES
    return frozenset(Capability(c) for c in declared)


def missing(needed: Iterable[Capability], declared: Iterable[Capability]) -> list[Capability]:
    """The capabilities in `needed` that `declared` lacks, in `Capability` order."""
    have = set(declared)
    wanted = set(needed)
    return [c for c in Capability if c in wanted and c not in have]


def not_applicable_reason(client: str, needed: Iterable[Capability], declared: Iterable[Capability]) -> str | None:
    """Why a scenario needing `needed` cannot run on `client`, or None when it can."""
    lacking = missing(needed, declared)
    if not lacking:
        return None
    return f"{client} cannot " + ", nor ".join(_WORDS[c] for c in lacking)


class Recorder:
    """Writes an adapter's actions and screen changes to the run's timeline, as the simulated app does."""

    def __init__(self, timeline: Timeline | None) -> None:
        self.timeline = timeline
        self._last = ""

    def act(self, summary: str) -> None:
        if self.timeline is not None:
            self.timeline.add(Kind.ACTION, "user", summary)

    def note(self, summary: str, **detail: Any) -> None:
        if self.timeline is not None:
            self.timeline.add(Kind.NOTE, "app", summary, detail or None)

    def screen(self, ui: ClientUi) -> None:
        summary = ui.summary()
        if summary != self._last:
            self._last = summary
            if self.timeline is not None:
                self.timeline.add(Kind.UI, "app", summary)


if TYPE_CHECKING:  # mypy proves here that the simulated app is an adapter as it stands
    from harness.sdk.app import SimulatedApp

    def _simulated_app_is_an_adapter(app: SimulatedApp) -> ClientAdapter:
        return app
