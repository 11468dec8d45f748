"""Interactive mode and the real-org control face: a person is told what to do, the public API proves it happened."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.lifecycle import EndCause
from harness.run.judge import NeedsRep
from harness.sandbox.control import SandboxControl
from harness.sandbox.interactive import InteractiveRep
from harness.sandbox.probe import ProbeResult, SbcState
from harness.sandbox.public_oracle import PublicOracle
from harness.sandbox.waiter import Waiter
from harness.server.state import Runtime
from harness.wire import Role

from .conftest import InProcess
from .test_public_oracle import _open, _user

pytestmark = pytest.mark.anyio


class Person:
    """Reads the console; when an instruction appears, does it in the 'console' (here: on the runtime) after a while."""

    def __init__(self, runtime: Runtime, act: Callable[[Runtime, str], None] | None, after_polls: int = 1) -> None:
        self.runtime = runtime
        self.act = act
        self.after_polls = after_polls
        self.lines: list[str] = []
        self.pending: str | None = None

    def show(self, line: str) -> None:
        self.lines.append(line)
        if "ACTION NEEDED" in line:
            self.pending = line

    async def pause(self, seconds: float) -> None:
        self.after_polls -= 1
        if self.after_polls <= 0 and self.pending and self.act:
            self.act(self.runtime, self.pending)
            self.pending = None


def _cid_in(line: str) -> str:
    return line.split("conversation ")[1].split()[0].rstrip(":")


def _end(runtime: Runtime, line: str) -> None:
    runtime.end_session(runtime.conversations[_cid_in(line)], EndCause.AGENT)


def _reply(runtime: Runtime, line: str) -> None:
    runtime.say(runtime.conversations[_cid_in(line)], Role.AGENT, line.split(": ", 2)[2])


def _inactive(runtime: Runtime, line: str) -> None:
    runtime.inactivate(runtime.conversations[_cid_in(line)])


async def _no_probe() -> ProbeResult:
    return ProbeResult(SbcState.UNKNOWN)


async def _setup(env: InProcess, person: Person, timeout: float = 30.0) -> tuple[SandboxControl, str]:
    subject, token = await _user(env, "New_Channel")
    cid = await _open(env, token, "New_Channel")
    oracle = PublicOracle(env.http, lambda: (subject, token))
    rep = InteractiveRep(oracle, person, Waiter(timeout_s=timeout, poll_s=1.0, pause=person.pause, clock=lambda: 0.0))
    oracle.rep = rep
    return SandboxControl("New_Channel", oracle, _no_probe, rep), cid


async def test_the_person_is_told_to_end_the_session_and_the_harness_sees_it(in_process: InProcess) -> None:
    person = Person(in_process.runtime, _end, after_polls=2)
    control, cid = await _setup(in_process, person)
    state = await control.end_session(cid, "Agent")
    assert state == {"conversationId": cid, "state": "CLOSED", "session": "Ended"}
    assert f"end the session on conversation {cid} (End Chat in the console)" in person.lines[0]
    assert person.lines[-1].startswith("[miaw-harness] done: end the session")


async def test_the_person_types_the_reps_answer(in_process: InProcess) -> None:
    person = Person(in_process.runtime, _reply)
    control, cid = await _setup(in_process, person)
    await control.send_message(cid, "Agent", "Sure, I can help with that")
    messages = in_process.runtime.conversations[cid].to_control()["messages"]
    assert messages[-1] == {**messages[-1], "role": "Agent", "text": "Sure, I can help with that"}


async def test_marking_the_customer_inactive(in_process: InProcess) -> None:
    person = Person(in_process.runtime, _inactive)
    control, cid = await _setup(in_process, person)
    assert (await control.inactivate(cid))["session"] == "Inactive"


async def test_nobody_acting_in_time_means_needs_a_rep(in_process: InProcess) -> None:
    clock = [0.0]
    person = Person(in_process.runtime, None)
    control, cid = await _setup(in_process, person, timeout=5.0)

    async def pause(seconds: float) -> None:
        clock[0] += seconds

    assert control.rep is not None
    control.rep.waiter = Waiter(timeout_s=5.0, poll_s=1.0, pause=pause, clock=lambda: clock[0])
    with pytest.raises(NeedsRep, match="nobody did this within 5s: end the session"):
        await control.end_session(cid)
    assert not in_process.runtime.conversations[cid].closed


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda c: c.advance_clock(60), "POST /clock/advance"),
        (lambda c: c.drop_streams(), "POST /faults"),
        (lambda c: c.configure("X", {"session_based_chat": True}), "deployment X is changed in Setup"),
        (lambda c: c.put_deployment("New_Channel", {"opt_out_keywords": ["STOP"]}), "sets opt_out_keywords"),
        (lambda c: c.info(), "GET /info"),
        (lambda c: c.add_participant("c", "Chatbot"), "cannot join as Chatbot"),
        (lambda c: c.end_session("c", "Chatbot"), "cannot act as Chatbot"),
    ],
)
async def test_what_a_person_cannot_do_needs_a_rep(
    in_process: InProcess, call: Callable[..., object], fragment: str
) -> None:
    control, _ = await _setup(in_process, Person(in_process.runtime, None))
    with pytest.raises(NeedsRep, match=fragment.replace("(", r"\(")):
        await call(control)  # type: ignore[misc]


def _accept(runtime: Runtime, line: str) -> None:
    runtime.join(runtime.conversations[_cid_in(line)], Role.AGENT, "Sandbox Rep")


async def test_a_chat_waiting_in_the_queue_is_accepted_by_the_person(in_process: InProcess) -> None:
    in_process.runtime.save_settings("Existing_Channel", {"auto_accept": None})
    in_process.runtime.publish("Existing_Channel")
    subject, token = await _user(in_process, "Existing_Channel")
    cid = await _open(in_process, token, "Existing_Channel")
    person = Person(in_process.runtime, _accept)
    oracle = PublicOracle(in_process.http, lambda: (subject, token))
    oracle.rep = InteractiveRep(oracle, person, Waiter(timeout_s=30, poll_s=1, pause=person.pause, clock=lambda: 0.0))
    [truth] = await oracle.conversations_of(subject)
    assert truth.rep_present and truth.participants == frozenset({"Agent"})
    assert f"accept the chat on conversation {cid}" in person.lines[0]
    assert [t.rep_present for t in await oracle.conversations_of(subject)] == [True]
    assert len([line for line in person.lines if "ACTION NEEDED" in line]) == 1
