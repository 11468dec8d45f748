"""What survives a relaunch: the stored id, the token, the last processed event id; and a wipe loses them."""

from __future__ import annotations

import pytest

from harness.sdk.storage import DeviceStorage
from harness.timeline import Kind, Timeline

from .sdk_helpers import in_process

pytestmark = pytest.mark.anyio

TOKEN_PATHS = ("/authorization/unauthenticated/access-token", "/authorization/unauthenticated/persistedToken")


def _token_requests(timeline: Timeline) -> int:
    """New-token requests over either API version (v2 `access-token`, the v1 SDKs' `persistedToken`)."""
    return sum(1 for s in timeline.of(Kind.REQUEST) if any(path in s.summary for path in TOKEN_PATHS))


async def test_relaunch_restores_what_storage_holds() -> None:
    async with in_process() as rig:
        storage = DeviceStorage()
        sim = rig.app("android-1.10", "persist-forever", storage=storage)
        await sim.launch()
        await sim.send("before restart")
        await sim.settle()
        assert sim.conversation_id is not None
        await rig.control.send_message(sim.conversation_id, "Agent", "hi there")
        await sim.settle()
        kept = (storage.conversation_id, storage.access_token, storage.subject, storage.last_event_id)
        assert kept[0] == sim.conversation_id and kept[1] and kept[2] == sim.subject
        assert kept[3] == str(await rig.control.last_event_id(sim.subject or ""))
        await sim.relaunch()
        await sim.settle()
        assert (storage.conversation_id, storage.access_token, storage.subject) == kept[:3]
        assert sim.conversation_id == kept[0]
        assert [(m.text, m.state) for m in sim.ui.messages] == [("before restart", "sent"), ("hi there", "sent")]
        assert _token_requests(rig.timeline) == 1  # the stored token is reused
        resumes = [s for s in rig.timeline.of(Kind.REQUEST) if "Last-Event-Id" in s.summary]
        assert resumes[-1].detail["last_event_id"] == kept[3]  # no replay of what was already processed


async def test_a_second_app_on_the_same_storage_is_a_relaunch() -> None:
    async with in_process() as rig:
        storage = DeviceStorage()
        first = rig.app("ios-1.10", "persist-forever", storage=storage)
        await first.launch()
        await first.send("one")
        await first.settle()
        await first.aclose()
        second = rig.app("ios-1.10", "persist-forever", storage=storage, seed=99)
        await second.launch()
        await second.settle()
        assert second.conversation_id == first.conversation_id
        assert second.subject == first.subject
        assert [m.text for m in second.ui.messages] == ["one"]


async def test_wipe_is_a_reinstall() -> None:
    async with in_process() as rig:
        storage = DeviceStorage()
        sim = rig.app("android-1.10", "persist-forever", storage=storage)
        await sim.launch()
        before = (sim.conversation_id, sim.subject)
        await sim.aclose()
        storage.wipe()
        assert storage.redacted() == {k: None for k in storage.redacted()}
        again = rig.app("android-1.10", "persist-forever", storage=storage, seed=8)
        await again.launch()
        assert again.conversation_id != before[0]
        assert again.subject != before[1]
        assert _token_requests(rig.timeline) == 2


@pytest.mark.parametrize(("app", "same_id"), [("new-per-launch", False), ("persist-forever", True)])
async def test_relaunch_and_the_id_policy(app: str, same_id: bool) -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.10", app)
        await sim.launch()
        first = sim.conversation_id
        await sim.relaunch()
        assert (sim.conversation_id == first) is same_id


async def _run(seed: int) -> list[dict[str, object]]:
    async with in_process({"session_based_chat": True}) as rig:
        sim = rig.app("android-1.10", "pick-first-open-from-list", seed=seed)
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        await sim.tap_new_conversation()
        await sim.send("again")
        await sim.settle()
        await sim.relaunch()
        await sim.settle()
        return rig.timeline.to_json()


async def test_one_seed_one_timeline() -> None:
    first, second, other = await _run(11), await _run(11), await _run(12)
    assert first == second
    assert first != other
