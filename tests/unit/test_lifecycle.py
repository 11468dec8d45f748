"""The lifecycle tables: every legal move, every illegal one, and the coupling rules."""

from __future__ import annotations

import pytest

from harness.lifecycle import (
    CONVERSATION_TRANSITIONS,
    LIVE_SESSION_STATES,
    SESSION_TRANSITIONS,
    ConversationEvent,
    ConversationState,
    EndCause,
    IllegalTransition,
    Lifecycle,
    Policy,
    SessionEvent,
    mermaid_diagram,
)
from harness.wire.events import SessionStatus

ALL_SESSION_STATES: list[SessionStatus | None] = [None, *SessionStatus]


def _at(state: SessionStatus | None, policy: Policy | None = None) -> Lifecycle:
    life = Lifecycle(policy or Policy())
    life.session = state
    return life


@pytest.mark.parametrize("state", ALL_SESSION_STATES)
@pytest.mark.parametrize("event", [e for e in SessionEvent if e is not SessionEvent.END])
def test_session_table_is_the_whole_truth(state: SessionStatus | None, event: SessionEvent) -> None:
    life = _at(state)
    expected = SESSION_TRANSITIONS[state].get(event)
    if expected is None:
        with pytest.raises(IllegalTransition) as err:
            life.handle(event)
        assert life.snapshot() == (ConversationState.OPEN, state, None)
        assert event.value in str(err.value)
    else:
        changes = life.handle(event)
        assert life.session is expected
        assert changes[0].after == expected.value
        assert life.conversation is ConversationState.OPEN


@pytest.mark.parametrize("state", ALL_SESSION_STATES)
@pytest.mark.parametrize("sbc", [False, True])
@pytest.mark.parametrize("cause", list(EndCause))
def test_end_from_every_state(state: SessionStatus | None, sbc: bool, cause: EndCause) -> None:
    life = _at(state, Policy(session_based_chat=sbc))
    if SessionEvent.END not in SESSION_TRANSITIONS[state]:
        with pytest.raises(IllegalTransition):
            life.handle(SessionEvent.END, cause)
        assert life.snapshot() == (ConversationState.OPEN, state, None)
        return
    life.handle(SessionEvent.END, cause)
    assert life.session is SessionStatus.ENDED
    closes = sbc and cause not in (EndCause.OPT_OUT, EndCause.CONVERSATION_CLOSED)
    assert life.conversation is (ConversationState.CLOSED if closes else ConversationState.OPEN)


def test_end_needs_a_cause() -> None:
    life = _at(SessionStatus.ACTIVE)
    with pytest.raises(IllegalTransition, match="needs a cause"):
        life.handle(SessionEvent.END)
    assert life.session is SessionStatus.ACTIVE


@pytest.mark.parametrize(
    ("auto_end_closes", "expected"),
    [(True, ConversationState.CLOSED), (False, ConversationState.OPEN)],
)
def test_auto_end_policy(auto_end_closes: bool, expected: ConversationState) -> None:
    life = _at(SessionStatus.INACTIVE, Policy(session_based_chat=True, auto_end_closes=auto_end_closes))
    life.handle(SessionEvent.END, EndCause.AUTO_END)
    assert life.conversation is expected


@pytest.mark.parametrize("state", ALL_SESSION_STATES)
def test_close_ends_a_live_session(state: SessionStatus | None) -> None:
    life = _at(state)
    changes = life.handle(ConversationEvent.CLOSE)
    assert life.conversation is ConversationState.CLOSED
    if state in LIVE_SESSION_STATES:
        assert life.session is SessionStatus.ENDED
        assert life.end_cause is EndCause.CONVERSATION_CLOSED
        assert [c.machine for c in changes] == ["conversation", "session"]
        assert changes[1].triggered
    else:
        assert life.session is state
        assert len(changes) == 1


@pytest.mark.parametrize("event", list(SessionEvent))
def test_closed_conversation_refuses_every_session_event(event: SessionEvent) -> None:
    life = _at(SessionStatus.ACTIVE)
    life.handle(ConversationEvent.CLOSE)
    before = life.snapshot()
    with pytest.raises(IllegalTransition, match="CLOSED"):
        life.handle(event, EndCause.AGENT)
    assert life.snapshot() == before


def test_closed_is_final() -> None:
    life = _at(None)
    life.handle(ConversationEvent.CLOSE)
    with pytest.raises(IllegalTransition, match="final"):
        life.handle(ConversationEvent.CLOSE)
    assert CONVERSATION_TRANSITIONS[ConversationState.CLOSED] == {}


def test_sbc_rep_end_emits_session_then_conversation() -> None:
    life = _at(None, Policy(session_based_chat=True))
    for event in (SessionEvent.START, SessionEvent.ROUTE, SessionEvent.ACCEPT):
        life.handle(event)
    changes = life.handle(SessionEvent.END, EndCause.AGENT)
    assert [(c.machine, c.after, c.triggered) for c in changes] == [
        ("session", "Ended", False),
        ("conversation", "CLOSED", True),
    ]


def test_new_session_after_end_without_sbc() -> None:
    life = _at(SessionStatus.ACTIVE)
    life.handle(SessionEvent.END, EndCause.AGENT)
    life.handle(SessionEvent.START)
    assert life.session is SessionStatus.NEW
    assert life.end_cause is None
    assert life.sessions_started == 1


def test_inactive_customer_message_reroutes() -> None:
    life = _at(SessionStatus.INACTIVE)
    life.handle(SessionEvent.CUSTOMER_MESSAGE)
    assert life.session is SessionStatus.WAITING


def test_diagram_is_drawn_from_the_tables() -> None:
    text = mermaid_diagram()
    for state, moves in SESSION_TRANSITIONS.items():
        for event in moves:
            if state is not None:
                assert f"{state.value.upper()} --> " in text
                assert f": {event.value}" in text
    assert "OPEN --> CLOSED: close" in text
