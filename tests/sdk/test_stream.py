"""The SDK's SSE stream: reconnect policies, Last-Event-Id resume, no lost and no duplicated events."""

from __future__ import annotations

import asyncio

import pytest
import respx

from harness.sdk.app import SimulatedApp
from harness.sdk.stream import reconnect_delay_ms
from harness.server import RunningServer
from harness.timeline import Kind, Timeline

from .sdk_helpers import Fault, in_process, over_loopback, profile

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("policy", "attempt", "delay"),
    [
        ("backoff", 1, 1000),
        ("backoff", 2, 1500),
        ("backoff", 3, 2250),
        ("backoff", 10, 30000),  # 1000 * 1.5^9 = 38443, capped
        ("fibonacci", 1, 1000),
        ("fibonacci", 2, 1000),
        ("fibonacci", 3, 2000),
        ("fibonacci", 5, 5000),
        ("fibonacci", 12, 30000),
    ],
)
def test_reconnect_delay(policy: str, attempt: int, delay: int) -> None:
    assert reconnect_delay_ms(policy, attempt, 1000, 30000) == delay


def test_reconnect_delay_refuses_none() -> None:
    with pytest.raises(ValueError, match="none"):
        reconnect_delay_ms("none", 1, 1000, 30000)


def _event_ids(timeline: Timeline) -> list[int]:
    return [int(s.detail["id"]) for s in timeline.of(Kind.EVENT)]


def _agent_texts(sim: SimulatedApp) -> list[str]:
    return [m.text for m in sim.ui.messages if m.from_role == "Agent"]


async def _stream_down(sim: SimulatedApp) -> None:
    stream = sim.stream
    async with stream.changed:
        await asyncio.wait_for(stream.changed.wait_for(lambda: not stream.running), 5.0)


class _Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.mark.parametrize(("sdk", "first_delay_s"), [("android-1.10", 1.0), ("ios-1.10", 1.0), ("web", 1.0)])
async def test_forced_drop_loses_no_event(sdk: str, first_delay_s: float) -> None:
    sleeps = _Sleeps()
    async with in_process() as rig:
        sim = rig.app(sdk, "web-storage" if sdk == "web" else "persist-forever", sleep=sleeps)
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        assert sim.subject is not None and sim.conversation_id is not None
        for round_ in range(3):
            assert await rig.control.drop_streams(sim.subject) == 1
            for i in range(3):
                await rig.control.send_message(sim.conversation_id, "Agent", f"r{round_} m{i}")
            await sim.settle()
        expected = [f"r{r} m{i}" for r in range(3) for i in range(3)]
        assert _agent_texts(sim) == expected
        ids = _event_ids(rig.timeline)
        assert ids == sorted(set(ids))  # in order, none twice
        assert ids[-1] == await rig.control.last_event_id(sim.subject)
        assert sleeps.delays == [first_delay_s] * 3  # a successful reconnect resets the attempt counter


async def test_no_reconnect_policy_waits_for_the_app() -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.3", "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        assert sim.subject is not None and sim.conversation_id is not None
        await rig.control.drop_streams(sim.subject)
        await _stream_down(sim)
        await rig.control.send_message(sim.conversation_id, "Agent", "are you there?")
        await sim.settle()
        assert not sim.stream.running
        assert _agent_texts(sim) == []
        notes = [s.summary for s in rig.timeline.of(Kind.NOTE)]
        assert "stream down; this SDK does not reconnect by itself" in notes
        assert any(n.startswith("settled with the stream down") for n in notes)
        await sim.background()
        await sim.foreground_()
        await sim.settle()
        assert _agent_texts(sim) == ["are you there?"]


async def test_gives_up_after_max_attempts() -> None:
    sse = Fault()
    router = respx.Router(assert_all_called=False)
    router.get(path="/eventrouter/v1/sse").mock(side_effect=sse)
    sleeps = _Sleeps()
    async with in_process(faults=router) as rig:
        sim = rig.app(profile("android-1.10", reconnect_max_attempts=3), "persist-forever", sleep=sleeps)
        await sim.launch()
        assert sim.subject is not None
        sse.arm(10, 503)
        await rig.control.drop_streams(sim.subject)
        await sim.settle()
        assert not sim.stream.running
        assert sse.hits == 3
        assert sleeps.delays == [1.0, 1.0, 2.0]
        assert "stream down; gave up after 3 attempts" in [s.summary for s in rig.timeline.of(Kind.NOTE)]


async def test_background_events_replayed_on_foreground() -> None:
    async with in_process() as rig:
        sim = rig.app("ios-1.10", "persist-forever")
        await sim.launch()
        assert sim.conversation_id is not None
        await sim.background()
        await rig.control.send_message(sim.conversation_id, "Agent", "while you were away")
        await sim.settle()
        assert _agent_texts(sim) == []
        await sim.foreground_()
        await sim.settle()
        assert _agent_texts(sim) == ["while you were away"]


async def test_offline_send_fails_without_a_request_and_stream_resumes_online() -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.10", "persist-forever")
        await sim.launch()
        assert sim.conversation_id is not None
        await sim.go_offline()
        view = await sim.send("no signal")
        assert view.state == "failed"
        assert sim.ui.error == "Message not sent"
        await rig.control.send_message(sim.conversation_id, "Agent", "hello?")
        await sim.go_online()
        await sim.settle()
        assert _agent_texts(sim) == ["hello?"]
        state = await rig.control.conversation(sim.conversation_id)
        assert state is not None
        assert "no signal" not in [m["text"] for m in state["messages"]]


async def test_forced_drop_over_loopback(loopback: RunningServer) -> None:
    async with over_loopback(loopback.base_url, loopback.org_id) as rig:
        sim = rig.app("android-1.10", "persist-forever")
        await sim.launch()
        assert sim.subject is not None and sim.conversation_id is not None
        await rig.control.drop_streams(sim.subject)
        for i in range(5):
            await rig.control.send_message(sim.conversation_id, "Agent", f"m{i}")
        await sim.settle()
        assert _agent_texts(sim) == [f"m{i}" for i in range(5)]
        ids = _event_ids(rig.timeline)
        assert ids == sorted(set(ids))
