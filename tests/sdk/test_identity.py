"""A new identity after a token expiry: the stream follows it, and the SDK's local store keeps what it knew."""

from __future__ import annotations

import pytest

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
