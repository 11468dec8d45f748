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
  what it observes through the same rules: `ConversationView` folds wire entries (SessionStatusChanged,
  CloseConversation, ParticipantChanged) back into lifecycle events and runs them through `Lifecycle`. A view that
  missed entries (it joined late, or the runtime lists one page) resynchronises to what the entry says and counts
  it in `resyncs`, instead of failing; `tests/unit/test_agreement.py` proves the two sides never need to.

Just over 400 lines: both machines, their coupling and the client's view of them are one rulebook, and every rule
that changes state lives in this one module (h11's "Rule 1").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from harness.wire.entries import Entry
from harness.wire.events import EntryType, SessionStatus

__all__ = [
    "CONVERSATION_TRANSITIONS",
    "LIVE_SESSION_STATES",
    "SESSION_TRANSITIONS",
    "Change",
    "ConversationEvent",
    "ConversationState",
    "ConversationView",
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


def session_event_between(before: SessionStatus | None, after: SessionStatus) -> SessionEvent | None:
    """The one event that moves a session from `before` to a different state `after`, if the table has one."""
    for event, nxt in SESSION_TRANSITIONS[before].items():
        if nxt is after and nxt is not before:
            return event
    return None


@dataclass(slots=True)
class ConversationView:
    """One conversation as a client sees it: the wire entries it received, folded through the same rules.

    `policy` is what the client knows of the channel (by default nothing: Session-Based Chat unknown, so only a
    CloseConversation entry closes the conversation). `conversation` is None until something says it is open or
    closed (`learn`); a status entry or a participant change implies it is open.
    """

    policy: Policy = field(default_factory=Policy)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    known: bool = False  # whether anything told the client the conversation's state
    participants: dict[str, str] = field(default_factory=dict)  # subject -> role, of those present now
    had_participants: bool = False
    resyncs: int = 0

    def __post_init__(self) -> None:
        self.lifecycle.policy = self.policy

    @property
    def conversation(self) -> ConversationState | None:
        """CLOSED once anything closed it; OPEN once something said so; None while the client cannot tell."""
        if self.lifecycle.conversation is ConversationState.CLOSED:
            return ConversationState.CLOSED
        return ConversationState.OPEN if self.known else None

    @property
    def session(self) -> SessionStatus | None:
        return self.lifecycle.session

    @property
    def closed(self) -> bool:
        return self.lifecycle.conversation is ConversationState.CLOSED

    def learn(self, state: ConversationState) -> list[Change]:
        """Another source (a status read, a local store) says the conversation is `state`."""
        self.known = True
        if state is ConversationState.CLOSED and self.lifecycle.conversation is ConversationState.OPEN:
            return self.lifecycle.handle(ConversationEvent.CLOSE)
        return []

    def fold(self, entry: Entry) -> list[Change]:
        """Apply one entry; return the lifecycle changes it made (none for entries that carry no state)."""
        if entry.entry_type is EntryType.PARTICIPANT_CHANGED:
            self._participants(entry)
            return []
        if entry.entry_type is EntryType.CLOSE_CONVERSATION:
            self.known = True
            if self.lifecycle.conversation is ConversationState.CLOSED:
                return []  # already closed by the rules (Session-Based Chat): the entry confirms it
            return self.lifecycle.handle(ConversationEvent.CLOSE)
        if entry.entry_type is EntryType.SESSION_STATUS_CHANGED:
            return self._session_status(entry)
        return []

    def _participants(self, entry: Entry) -> None:
        for change in entry.payload.get("entries") or []:
            participant = change.get("participant") or {}
            subject = str(participant.get("subject", ""))
            if change.get("operation") == "add":
                self.participants[subject] = str(participant.get("role", ""))
                self.had_participants = True
            elif change.get("operation") == "remove":
                self.participants.pop(subject, None)

    def _session_status(self, entry: Entry) -> list[Change]:
        after = _status(entry.payload.get("sessionStatus"))
        if after is None:
            return []
        prev = _status(entry.payload.get("sessionStatusPrev"))
        if prev is not None and prev is not self.lifecycle.session:
            self._resync(prev)  # entries were missed: start from where this one starts
        if after is self.lifecycle.session:
            return []
        event = session_event_between(self.lifecycle.session, after)
        cause = _cause(entry.payload.get("sessionEndReason")) if after is SessionStatus.ENDED else None
        if event is SessionEvent.END and cause is None:
            cause = EndCause.SYSTEM  # an end the entry does not explain
        try:
            if event is None:
                raise IllegalTransition("session", self.lifecycle.session or "NONE", after)
            return self.lifecycle.handle(event, cause)
        except IllegalTransition:
            self._resync(after, cause)
            return []

    def _resync(self, session: SessionStatus, cause: EndCause | None = None) -> None:
        self.resyncs += 1
        self.lifecycle.session = session
        self.lifecycle.end_cause = cause if session is SessionStatus.ENDED else None


def _status(value: object) -> SessionStatus | None:
    try:
        return SessionStatus(str(value))
    except ValueError:
        return None


def _cause(value: object) -> EndCause | None:
    try:
        return EndCause(str(value))
    except ValueError:
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
