"""The recovery protocol and the message audit, against a scripted app and runtime."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from harness.lifecycle import ConversationState
from harness.run.journey import ConversationTruth, Journey
from harness.run.judge import Reason, RecoveryPath, Verdict, judge
from harness.timeline import Fact, Kind, Timeline


@dataclass
class Runtime:
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    app: Any = None

    def create(self, cid: str) -> None:
        self.conversations[cid] = {"state": "OPEN", "session": "Active", "ids": set()}

    async def conversation(self, conversation_id: str) -> ConversationTruth | None:
        c = self.conversations.get(conversation_id)
        if c is None:
            return None
        return ConversationTruth(
            conversation_id, ConversationState(c["state"]), c["session"], frozenset({"Agent"}), frozenset(c["ids"])
        )

    async def conversations_of(self, subject: str) -> list[ConversationTruth]:
        return [t for cid in self.conversations if (t := await self.conversation(cid)) is not None]

    async def rep_says(self, conversation_id: str, text: str) -> None:
        if self.app.stream_works:
            self.app.ui.messages.append(SimpleNamespace(id="r", text=text, state="sent", from_role="Agent"))


class App:
    """A scripted app: what it does on relaunch and how its UI reacts to a close are switches."""

    def __init__(self, runtime: Runtime, *, new_id_on_relaunch: bool, readonly: bool, lose_messages: bool = False):
        self.runtime = runtime
        runtime.app = self
        self.new_id_on_relaunch = new_id_on_relaunch
        self.readonly = readonly
        self.lose_messages = lose_messages
        self.stream_works = True
        self.ids = (f"c{n}" for n in itertools.count())
        self.conversation_id: str | None = None
        self.subject = "v2/iamessage/UNAUTH/NA/uid:1"
        self.ui = SimpleNamespace(composer="enabled", new_conversation_button=False, messages=[])
        self.relaunches = 0
        self.timeline = Timeline()
        self.refusal_status = 400  # what the runtime answers a send to a closed conversation
        self.button_after_reopen = False
        self.fail_next = 0  # sends the runtime fails with 503 whatever the conversation's state

    async def launch(self) -> None:
        self.conversation_id = next(self.ids)
        self.runtime.create(self.conversation_id)

    async def send(self, text: str) -> Any:
        view = SimpleNamespace(id=f"m{len(self.ui.messages)}", text=text, state="sent", from_role="EndUser")
        self.ui.messages.append(view)
        conv = self.runtime.conversations[str(self.conversation_id)]
        if self.fail_next:
            self.fail_next -= 1
            view.state = "failed"
            self.timeline.add(Kind.REQUEST, "app", "POST message", {"status": 503})
        elif conv["state"] == "OPEN" and not self.lose_messages:
            conv["ids"].add(view.id)
        elif not self.lose_messages:
            view.state = "failed"
            self.timeline.add(Kind.REQUEST, "app", "POST message", {"status": self.refusal_status})
        return view

    async def tap_new_conversation(self) -> bool:
        if not self.ui.new_conversation_button:
            return False
        await self.launch()
        await self.settle()
        return True

    async def reopen_chat(self) -> None:
        self.ui.new_conversation_button = self.button_after_reopen
        await self.settle()

    async def relaunch(self) -> None:
        self.relaunches += 1
        if self.new_id_on_relaunch:
            await self.launch()
        await self.settle()

    async def settle(self) -> None:
        conv = self.runtime.conversations.get(str(self.conversation_id))
        closed = conv is not None and conv["state"] == "CLOSED"
        self.ui.composer = "read_only" if closed and self.readonly else "enabled"


def _journey(app: App, runtime: Runtime) -> tuple[Journey, Timeline]:
    timeline = app.timeline
    texts = (f"text {n}" for n in itertools.count())
    journey = Journey(app=app, oracle=runtime, timeline=timeline, text=lambda: next(texts))
    return journey, timeline


def _closed_after_open(app: App, runtime: Runtime, journey: Journey) -> None:
    asyncio.run(journey.open_chat())
    runtime.conversations[str(app.conversation_id)]["state"] = "CLOSED"
    runtime.conversations[str(app.conversation_id)]["session"] = "Ended"


def test_truthful_app_that_starts_fresh_on_relaunch_recovers_cleanly() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=True)
    journey, _ = _journey(app, runtime)
    _closed_after_open(app, runtime, journey)
    assert asyncio.run(journey.recover()) is True
    assert journey.obs.ui_lies == []
    assert journey.obs.sends_to_closed == 0
    assert journey.obs.recovery_actions == ["type in the chat", "reopen the chat", "relaunch the app (1)"]
    assert journey.obs.recovery_path is RecoveryPath.RELAUNCH
    assert journey.obs.recovery_action == "relaunch the app (1)"
    assert (judge(journey.obs).verdict, judge(journey.obs).reason_code) == (Verdict.DEGRADED, Reason.RELAUNCH_REQUIRED)


def test_a_new_conversation_button_after_reopening_is_an_in_app_way_out() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=True)
    app.button_after_reopen = True
    journey, timeline = _journey(app, runtime)
    _closed_after_open(app, runtime, journey)
    assert asyncio.run(journey.recover()) is True
    assert app.relaunches == 0
    assert journey.obs.recovery_path is RecoveryPath.REOPEN
    assert (judge(journey.obs).verdict, judge(journey.obs).reason_code) == (Verdict.PASS, Reason.RECOVERED)
    tried = [(s.detail["way"], s.detail["reached_rep"]) for s in timeline.facts(Fact.WAY_OUT_TRIED)]
    assert tried == [("type", False), ("reopen", False), ("reopen", True)]


def test_open_composer_on_a_closed_conversation_is_a_lie() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=False)
    journey, _ = _journey(app, runtime)
    _closed_after_open(app, runtime, journey)
    assert asyncio.run(journey.recover()) is True
    assert journey.obs.sends_to_closed == 4  # typed in the chat (twice), then again after reopening (twice)
    assert any("composer open on closed conversation" in lie for lie in journey.obs.ui_lies)


def test_app_that_keeps_the_closed_id_is_stuck_after_bounded_tries() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=False, readonly=False)
    journey, _ = _journey(app, runtime)
    _closed_after_open(app, runtime, journey)
    assert asyncio.run(journey.recover()) is False
    assert app.relaunches == journey.max_relaunches
    assert journey.obs.recovered is False
    assert journey.obs.sends_to_closed == 2 * (2 + journey.max_relaunches)  # each step: type, then once more
    assert len(journey.obs.refused_sends) == 2 * (2 + journey.max_relaunches)
    assert all(r.refused_as_closed for r in journey.obs.refused_sends)
    assert journey.obs.recovery_path is RecoveryPath.NONE
    assert judge(journey.obs).reason_code is Reason.REUSED_CLOSED_ID


def test_one_failed_send_in_an_open_composer_is_typed_again_in_the_app() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=True)
    journey, _ = _journey(app, runtime)
    asyncio.run(journey.open_chat())
    app.fail_next = 1  # a transient 503: a person types the message again, they do not kill the app
    assert asyncio.run(journey.recover()) is True
    assert app.relaunches == 0
    assert journey.obs.recovery_path is RecoveryPath.TYPE
    assert [(r.conversation_state, r.statuses, r.refused_as_closed) for r in journey.obs.refused_sends] == [
        ("OPEN", (503,), False)
    ]
    assert judge(journey.obs).reason_code is Reason.RECOVERED


def test_sends_refused_after_the_identity_changed_are_a_lost_identity() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=False, readonly=False)
    journey, timeline = _journey(app, runtime)
    _closed_after_open(app, runtime, journey)
    app.subject = "v2/iamessage/UNAUTH/NA/uid:2"  # the token could not be renewed: a new anonymous end user
    app.refusal_status = 403
    assert asyncio.run(journey.recover()) is False
    assert len(timeline.facts(Fact.IDENTITY_CHANGED)) == 1
    assert all(r.forbidden_after_identity_change for r in journey.obs.refused_sends)
    assert judge(journey.obs).reason_code is Reason.LOST_IDENTITY


def test_reply_that_never_shows_is_recorded() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=True)
    journey, _ = _journey(app, runtime)
    asyncio.run(journey.open_chat())
    app.stream_works = False
    assert asyncio.run(journey.recover()) is True
    assert journey.obs.ui_lies == ["type in the chat: the rep's answer never showed in the app"]


def test_leaving_an_open_conversation_is_a_split() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=True)
    journey, _ = _journey(app, runtime)
    asyncio.run(journey.open_chat())
    asyncio.run(app.relaunch())  # a new conversation while the first is still open
    assert asyncio.run(journey.send_and_reach_rep("type")) is True
    assert journey.obs.split_conversations


def test_audit_finds_a_silently_lost_message() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=True, readonly=True)
    journey, _ = _journey(app, runtime)
    asyncio.run(journey.open_chat())
    app.lose_messages = True
    asyncio.run(app.send("hello?"))
    asyncio.run(journey.audit_messages())
    assert journey.obs.lost_messages == ["'hello?' shows as sent but never arrived"]


def test_each_recovery_step_reads_the_conversation_once_for_the_check_and_the_send() -> None:
    runtime = Runtime()
    app = App(runtime, new_id_on_relaunch=False, readonly=False)
    journey, _ = _journey(app, runtime)
    _closed_after_open(app, runtime, journey)
    lookups: list[str] = []
    read = runtime.conversation

    async def counted(conversation_id: str) -> ConversationTruth | None:
        lookups.append(conversation_id)
        return await read(conversation_id)

    runtime.conversation = counted  # type: ignore[method-assign]
    assert asyncio.run(journey.recover()) is False
    steps = 2 + journey.max_relaunches  # type in the chat, reopen, each relaunch
    # per step: the check reads the conversation (the first send reuses it), looking for the sent message reads it;
    # the second try reads it once more, and so does looking for its message
    assert lookups == [str(app.conversation_id)] * (4 * steps)
    assert journey.obs.sends_to_closed == 2 * steps
    assert len(journey.obs.ui_lies) == steps
