"""The SDK's REST half against the runtime, directly and behind respx fault routes."""

from __future__ import annotations

import httpx
import pytest
import respx

from harness.timeline import Kind

from .sdk_helpers import Fault, in_process, strategy

pytestmark = pytest.mark.anyio

MESSAGE = r".*/conversation/[0-9a-f-]+/message$"


def _notes(rig: object) -> list[str]:
    return [s.summary for s in rig.timeline.of(Kind.NOTE)]  # type: ignore[attr-defined]


async def test_per_session_prechat_417_is_answered_and_the_message_resent() -> None:
    async with in_process({"prechat_display": "Session", "prechat_fields": []}) as rig:
        sim = rig.app("android-1.9", "persist-forever")
        await sim.launch()
        assert (await sim.send("first")).state == "sending"
        await sim.settle()
        await rig.control.end_session(sim.conversation_id or "", "Agent")
        await sim.settle()
        view = await sim.send("second session")
        await sim.settle()
        assert view.state == "sent"
        statuses = [s.detail.get("status") for s in rig.timeline.of(Kind.REQUEST) if "/message" in s.summary]
        assert statuses[-2:] == [417, 200]  # Android speaks v1: a send is answered 200 `{}` (§11.8)
        ui = [s.summary for s in rig.timeline.of(Kind.UI)]
        assert "pre-chat form shown for a new session and submitted" in ui
        state = await rig.control.conversation(sim.conversation_id or "")
        assert state is not None and state["sessionsStarted"] == 2


async def test_401_renews_the_token_and_retries_once() -> None:
    fault = Fault()
    router = respx.Router(assert_all_called=False)
    router.post(url__regex=MESSAGE).mock(side_effect=fault)
    async with in_process(faults=router) as rig:
        sim = rig.app("android-1.10", "persist-forever")
        await sim.launch()
        subject = sim.subject
        fault.arm(1, 401)
        view = await sim.send("hello")
        await sim.settle()
        assert view.state == "sent"
        assert "access token renewed (same identity)" in _notes(rig)
        assert sim.subject == subject


async def test_expired_token_renews_without_losing_the_conversation() -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.10", "persist-forever")
        await sim.launch()
        assert sim.subject is not None
        await rig.control.expire_tokens(sim.subject)
        view = await sim.send("after expiry")
        await sim.settle()
        notes = _notes(rig)
        renewed = "access token renewed (same identity)" in notes
        replaced = "access token replaced: new anonymous identity" in notes
        assert renewed or replaced
        # same identity: the message goes through; new identity: the old conversation answers 403
        assert view.state == ("sent" if renewed else "failed")


@pytest.mark.parametrize(
    ("policy", "attempts", "final"),
    [("retry-same", 2, "sent"), ("show-error", 1, "failed"), ("start-new-conversation", 1, "sent")],
)
async def test_failed_send_policies_on_a_transient_503(policy: str, attempts: int, final: str) -> None:
    fault = Fault()
    router = respx.Router(assert_all_called=False)
    router.post(url__regex=MESSAGE).mock(side_effect=fault)
    async with in_process(faults=router) as rig:
        sim = rig.app("android-1.10", strategy("persist-forever", on_failed_send=policy))
        await sim.launch()
        first = sim.conversation_id
        fault.arm(1, 503)
        view = await sim.send("hello")
        await sim.settle()
        sent = [s for s in rig.timeline.of(Kind.REQUEST) if "/message" in s.summary and first in s.summary]
        assert len(sent) == attempts
        assert view.state == final
        assert (sim.ui.error is None) is (final == "sent")
        assert (sim.conversation_id != first) is (policy == "start-new-conversation")


async def test_network_error_is_a_failed_send_not_a_crash() -> None:
    fault = Fault()
    router = respx.Router(assert_all_called=False)
    router.post(url__regex=MESSAGE).mock(side_effect=fault)
    async with in_process(faults=router) as rig:
        sim = rig.app("ios-1.10", "persist-until-closed-event")
        await sim.launch()
        fault.arm(1, error=httpx.ConnectError("connection refused"))
        view = await sim.send("hello")
        assert view.state == "failed"
        assert sim.ui.error == "Message not sent"
        assert any(s.summary.endswith("-> network error") for s in rig.timeline.of(Kind.REQUEST))


async def test_closed_send_error_message_reaches_the_timeline() -> None:
    async with in_process({"session_based_chat": True, "closed_send_status": 409}) as rig:
        sim = rig.app("android-1.9", "persist-forever")
        await sim.launch()
        await rig.rep_ends_session(sim)
        view = await sim.send("hello?")
        assert view.state == "failed"
        failures = [s for s in rig.timeline.of(Kind.NOTE) if s.summary.startswith("send failed: 409")]
        assert len(failures) == 2  # retry-same: the app tries the closed id twice
        assert "is closed" in failures[0].summary


async def test_timeline_never_carries_the_token() -> None:
    async with in_process({"session_based_chat": True}) as rig:
        sim = rig.app("web", "web-storage")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        await sim.relaunch()
        await sim.settle()
        token = sim.storage.access_token
        assert token
        dump = repr(rig.timeline.to_json())
        assert token not in dump
        assert token.split(".")[2] not in dump
        assert sim.storage.redacted()["access_token"] == "<redacted>"
