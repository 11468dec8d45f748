"""The simulated app, one capability flag at a time: each flag changes behaviour exactly where it is flipped."""

from __future__ import annotations

import pytest

from harness.lifecycle import ConversationState
from harness.sdk.app import SettleTimeout
from harness.sdk.core import ApiError
from harness.sdk.entries import UNKNOWN
from harness.sdk.storage import DeviceStorage
from harness.timeline import Kind

from .sdk_helpers import in_process, profile, strategy

pytestmark = pytest.mark.anyio

SBC = {"session_based_chat": True, "emit_close_event_on_sbc_end": True}  # with the close event (§11.2 variant)


@pytest.mark.parametrize(
    ("flag", "value", "expected_kinds"),
    [
        ("typed_close_entry", True, ["CloseConversation"]),
        ("typed_close_entry", False, [UNKNOWN]),
    ],
)
async def test_typed_close_entry(flag: str, value: bool, expected_kinds: list[str]) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(profile("android-1.9", **{flag: value}), "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        closes = [e.kind for e in sim.sdk.entries if e.event_name == "CONVERSATION_CLOSE_CONVERSATION"]
        assert closes == expected_kinds
        assert sim.sdk.view.conversation is (ConversationState.CLOSED if value else None)


@pytest.mark.parametrize(
    ("value", "session_status", "kinds"),
    [(True, "Ended", {"SessionStatusChanged"}), (False, None, {UNKNOWN})],
)
async def test_session_status_entries(value: bool, session_status: str | None, kinds: set[str]) -> None:
    async with in_process() as rig:  # Session-Based Chat off: the session ends, the conversation stays open
        sim = rig.app(profile("android-1.9", session_status_entries=value), "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        assert sim.sdk.view.session == session_status
        assert {e.kind for e in sim.sdk.entries if e.event_name == "CONVERSATION_SESSION_STATUS_CHANGED"} == kinds


@pytest.mark.parametrize(
    ("value", "kinds"),
    [("unknown_entry", [UNKNOWN]), ("dropped", [])],
)
async def test_unknown_entries(value: str, kinds: list[str]) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(profile("android-1.3", unknown_entries=value), "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        assert [e.kind for e in sim.sdk.entries if e.event_name == "CONVERSATION_CLOSE_CONVERSATION"] == kinds
        dropped = [s for s in rig.timeline.of(Kind.EVENT) if s.summary.endswith("dropped by this SDK")]
        assert bool(dropped) is (value == "dropped")


@pytest.mark.parametrize(
    ("value", "composer", "banner"),
    [(True, "hidden", "This conversation has ended"), (False, "enabled", None)],
)
async def test_readonly_closed_view(value: bool, composer: str, banner: str | None) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(profile("android-1.10", readonly_closed_view=value), "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        # the SDK knows either way; only the default UI differs
        assert sim.sdk.view.conversation is ConversationState.CLOSED
        assert (sim.ui.composer, sim.ui.banner) == (composer, banner)
        attempt = await sim.send("still there?")
        assert attempt.state == "failed"


@pytest.mark.parametrize(
    ("closed_send_ui", "composer"), [("no_input", "hidden"), ("disabled", "read_only"), ("entry_error", "read_only")]
)
async def test_closed_send_ui(closed_send_ui: str, composer: str) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(profile("android-1.10", closed_send_ui=closed_send_ui), "persist-forever")
        await sim.launch()
        await rig.rep_ends_session(sim)
        assert sim.ui.composer == composer
        assert not sim.ui.can_type


@pytest.mark.parametrize("banner", ["This conversation has ended", "Chat closed", ""])
async def test_closed_banner(banner: str) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(profile("android-1.10", closed_banner=banner), "persist-forever")
        await sim.launch()
        await rig.rep_ends_session(sim)
        assert sim.ui.banner == (banner or None)


@pytest.mark.parametrize("value", [True, False])
async def test_auto_new_conversation(value: bool) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(profile("android-1.10", auto_new_conversation=value), "persist-forever")
        await sim.launch()
        first = sim.conversation_id
        await rig.rep_ends_session(sim)
        assert (sim.conversation_id != first) is value
        assert sim.ui.can_type is value
        view = await sim.send("next")
        await sim.settle()
        assert view.conversation_id == sim.conversation_id
        assert (view.state == "sent") is value


@pytest.mark.parametrize(("value", "exists_after_launch"), [("explicit", True), ("on_first_send", False)])
async def test_create_conversation_api(value: str, exists_after_launch: bool) -> None:
    async with in_process() as rig:
        sim = rig.app(profile("android-1.9", create_conversation_api=value), "persist-forever")
        await sim.launch()
        assert sim.conversation_id is not None
        assert (await rig.control.conversation(sim.conversation_id) is not None) is exists_after_launch
        view = await sim.send("hello")
        await sim.settle()
        assert view.state == "sent"
        assert await rig.control.conversation(sim.conversation_id) is not None


@pytest.mark.parametrize("value", [True, False])
async def test_end_chat(value: bool) -> None:
    async with in_process() as rig:
        sim = rig.app(profile("android-1.9", end_chat=value), "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        assert sim.ui.end_chat_button is value
        assert await sim.end_chat() is value
        await sim.settle()
        assert sim.conversation_id is not None
        state = await rig.control.conversation(sim.conversation_id)
        assert state is not None
        assert state["session"] == ("Ended" if value else "Active")
        assert state["state"] == "OPEN"  # without Session-Based Chat End Chat ends the session only


@pytest.mark.parametrize(
    ("sdk", "app_hides", "button"),
    [
        ("android-1.9", True, False),  # 1.9 can hide End Chat
        ("android-1.8", True, True),  # 1.8 cannot: the app asks, the item stays
        ("android-1.9", False, True),
        ("android-1.7", False, False),  # no End Chat at all
    ],
)
async def test_hide_end_chat(sdk: str, app_hides: bool, button: bool) -> None:
    async with in_process() as rig:
        sim = rig.app(sdk, strategy("persist-forever", hide_end_chat=app_hides))
        await sim.launch()
        assert sim.ui.end_chat_button is button


@pytest.mark.parametrize("value", [True, False])
async def test_close_conversation_api(value: bool) -> None:
    async with in_process() as rig:
        sim = rig.app(profile("android-1.10", close_conversation_api=value), "persist-forever")
        await sim.launch()
        assert await sim.close_conversation() is value
        await sim.settle()
        assert sim.conversation_id is not None
        state = await rig.control.conversation(sim.conversation_id)
        assert state is not None
        assert state["state"] == ("CLOSED" if value else "OPEN")
        assert (sim.ui.composer == "hidden") is value


@pytest.mark.parametrize("value", [True, False])
async def test_sdk_persists_conversation_id(value: bool) -> None:
    async with in_process() as rig:
        storage = DeviceStorage()
        sim = rig.app(profile("android-1.9", sdk_persists_conversation_id=value), "new-per-launch", storage=storage)
        await sim.launch()
        first = sim.conversation_id
        await sim.relaunch()
        assert (sim.conversation_id == first) is value


@pytest.mark.parametrize(("value", "same_id_after_reopen"), [(True, False), (False, True)])
async def test_exposes_conversation_status(value: bool, same_id_after_reopen: bool) -> None:
    async with in_process(SBC) as rig:
        sim = rig.app(
            profile("android-1.9", exposes_conversation_status=value),
            strategy("pick-first-open-from-list", on_failed_send="show-error"),
        )
        await sim.launch()
        closed = sim.conversation_id
        await rig.rep_ends_session(sim)
        await sim.reopen_chat()
        assert (sim.conversation_id == closed) is same_id_after_reopen
        view = await sim.send("hello again")
        await sim.settle()
        assert view.state == ("failed" if same_id_after_reopen else "sent")


@pytest.mark.parametrize(("value", "forgotten"), [(True, True), (False, False)])
async def test_conversation_updated_callback(value: bool, forgotten: bool) -> None:
    async with in_process(SBC) as rig:
        storage = DeviceStorage()
        sim = rig.app(
            profile("ios-1.9", conversation_updated_callback=value), "persist-until-closed-event", storage=storage
        )
        await sim.launch()
        closed = sim.conversation_id
        await rig.rep_ends_session(sim)
        assert (storage.conversation_id is None) is forgotten
        assert sim.sdk.view.conversation is (ConversationState.CLOSED if value else None)
        await sim.reopen_chat()
        assert (sim.conversation_id != closed) is forgotten


@pytest.mark.parametrize(("value", "listed"), [(True, True), (False, False)])
async def test_list_conversations(value: bool, listed: bool) -> None:
    async with in_process() as rig:
        storage = DeviceStorage()
        sim = rig.app(profile("android-1.3", list_conversations=value), "pick-first-from-list", storage=storage)
        await sim.launch()
        lists = [s for s in rig.timeline.of(Kind.REQUEST) if "/conversation/list" in s.summary]
        assert bool(lists) is listed
        assert storage.conversation_id == sim.conversation_id


async def test_settle_without_a_control_api_uses_a_quiet_window() -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.10", "persist-forever", control=False)
        sim.observer.quiet_window_s = 0.02
        await sim.launch()
        await sim.send("hello")
        assert sim.conversation_id is not None
        await rig.control.send_message(sim.conversation_id, "Agent", "answer")
        await sim.settle()
        assert [m.state for m in sim.ui.messages] == ["sent", "sent"]
        assert sim.stream.processed_id == await rig.control.last_event_id(sim.subject or "")


@pytest.mark.parametrize(
    ("sdk", "sent", "answer"), [("android-1.10", True, "/iamessage/v1/"), ("web", True, "/iamessage/api/v2/")]
)
async def test_typing_indicator_reaches_the_runtime(sdk: str, sent: bool, answer: str) -> None:
    async with in_process() as rig:
        sim = rig.app(sdk, "web-storage" if sdk == "web" else "persist-forever")
        await sim.launch()
        assert await sim.typing(True) is sent
        assert await sim.typing(False) is sent
        status = "200" if "v1" in answer else "202"  # v1 answers 200 `{}`, v2 202 (§11.8)
        posts = [
            s
            for s in rig.timeline.of(Kind.REQUEST)
            if s.summary.startswith(f"POST {answer}") and s.summary.endswith(f"/entry -> {status}")
        ]
        assert len(posts) == 2


async def test_every_user_action_and_screen_change_is_in_the_timeline() -> None:
    async with in_process(SBC) as rig:
        sim = rig.app("android-1.10", "pick-first-open-from-list")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        await sim.tap_new_conversation()
        await sim.reopen_chat()
        await sim.background()
        await sim.foreground_()
        await sim.go_offline()
        await sim.go_online()
        await sim.relaunch()
        actions = [s.summary for s in rig.timeline.of(Kind.ACTION)]
        assert actions == [
            "launch the app",
            "type and send 'hello'",
            "tap 'Start a new conversation'",
            "close and reopen the chat screen",
            "send the app to the background",
            "bring the app to the foreground",
            "device goes offline",
            "device goes online",
            "relaunch the app (process restart)",
        ]
        screens = [s.summary for s in rig.timeline.of(Kind.UI)]
        assert any("banner 'This conversation has ended'" in s and "new-conversation button" in s for s in screens)
        assert all(s.actor == "user" for s in rig.timeline.of(Kind.ACTION))


class _AheadWatermark:
    """A runtime that claims events the stream will never deliver."""

    async def last_event_id(self, subject: str) -> int:
        return 10**9


async def test_settle_is_bounded() -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.10", "persist-forever")
        await sim.launch()
        sim.observer.control = _AheadWatermark()
        sim.observer.settle_timeout_s = 0.05
        with pytest.raises(SettleTimeout, match=r"did not catch up within 0\.05s"):
            await sim.settle()


async def test_launch_while_offline_starts_once_online() -> None:
    async with in_process() as rig:
        sim = rig.app("android-1.10", "persist-forever")
        await sim.go_offline()
        await sim.launch()
        assert sim.subject is None and not sim.ui.chat_open
        assert (await sim.send("nobody home")).state == "failed"
        await sim.go_online()
        assert sim.ui.can_type and sim.subject is not None
        view = await sim.send("now online")
        await sim.settle()
        assert view.state == "sent"


@pytest.mark.parametrize(("call", "route"), [("end_chat", "end_session"), ("close_conversation", "close_conversation")])
async def test_a_refused_call_is_an_error_not_a_missing_feature(call: str, route: str) -> None:
    """An offered action whose API call fails raises (the run errs with the refusal in its evidence); only an action
    the app does not offer answers False, which a step reads as not applicable."""
    async with in_process() as rig:
        sim = rig.app("android-1.11", "persist-forever")
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.control.fail_requests(route, 503, 1)
        with pytest.raises(ApiError) as caught:
            await getattr(sim, call)()
        assert caught.value.status == 503
        (note,) = [s for s in rig.timeline.of(Kind.NOTE) if "failed: 503" in s.summary]
        assert note.detail == {"status": 503}
