"""The step library: thin pytest-bdd steps that hand each action to the rig, the journey or the control API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
from pytest_bdd import given, parsers, then, when

from harness.lifecycle import ConversationState
from harness.run.control import ControlError
from harness.run.judge import NotApplicable
from harness.run.rig import Rig, Target
from harness.steps.runtime import STATE, RunState
from harness.timeline import Fact, Kind

T = TypeVar("T")

REP_ROLES = {"rep": "Agent", "bot": "Chatbot", "supervisor": "Supervisor"}


class World:
    """The sync face of one run: each call runs a coroutine of the rig on the suite's event loop."""

    def __init__(self, portal: Any, state: RunState, target: Target) -> None:
        self.portal = portal
        self.state = state
        self.rig: Rig = portal.call(Rig.start, state.cell, state.seed, state.timeline, state.observations, target)

    def run(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        result: T = self.portal.call(fn, *args)
        return result

    @property
    def journey(self) -> Any:
        return self.rig.journey

    def control_action(self, actor: str, summary: str, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        self.state.timeline.add(Kind.CONTROL, actor, summary)
        return self.run(fn, *args)

    def conversation_id(self) -> str:
        """The user's current conversation: where their last message reached a rep (it changes when they start a
        new one after the rep ended the first)."""
        cid = self.journey.current_conversation_id or self.journey.first_conversation_id or self.rig.app.conversation_id
        assert cid, "the user has no conversation yet"
        return str(cid)


@pytest.fixture
def world(request: pytest.FixtureRequest, miaw_portal: Any) -> Iterator[World]:
    state = request.node.stash[STATE]
    config = request.config
    target_url = config.getoption("miaw_target")
    target = Target(
        base_url=target_url,
        org_id=config.getoption("miaw_org_id"),
        deployment=config.getoption("miaw_deployment"),
        ca_bundle=config.getoption("miaw_ca_bundle"),
        interactive=bool(config.getoption("miaw_interactive")),
    )
    w = World(miaw_portal, state, target)
    try:
        yield w
    finally:
        miaw_portal.call(w.rig.aclose)


# -- channel settings -----------------------------------------------------------------------------------------
@given(parsers.parse("Session-Based Chat is turned {setting} for the channel"))
def _(world: World, setting: str) -> None:
    """Turns Session-Based Chat on or off for the channel ("on and published" publishes it too).

    Example: Session-Based Chat is turned on and published for the channel
    """
    world.run(lambda: world.rig.configure(session_based_chat=setting.startswith("on")))


@given(parsers.parse('the channel has the opt-out keyword "{keyword}"'))
def _(world: World, keyword: str) -> None:
    """Gives the channel an opt-out keyword that ends the conversation when the user sends it."""
    world.run(lambda: world.rig.configure(opt_out_keywords=[keyword]))


@given(parsers.parse("the channel's customer inactivity timeout is {minutes:d} minutes"))
def _(world: World, minutes: int) -> None:
    """Sets how long the user may stay silent before the runtime makes the session inactive."""
    world.run(lambda: world.rig.configure(inactivity_timeout_s=minutes * 60))


@given(parsers.parse("the channel's access tokens last {hours:d} hours"))
def _(world: World, hours: int) -> None:
    """Sets how long the runtime's access tokens stay valid.

    Example: the channel's access tokens last 24 hours
    """
    world.run(lambda: world.rig.configure(token_ttl_s=hours * 3600))


PRECHAT_FORM = [
    {"name": "Name", "type": "Text", "required": True},
    {"name": "Email", "type": "Email", "required": True},
]


@given("the channel shows pre-chat for every session")
def _(world: World) -> None:
    """Makes the channel show its pre-chat form (name and email) at the start of every session."""
    world.run(lambda: world.rig.configure(prechat_display="Session", prechat_fields=PRECHAT_FORM))


# -- the user's side ------------------------------------------------------------------------------------------
@given("the user is chatting with a rep")
def _(world: World) -> None:
    """Launches the app and writes until a rep answers: the live chat most scenarios start from."""
    world.run(world.journey.open_chat)


@when("the user ends the chat")
def _(world: World) -> None:
    """The user taps End Chat (not applicable where the SDK offers none)."""
    if not world.run(world.rig.app.end_chat):
        raise NotApplicable(f"{world.rig.app.profile.name} offers no End Chat")
    world.run(world.journey.settle)


@when("the user closes the conversation")
def _(world: World) -> None:
    """The user closes the conversation from the app (not applicable where the SDK cannot)."""
    if not world.run(world.rig.app.close_conversation):
        raise NotApplicable(f"{world.rig.app.profile.name} cannot close a conversation")
    world.run(world.journey.settle)


@when(parsers.parse('the user sends "{text}"'))
def _(world: World, text: str) -> None:
    """The user types and sends this text in the chat."""
    world.run(world.rig.app.send, text)
    world.run(world.journey.settle)


@when("the app is killed and relaunched")
def _(world: World) -> None:
    """The app process dies and is launched again at once."""
    world.run(world.rig.app.relaunch)
    world.run(world.journey.settle)


@when("the app is killed")
def _(world: World) -> None:
    """The app process dies: its event stream stops, what it stored survives for the next launch."""
    # The process dies: its event stream stops with it. What it stored survives for the next launch.
    world.run(world.rig.app.background)


@when("the app is launched again")
def _(world: World) -> None:
    """The app is launched again after it was killed."""
    world.run(world.rig.app.relaunch)
    world.run(world.journey.settle)


@when("the user refreshes the page")
def _(world: World) -> None:
    """The web page is reloaded (Enhanced Web Chat)."""
    world.run(world.rig.app.relaunch)
    world.run(world.journey.settle)


@when("the device goes offline")
def _(world: World) -> None:
    """The device loses its network: requests fail and the event stream stops."""
    world.run(world.rig.app.go_offline)


@when("the device comes back online")
def _(world: World) -> None:
    """The device gets its network back and the app catches up."""
    world.run(world.rig.app.go_online)
    world.run(world.journey.settle)


@when("the app goes to the background")
def _(world: World) -> None:
    """The app goes to the background and stops listening for events."""
    world.run(world.rig.app.background)


@when("the app comes back to the foreground")
def _(world: World) -> None:
    """The app comes back to the foreground and catches up on what it missed."""
    world.run(world.rig.app.foreground_)
    world.run(world.journey.settle)


@when("the user sends a message while the rep ends the session")
def _(world: World) -> None:
    """The user sends a message at the same moment the rep ends the session of the current conversation."""
    control = world.rig.need_control("play the rep")
    cid = world.conversation_id()
    world.state.timeline.add(Kind.CONTROL, "rep", "the rep ends the session (racing a send)")
    world.run(world.journey.send_during, lambda: control.end_session(cid, "Agent"))


# -- reps, bots, timers and faults ------------------------------------------------------------------------------
@when(parsers.re(r"(?:the|a) (?P<who>rep|bot|supervisor) ends the session"))
def _(world: World, who: str) -> None:
    """A rep, bot or supervisor ends the messaging session of the user's current conversation."""
    if world.journey.obs.recovered is False:  # the user never got back to a rep: there is no live session to end
        world.state.timeline.add(Kind.NOTE, "harness", f"the user never came back: the {who} has no session to end")
        return
    control = world.rig.need_control(f"play the {who}")
    cid = world.conversation_id()
    world.control_action(who, f"the {who} ends the session", control.end_session, cid, REP_ROLES[who])
    world.run(world.journey.settle)


@when(parsers.parse("{minutes:d} minutes pass without a message from the user"))
def _(world: World, minutes: int) -> None:
    """Moves the runtime's clock forward while the user stays silent."""
    control = world.rig.need_control("move the clock")
    world.control_action("clock", f"{minutes} minutes pass", control.advance_clock, minutes * 60)
    world.run(world.journey.settle)


@when(parsers.parse("{hours:d} hours pass"))
def _(world: World, hours: int) -> None:
    """Moves the runtime's clock forward.

    Example: 25 hours pass
    """
    control = world.rig.need_control("move the clock")
    world.control_action("clock", f"{hours} hours pass", control.advance_clock, hours * 3600)
    world.run(world.journey.settle)


@when(parsers.re(r'the runtime fails the next (?P<count>\d+) "(?P<route>\w+)" requests? with (?P<status>\d+)'))
def _(world: World, count: str, route: str, status: str) -> None:
    """Makes the runtime answer the next requests of one route with an HTTP error status."""
    control = world.rig.need_control("inject faults")
    summary = f"the next {count} {route} requests fail with {status}"
    world.control_action("harness", summary, control.fail_requests, route, int(status), int(count))


@when("the event stream drops")
def _(world: World) -> None:
    """The runtime drops the app's event stream; the step waits until the app noticed and settled."""
    control = world.rig.need_control("drop the event stream")
    subject = world.rig.app.subject
    assert subject, "the app has no identity yet"
    stream = world.rig.app.stream
    noticed = _drops_noticed(world)
    world.control_action("harness", "the event stream drops", control.drop_streams, subject)
    # Wait until the app saw the drop and its stream is steady again (reopened, or given up by its policy), so
    # that what happens next is never raced by a reconnect in the background.
    world.run(
        _until, stream.changed, lambda: _drops_noticed(world) > noticed and (stream.connected or not stream.running)
    )


def _drops_noticed(world: World) -> int:
    return len(world.state.timeline.facts(Fact.STREAM_CLOSED_BY_SERVER))


async def _until(changed: asyncio.Condition, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with changed:
        await asyncio.wait_for(changed.wait_for(predicate), timeout_s)


@when("the app's access token expires")
def _(world: World) -> None:
    """The app's access token expires on the runtime; the step waits until the app noticed and settled.

    The runtime ends the stream the token opened: the step waits until the app saw that and its stream is steady
    again (reconnected, with a renewed token or as a new identity, or left down by its policy), so that what happens
    next is never raced by a renewal in the background.
    """
    control = world.rig.need_control("expire tokens")
    stream = world.rig.app.stream
    was_open = stream.connected
    noticed = _drops_noticed(world)
    world.control_action("clock", "the access token expires", control.expire_tokens, world.rig.app.subject)
    if was_open:
        world.run(
            _until, stream.changed, lambda: _drops_noticed(world) > noticed and (stream.connected or not stream.running)
        )


# -- outcomes about the runtime (facts: a wrong answer is a harness or runtime error) -------------------------
def _truth(world: World) -> Any:
    truth = world.run(world.journey.oracle.conversation, world.conversation_id())
    assert truth is not None, "the runtime does not know the conversation"
    return truth


@then("the conversation is closed on the runtime")
def _(world: World) -> None:
    """Checks that the runtime holds the user's current conversation as closed."""
    truth = _truth(world)
    assert truth.state is ConversationState.CLOSED, f"the conversation is {truth.state}, session {truth.session}"


@then("the conversation is still open on the runtime")
def _(world: World) -> None:
    """Checks that the runtime holds the user's current conversation as open."""
    truth = _truth(world)
    assert truth.state is ConversationState.OPEN, f"the conversation is {truth.state}"


@then("the messaging session has ended")
def _(world: World) -> None:
    """Checks that the messaging session of the user's current conversation has ended."""
    truth = _truth(world)
    assert truth.session == "Ended", f"the session is {truth.session}"


@then("the messaging session is inactive")
def _(world: World) -> None:
    """Checks that the messaging session of the user's current conversation is inactive."""
    truth = _truth(world)
    assert truth.session == "Inactive", f"the session is {truth.session}"


@then("the user has no open conversation on the runtime")
def _(world: World) -> None:
    """Checks that none of the user's conversations is open on the runtime."""
    subject = world.rig.app.subject
    assert subject
    convs = world.run(world.journey.oracle.conversations_of, subject)
    still_open = [c.conversation_id for c in convs if c.open]
    assert not still_open, f"open conversations left: {still_open}"


@then("the conversation history is still there")
def _(world: World) -> None:
    """Checks that the user's current conversation kept its messages."""
    truth = _truth(world)
    assert truth.message_ids, "the conversation lost its messages"


@then("the rep can no longer message the user in that session")
def _(world: World) -> None:
    """Checks that the runtime refuses a rep's message into the ended session."""
    control = world.rig.need_control("play the rep")
    try:
        world.control_action(
            "rep",
            "the rep tries to write",
            control.send_message,
            world.conversation_id(),
            "Agent",
            "Are you still there?",
        )
    except ControlError as exc:
        assert 400 <= exc.status < 500, f"unexpected status {exc.status}"
        return
    raise AssertionError("the runtime let the rep write into an ended session")


# -- outcomes about the app (observations: they decide the verdict) -------------------------------------------
@then("the chat window is read-only")
def _(world: World) -> None:
    """Compares the chat window with the runtime after the conversation closed (a lie is a finding)."""
    world.run(world.journey.check_ui_truth, "after the conversation closed")


@then("the chat window is not read-only")
def _(world: World) -> None:
    """Compares the chat window with the runtime after the session ended (a lie is a finding)."""
    world.run(world.journey.check_ui_truth, "after the session ended")


@then("the chat window shows the truth")
def _(world: World) -> None:
    """Compares the chat window with the runtime when the app came back (a lie is a finding)."""
    world.run(world.journey.check_ui_truth, "when the app came back")


@then("the app does not keep sending to the closed conversation")
def _(world: World) -> None:
    """Compares the chat window with the runtime after the app started again (a lie is a finding)."""
    world.run(world.journey.check_ui_truth, "after the app started again")


@then("the user can start a new conversation and reach a rep")
def _(world: World) -> None:
    """The user tries to reach a rep again as a person would (type, tap new, reopen, relaunch): blocked if none do."""
    world.run(world.journey.recover)


@then("the user's next message starts a new session in the same conversation")
def _(world: World) -> None:
    """The user tries to reach a rep again, as a person would; blocked if no way works."""
    world.run(world.journey.recover)


@then("the user's next message reaches a rep in the same conversation")
def _(world: World) -> None:
    """The user tries to reach a rep again, as a person would; blocked if no way works."""
    world.run(world.journey.recover)


@then("no message was lost")
def _(world: World) -> None:
    """Checks that every message the user sent reached the runtime or shows as failed."""
    world.run(world.journey.audit_messages)


@then("the message was delivered or shows as failed")
def _(world: World) -> None:
    """Checks that every message the user sent reached the runtime or shows as failed."""
    world.run(world.journey.audit_messages)
