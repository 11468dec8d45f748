"""The conversation and messaging-session state machines: one rulebook for the runtime and the client.

Theory of operation (after h11's `_state.py`):

* Two small machines. The conversation machine has OPEN and CLOSED (terminal). The session machine tracks the
  conversation's *current* messaging session: no session yet (``None``), NEW, WAITING, ACTIVE, INACTIVE, PAUSED,
  CONSENT, ERROR and ENDED.
* Event-triggered transitions live in two tables. A missing key means the move is illegal: `handle` raises
  `IllegalTransition`, naming the state and the event, and leaves the state unchanged.
* State-triggered rules couple the machines and are applied until nothing changes:
  1. a CLOSED conversation has no live session (the session ENDs with cause CONVERSATION_CLOSED);
  2. Session-Based Chat: a session that ENDED closes the conversation, except when it ended by an opt-out keyword
     (and, by policy, when the 24 h auto-end ended it). This is the article's "Any messaging session ended by a
     service rep, bot, or end user also ends the conversation".
* `handle` returns every change in order, so the runtime can emit one event per change and the client can replay
  what it observes through the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from harness.wire.events import SessionStatus

__all__ = [
    "CONVERSATION_TRANSITIONS",
    "LIVE_SESSION_STATES",
    "SESSION_TRANSITIONS",
    "Change",
    "ConversationEvent",
    "ConversationState",
    "EndCause",
    "IllegalTransition",
    "Lifecycle",
    "Machine",
    "Policy",
    "SessionEvent",
    "mermaid_diagram",
]


class ConversationState(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class ConversationEvent(StrEnum):
    CLOSE = "close"


class SessionEvent(StrEnum):
    START = "start"  # a new messaging session begins (first message, explicit create, message after an end)
    ROUTE = "route"  # the session is submitted to routing
    ACCEPT = "accept"  # a rep or bot joins
    CUSTOMER_MESSAGE = "customer_message"  # the end user writes
    INACTIVATE = "inactivate"  # customer-inactivity timer or "Mark Inactive"
    TRANSFER = "transfer"  # a rep transfers: back to routing
    PAUSE = "pause"
    RESUME = "resume"
    ASK_CONSENT = "ask_consent"
    CONSENT_GIVEN = "consent_given"
    FAIL = "fail"
    END = "end"  # ended by a rep, bot, supervisor, the end user, an opt-out keyword, auto-end or a close


class EndCause(StrEnum):
    AGENT = "Agent"
    CHATBOT = "Chatbot"
    END_USER = "EndUser"
    SUPERVISOR = "Supervisor"
    SYSTEM = "System"
    OPT_OUT = "OptOut"
    AUTO_END = "AutoEnd"
    CONVERSATION_CLOSED = "ConversationClosed"


LIVE_SESSION_STATES: frozenset[SessionStatus] = frozenset(
    {
        SessionStatus.NEW,
        SessionStatus.WAITING,
        SessionStatus.ACTIVE,
        SessionStatus.INACTIVE,
        SessionStatus.PAUSED,
        SessionStatus.CONSENT,
    }
)

_S = SessionStatus
_E = SessionEvent

SESSION_TRANSITIONS: dict[SessionStatus | None, dict[SessionEvent, SessionStatus]] = {
    None: {_E.START: _S.NEW},
    _S.NEW: {_E.ROUTE: _S.WAITING, _E.CUSTOMER_MESSAGE: _S.NEW, _E.FAIL: _S.ERROR, _E.END: _S.ENDED},
    _S.WAITING: {
        _E.ACCEPT: _S.ACTIVE,
        _E.CUSTOMER_MESSAGE: _S.WAITING,
        _E.ASK_CONSENT: _S.CONSENT,
        _E.FAIL: _S.ERROR,
        _E.END: _S.ENDED,
    },
    _S.ACTIVE: {
        _E.ACCEPT: _S.ACTIVE,  # a second participant (conference) or a bot handing over
        _E.CUSTOMER_MESSAGE: _S.ACTIVE,
        _E.INACTIVATE: _S.INACTIVE,
        _E.TRANSFER: _S.WAITING,
        _E.PAUSE: _S.PAUSED,
        _E.FAIL: _S.ERROR,
        _E.END: _S.ENDED,
    },
    # HELP-AUTOEND: a customer message on an inactive session sends it back to Waiting to be rerouted.
    _S.INACTIVE: {_E.CUSTOMER_MESSAGE: _S.WAITING, _E.ACCEPT: _S.ACTIVE, _E.END: _S.ENDED},
    _S.PAUSED: {_E.RESUME: _S.ACTIVE, _E.CUSTOMER_MESSAGE: _S.PAUSED, _E.END: _S.ENDED},
    _S.CONSENT: {_E.CONSENT_GIVEN: _S.WAITING, _E.END: _S.ENDED},
    _S.ERROR: {_E.START: _S.NEW},
    _S.ENDED: {_E.START: _S.NEW},
}

CONVERSATION_TRANSITIONS: dict[ConversationState, dict[ConversationEvent, ConversationState]] = {
    ConversationState.OPEN: {ConversationEvent.CLOSE: ConversationState.CLOSED},
    ConversationState.CLOSED: {},
}


class IllegalTransition(Exception):
    """An event that the current state does not allow; the state is left unchanged."""

    def __init__(self, machine: str, state: object, event: object, why: str = "") -> None:
        self.machine = machine
        self.state = state
        self.event = event
        label = getattr(state, "value", state)
        ev = getattr(event, "value", event)
        detail = f": {why}" if why else ""
        super().__init__(f"{machine} cannot handle '{ev}' in state {label}{detail}")


@dataclass(frozen=True, slots=True)
class Policy:
    """The channel settings that the rules read (as published, not as saved)."""

    session_based_chat: bool = False
    auto_end_closes: bool = True  # does the ~24 h auto-end of an inactive session count as a session end?

    def end_closes_conversation(self, cause: EndCause) -> bool:
        if not self.session_based_chat or cause in (EndCause.OPT_OUT, EndCause.CONVERSATION_CLOSED):
            return False
        return cause is not EndCause.AUTO_END or self.auto_end_closes


class Machine(StrEnum):
    CONVERSATION = "conversation"
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class Change:
    """One state change: which machine moved, from where to where, on what, and why.

    Every field is an enum of this module (or of `harness.wire.events`); being `StrEnum`s, they compare equal to
    their wire strings and serialize as them.
    """

    machine: Machine
    before: ConversationState | SessionStatus | None
    after: ConversationState | SessionStatus
    event: ConversationEvent | SessionEvent
    cause: EndCause | None = None
    triggered: bool = False  # by a state-triggered rule rather than by the event itself


@dataclass(slots=True)
class Lifecycle:
    """The state of one conversation and its current messaging session."""

    policy: Policy = field(default_factory=Policy)
    conversation: ConversationState = ConversationState.OPEN
    session: SessionStatus | None = None
    end_cause: EndCause | None = None
    sessions_started: int = 0

    @property
    def session_live(self) -> bool:
        return self.session in LIVE_SESSION_STATES

    def snapshot(self) -> tuple[ConversationState, SessionStatus | None, EndCause | None]:
        return (self.conversation, self.session, self.end_cause)

    # -- event-triggered ------------------------------------------------------------------------------------
    def handle(self, event: SessionEvent | ConversationEvent, cause: EndCause | None = None) -> list[Change]:
        """Apply one event, then the state-triggered rules; return every change in order."""
        if isinstance(event, ConversationEvent):
            first = self._conversation_move(event)
        else:
            first = self._session_move(event, cause)
        changes = [first]
        changes.extend(self._settle())
        return changes

    def _conversation_move(self, event: ConversationEvent) -> Change:
        nxt = CONVERSATION_TRANSITIONS[self.conversation].get(event)
        if nxt is None:
            raise IllegalTransition("conversation", self.conversation, event, "a closed conversation is final")
        before = self.conversation
        self.conversation = nxt
        return Change(Machine.CONVERSATION, before, nxt, event)

    def _session_move(self, event: SessionEvent, cause: EndCause | None) -> Change:
        if self.conversation is ConversationState.CLOSED:
            raise IllegalTransition("session", self.session or "NONE", event, "the conversation is CLOSED")
        if event is SessionEvent.END and cause is None:
            raise IllegalTransition("session", self.session or "NONE", event, "an end needs a cause")
        nxt = SESSION_TRANSITIONS[self.session].get(event)
        if nxt is None:
            raise IllegalTransition("session", self.session or "NONE", event)
        before = self.session
        self.session = nxt
        if event is SessionEvent.START:
            self.sessions_started += 1
            self.end_cause = None
        if nxt is SessionStatus.ENDED:
            self.end_cause = cause
        return Change(Machine.SESSION, before, nxt, event, cause)

    # -- state-triggered ------------------------------------------------------------------------------------
    def _settle(self) -> list[Change]:
        changes: list[Change] = []
        while True:
            change = self._apply_rules()
            if change is None:
                return changes
            changes.append(change)

    def _apply_rules(self) -> Change | None:
        if self.conversation is ConversationState.CLOSED and self.session_live:
            before = self.session
            self.session = SessionStatus.ENDED
            self.end_cause = EndCause.CONVERSATION_CLOSED
            return Change(
                Machine.SESSION,
                before,
                SessionStatus.ENDED,
                SessionEvent.END,
                EndCause.CONVERSATION_CLOSED,
                triggered=True,
            )
        if (
            self.conversation is ConversationState.OPEN
            and self.session is SessionStatus.ENDED
            and self.end_cause is not None
            and self.policy.end_closes_conversation(self.end_cause)
        ):
            self.conversation = ConversationState.CLOSED
            return Change(
                Machine.CONVERSATION,
                ConversationState.OPEN,
                ConversationState.CLOSED,
                ConversationEvent.CLOSE,
                self.end_cause,
                triggered=True,
            )
        return None


def mermaid_diagram() -> str:
    """A Mermaid state diagram drawn from the transition tables (used in README.md)."""
    lines = ["stateDiagram-v2", "    state Session {", "    [*] --> NEW: start"]
    for state, moves in SESSION_TRANSITIONS.items():
        if state is None:
            continue
        for event, nxt in moves.items():
            target = "NEW" if event is SessionEvent.START else nxt.value.upper()
            lines.append(f"    {state.value.upper()} --> {target}: {event.value}")
    lines.append("    }")
    lines.append("    state Conversation {")
    lines.append("    [*] --> OPEN: create")
    for cstate, cmoves in CONVERSATION_TRANSITIONS.items():
        for cevent, cnxt in cmoves.items():
            lines.append(f"    {cstate.value} --> {cnxt.value}: {cevent.value}")
    lines.append("    CLOSED --> [*]")
    lines.append("    }")
    lines.append("    note right of Conversation")
    lines.append("        session ENDED + Session-Based Chat (not opt-out) => CLOSED")
    lines.append("        CLOSED => live session ENDED")
    lines.append("    end note")
    return "\n".join(lines) + "\n"
