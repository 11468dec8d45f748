"""One rulebook, two sides: the client's view of a conversation agrees with the runtime's tables at every step.

In the spirit of h11's paired connections: every bundled scenario is played on the mock runtime, and after each
lifecycle event the runtime applies, the entries it emitted for that conversation travel through their SSE wire
shape into a client-side `ConversationView` (given the channel policy the runtime used). The view's conversation and
session state must equal the runtime's, without ever resynchronising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness.lifecycle import (
    ConversationEvent,
    ConversationState,
    ConversationView,
    EndCause,
    Lifecycle,
    Policy,
    SessionEvent,
)
from harness.server.state import Conversation, Runtime
from harness.steps.options import SUITE_MODULE
from harness.wire import Entry, EntryType, Role, SessionStatus
from harness.wire.entries import Sender, entry_from_sse, entry_to_sse_data


@dataclass
class Referee:
    """Folds each conversation's new entries into its client view after every event the runtime applies."""

    # by the runtime's conversation object (ids repeat across runs: each run seeds its own runtime); the object is
    # kept so that its id() is never reused
    views: dict[int, tuple[Conversation, ConversationView]] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)
    steps: int = 0
    disagreements: list[str] = field(default_factory=list)

    def check(self, conv: Conversation) -> None:
        cid, key = conv.conversation_id, id(conv)
        view = self.views.setdefault(key, (conv, ConversationView()))[1]
        view.policy = view.lifecycle.policy = conv.lifecycle.policy
        for entry in conv.entries[self.seen.get(key, 0) :]:
            view.fold(entry_from_sse(entry_to_sse_data(entry)))  # as the client receives it
        self.seen[key] = len(conv.entries)
        self.steps += 1
        server = (conv.lifecycle.conversation, conv.lifecycle.session)
        client = (view.lifecycle.conversation, view.session)
        if server != client or view.resyncs:
            self.disagreements.append(f"{cid[:8]}: runtime {server}, client {client}, resyncs {view.resyncs}")


@pytest.fixture
def referee(monkeypatch: pytest.MonkeyPatch) -> Referee:
    ref = Referee()
    original: Callable[..., Any] = Runtime._apply

    def apply_and_check(self: Runtime, conv: Conversation, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, conv, *args, **kwargs)
        finally:
            ref.check(conv)

    monkeypatch.setattr(Runtime, "_apply", apply_and_check)
    return ref


def test_every_bundled_scenario_agrees_step_by_step(
    pytester: pytest.Pytester, referee: Referee, tmp_path: Path
) -> None:
    # One mobile client and the web client: every scenario runs (web-only ones included), under every variant.
    result = pytester.runpytest_inprocess(
        "--pyargs",
        SUITE_MODULE,
        "-p",
        "no:cacheprovider",
        "-q",
        f"--miaw-results={tmp_path}",
        "--miaw-sdk=android-1.11",
        "--miaw-sdk=web",
        "--miaw-app=persist-until-closed-event",
        "--miaw-app=web-storage",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) > 0, result.stdout.str()[-2000:]
    assert referee.steps > 100
    assert not referee.disagreements, "\n".join(referee.disagreements[:20])


# -- the view on its own: hand-made streams ---------------------------------------------------------------------


def _status(after: SessionStatus, before: SessionStatus | None, cause: EndCause | None = None) -> Entry:
    payload: dict[str, Any] = {"sessionStatus": after.value, "sessionStatusPrev": before}
    if cause is not None:
        payload["sessionEndReason"] = cause.value
    return _entry(EntryType.SESSION_STATUS_CHANGED, payload)


def _entry(entry_type: EntryType, payload: dict[str, Any]) -> Entry:
    return Entry("c1", "e1", entry_type, payload, Sender(Role.SYSTEM, "system"), "System", 0)


def test_a_session_ended_under_session_based_chat_closes_the_view_before_the_close_entry() -> None:
    view = ConversationView(policy=Policy(session_based_chat=True))
    for status, before in ((SessionStatus.NEW, None), (SessionStatus.WAITING, SessionStatus.NEW)):
        view.fold(_status(status, before))
    changes = view.fold(_status(SessionStatus.ENDED, SessionStatus.WAITING, EndCause.AGENT))
    assert [c.machine.value for c in changes] == ["session", "conversation"]
    assert view.conversation is ConversationState.CLOSED
    assert view.fold(_entry(EntryType.CLOSE_CONVERSATION, {"conversationId": "c1"})) == []  # it confirms
    assert view.resyncs == 0


def test_without_the_policy_only_the_close_entry_closes_the_view() -> None:
    view = ConversationView()
    view.fold(_status(SessionStatus.NEW, None))
    view.fold(_status(SessionStatus.ENDED, SessionStatus.NEW, EndCause.AGENT))
    assert view.conversation is None and view.session is SessionStatus.ENDED
    view.fold(_entry(EntryType.CLOSE_CONVERSATION, {"conversationId": "c1"}))
    assert view.closed


def test_a_view_that_missed_entries_resyncs_and_says_so() -> None:
    view = ConversationView()
    view.fold(_status(SessionStatus.INACTIVE, SessionStatus.ACTIVE))
    assert view.session is SessionStatus.INACTIVE and view.resyncs == 1


def test_the_view_and_a_lifecycle_agree_on_a_whole_session() -> None:
    server, view = Lifecycle(), ConversationView()
    steps: list[tuple[SessionEvent | ConversationEvent, EndCause | None]] = [
        (SessionEvent.START, None),
        (SessionEvent.ROUTE, None),
        (SessionEvent.ACCEPT, None),
        (SessionEvent.INACTIVATE, None),
        (SessionEvent.CUSTOMER_MESSAGE, None),
        (SessionEvent.ACCEPT, None),
        (SessionEvent.END, EndCause.END_USER),
        (SessionEvent.START, None),
        (ConversationEvent.CLOSE, None),
    ]
    for event, cause in steps:
        changes = server.handle(event, cause)
        for change in sorted(changes, key=lambda c: c.machine.value == "conversation"):  # the runtime's order
            if change.machine.value == "session" and change.before != change.after:
                view.fold(_status(SessionStatus(change.after), change.before, change.cause))  # type: ignore[arg-type]
            elif change.machine.value == "conversation":
                view.fold(_entry(EntryType.CLOSE_CONVERSATION, {"conversationId": "c1"}))
        assert (view.lifecycle.conversation, view.session) == (server.conversation, server.session), event
    assert view.resyncs == 0
