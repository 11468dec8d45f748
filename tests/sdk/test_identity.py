"""A new identity after a token expiry: the stream follows it, and the SDK's local store keeps what it knew."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from harness.sdk.app import EventWatermark, SimulatedApp
from harness.timeline import Kind

from .sdk_helpers import in_process

pytestmark = pytest.mark.anyio

SBC = {"session_based_chat": True}


async def test_stream_follows_a_new_identity_from_its_first_event() -> None:
    async with in_process(SBC) as rig:
        sim = rig.app("android-1.10", "new-per-launch")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        old_subject = sim.subject
        await rig.rep_ends_session(sim)
        await rig.control.expire_tokens(old_subject)
        await sim.relaunch()  # the expired token is refused: renewal gives a new identity
        await sim.settle()
        assert sim.subject != old_subject
        await sim.send("back again")
        await sim.settle()
        assert sim.subject is not None
        newest = await rig.control.last_event_id(sim.subject)
        assert sim.stream.processed_id == newest  # every event of the new identity was read, none skipped
        conversation = await rig.control.conversation(str(sim.conversation_id))
        assert conversation is not None
        await rig.control.send_message(str(sim.conversation_id), "Agent", "Welcome back")
        await sim.settle()
        assert "Welcome back" in [m.text for m in sim.ui.messages]


@pytest.mark.parametrize(("sdk", "composer"), [("android-1.10", "hidden"), ("android-1.9", "enabled")])
async def test_local_store_remembers_a_close_the_runtime_no_longer_shows(sdk: str, composer: str) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(sdk, "new-per-launch")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        await rig.control.expire_tokens(sim.subject)
        await sim.reopen_chat()  # the entries call renews the token: a new identity gets 403 on the old id
        await sim.settle()
        assert sim.ui.composer == composer  # 1.10 keeps its closed view; 1.9 never had a status to keep
        assert sim.storage.closed_conversations == ((sim.conversation_id,) if sdk == "android-1.10" else None)


class _WatermarkAnsweredLate:
    """The control API's watermark, answered for `subject` only once the app's stream follows another identity.

    This is the interleaving that made the bundled run err: settle() asked the runtime for the newest event id of
    the old identity, and before the answer came the stream, ended with its token, reconnected (401), renewed as a
    new identity and resumed from that identity's first event id.
    """

    def __init__(self, control: EventWatermark, sim: SimulatedApp, subject: str) -> None:
        self.control = control
        self.sim = sim
        self.subject = subject
        self.late_answers = 0
        self.asked = asyncio.Event()

    async def last_event_id(self, subject: str) -> int:
        newest = await self.control.last_event_id(subject)
        if subject == self.subject:
            self.asked.set()
            stream = self.sim.stream
            async with stream.changed:
                await asyncio.wait_for(
                    stream.changed.wait_for(lambda: stream.connected and stream.ids_subject != subject), 5.0
                )
            self.late_answers += 1
        return newest


@pytest.mark.parametrize(
    ("sdk", "app"),
    [("ios-1.10", "pick-first-from-list"), ("android-1.7", "pick-first-from-list"), ("web", "web-storage")],
)
async def test_settle_follows_the_stream_to_a_new_identity(sdk: str, app: str) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(sdk, app)
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        old_subject = sim.subject
        assert old_subject is not None
        late = _WatermarkAnsweredLate(rig.control, sim, old_subject)
        sim.observer.control = late
        settling = asyncio.create_task(sim.settle())
        await asyncio.wait_for(late.asked.wait(), 5.0)  # settle() waits for the old identity's newest id...
        await rig.control.expire_tokens(old_subject)  # ...while the token ends, and its stream with it
        await rig.control.drop_streams(old_subject)  # (ends the stream where expiry alone does not)
        await settling
        assert late.late_answers == 1
        assert sim.subject not in (None, old_subject)
        assert sim.stream.ids_subject == sim.subject
        assert sim.stream.processed_id == await rig.control.last_event_id(str(sim.subject))


class _Together:
    """Holds the first request of each of `parties` until all of them arrived, then lets them through to the runtime."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.armed = False
        self.arrived = 0
        self.all_here = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> None:
        if not self.armed or self.all_here.is_set():
            return  # not ours: the runtime answers
        self.arrived += 1
        if self.arrived == self.parties:
            self.all_here.set()
        await asyncio.wait_for(self.all_here.wait(), 5.0)


async def test_a_request_and_the_stream_refused_at_once_make_one_new_identity() -> None:
    together = _Together(parties=2)
    router = respx.Router(assert_all_called=False)
    router.get(path="/eventrouter/v1/sse").mock(side_effect=together)
    router.route(path__regex=r"/conversation/list$").mock(side_effect=together)  # GET on v2, POST query on v1
    async with in_process(SBC, faults=router) as rig:
        sim = rig.app("android-1.11", "new-per-launch")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        old_subject = sim.subject
        assert old_subject is not None
        await rig.control.expire_tokens(old_subject)
        together.armed = True
        await rig.control.drop_streams(old_subject)  # the stream reconnects with the expired token...
        await sim.core.list_conversations(include_closed=True)  # ...while a request is sent with it too
        await sim.settle()
        assert together.all_here.is_set()
        mints = [
            s
            for s in rig.timeline.of(Kind.REQUEST)
            if "unauthenticated/access-token" in s.summary or "unauthenticated/persistedToken" in s.summary
        ]
        assert len(mints) == 2  # the launch, and one new identity for both refusals
        assert sim.stream.ids_subject == sim.subject != old_subject
        assert sim.stream.processed_id == await rig.control.last_event_id(str(sim.subject))
