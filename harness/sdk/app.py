"""The simulated app: an SDK core, the app code around it (its strategy), and the harness's observer of both.

Three owners, one each (docs/architecture.md):
- `SdkCore` (`sdkcore.py`): what the SDK version does, REST, stream, entries, the UI model;
- `ConversationIds` (`conversation_ids.py`): the only owner of which conversation id the app uses;
- `Observer` (`observer.py`): the user's actions and screens in the timeline, and `settle()`.
This class is the app process that holds them: the user's actions (launch, send, relaunch, ...), the app's
reaction to a failed send, and the process's own state (launched, in the foreground). Every user action is a
coroutine that records itself and leaves the screen (`ui`) in the state the real app would show. Reconnect
delays go through `sleep`: by default no wait at all when a control API is given (the mock), a real wait otherwise.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping

import httpx

from harness.sdk.conversation_ids import ConversationIds
from harness.sdk.core import ApiError, CoreClient
from harness.sdk.observer import EventWatermark, Observer, SettleTimeout
from harness.sdk.profiles import SdkProfile
from harness.sdk.sdkcore import SdkCore
from harness.sdk.storage import DeviceStorage
from harness.sdk.strategies import AppStrategy, FailedSendPolicy
from harness.sdk.stream import EventStream
from harness.sdk.ui import MessageView, UiState
from harness.timeline import Kind, Timeline
from harness.wire import Role, new_uuid

__all__ = ["DeviceStorage", "EventWatermark", "SettleTimeout", "SimulatedApp", "Sleep"]

Sleep = Callable[[float], Awaitable[None]]

NOT_SENT = "Message not sent"


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


class SimulatedApp:
    def __init__(
        self,
        *,
        profile: SdkProfile,
        strategy: AppStrategy,
        http: httpx.AsyncClient,
        org_id: str,
        deployment: str,
        storage: DeviceStorage,
        timeline: Timeline,
        rng: random.Random,
        control: EventWatermark | None = None,
        sleep: Sleep | None = None,
        end_user: Mapping[str, str] | None = None,
        settle_timeout_s: float = 5.0,
        quiet_window_s: float = 0.5,
    ) -> None:
        self.profile = profile
        self.strategy = strategy
        self.storage = storage
        self.timeline = timeline
        self.rng = rng
        self.observer = Observer(
            timeline=timeline, control=control, settle_timeout_s=settle_timeout_s, quiet_window_s=quiet_window_s
        )
        self.ids = ConversationIds(profile=profile, strategy=strategy, storage=storage, timeline=timeline, rng=rng)
        self.sdk = SdkCore(
            profile=profile,
            http=http,
            org_id=org_id,
            deployment=deployment,
            storage=storage,
            timeline=timeline,
            rng=rng,
            owner=self.ids,
            sleep=sleep or (_no_wait if control is not None else asyncio.sleep),
            on_screen=self._ui_changed,
            on_roll_over=self._start_new_conversation,
            new_conversation_button=strategy.new_conversation_button,
            hide_end_chat=strategy.hide_end_chat,
            open_timeout_s=settle_timeout_s,
        )
        self.sdk.core.end_user = dict(end_user or {})
        self.foreground = True
        self.launched = False
        self._started_once = False

    # -- what a journey reads -----------------------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        return self.ids.current

    @property
    def subject(self) -> str | None:
        return self.sdk.core.subject

    @property
    def ui(self) -> UiState:
        return self.sdk.ui

    @property
    def core(self) -> CoreClient:
        return self.sdk.core

    @property
    def stream(self) -> EventStream:
        return self.sdk.stream

    @property
    def online(self) -> bool:
        return self.sdk.network.online

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def launch(self) -> None:
        self.observer.act("launch the app")
        self._started_once = True
        await self._start()

    async def relaunch(self) -> None:
        """Kill and restart the process: memory is lost, `storage` survives."""
        self.observer.act("relaunch the app (process restart)")
        await self.sdk.stream.stop()
        self.sdk.persist()
        self.sdk.clear_screen()
        self.ids.forget_memory()
        await self._start()

    async def background(self) -> None:
        """The app goes to the background: the SDK stops its stream (pushes would take over)."""
        self.observer.act("send the app to the background")
        self.foreground = False
        await self.sdk.stream.stop()
        self.sdk.persist()

    async def foreground_(self) -> None:
        """Back to the foreground: the stream restarts and resumes from the last processed event id."""
        self.observer.act("bring the app to the foreground")
        self.foreground = True
        await self._ensure_stream()

    async def go_offline(self) -> None:
        self.observer.act("device goes offline")
        self.sdk.network.online = False
        await self.sdk.stream.stop()

    async def go_online(self) -> None:
        self.observer.act("device goes online")
        self.sdk.network.online = True
        if self._started_once and not self.launched:
            await self._start()  # launched while offline: start now
        await self._ensure_stream()

    async def aclose(self) -> None:
        await self.sdk.stream.stop()
        self.sdk.persist()

    async def _start(self) -> None:
        self.launched = True
        self.foreground = True
        if not await self.sdk.start():
            self.launched = False  # nothing to show yet; going online starts again
            self._ui_changed()
            return
        self.ids.launched()
        await self._ensure_stream()
        await self._open_chat()

    async def _ensure_stream(self) -> None:
        if self.launched and self.foreground:
            await self.sdk.ensure_stream()

    # -- user actions -------------------------------------------------------------------------------------------
    async def send(self, text: str) -> MessageView:
        """Type `text` and tap send; returns the message as the user last sees it."""
        self.observer.act(f"type and send {text!r}")
        cid = self.ids.current
        if not self.ui.can_type:
            self.timeline.add(Kind.NOTE, "app", f"nothing sent: composer is {self.ui.composer}")
            return MessageView(new_uuid(self.rng), text, "failed", cid, Role.END_USER.value)
        view = MessageView(new_uuid(self.rng), text, "sending", cid, Role.END_USER.value)
        self.ui.messages.append(view)
        self.ui.error = None
        self._ui_changed()
        if await self._deliver(view):
            return view
        return await self._after_failed_send(view)

    async def typing(self, started: bool = True) -> bool:
        cid = self.ids.current
        if cid is None or self.ids.is_fresh(cid) or not self.ui.can_type:
            return False
        try:
            await self.sdk.core.typing(cid, started)
        except ApiError:
            return False
        return True

    async def tap_new_conversation(self) -> bool:
        self.observer.act("tap 'Start a new conversation'")
        if not self.ui.new_conversation_button:
            self.timeline.add(Kind.NOTE, "app", "no 'Start a new conversation' button on screen")
            return False
        await self._start_new_conversation()
        return True

    async def reopen_chat(self) -> None:
        """Close the chat screen and open it again (no process restart)."""
        self.observer.act("close and reopen the chat screen")
        self.ui.chat_open = False
        self._ui_changed()
        await self._ensure_stream()
        await self._open_chat()

    async def end_chat(self) -> bool:
        """End Chat from the options menu: ends the messaging session (endSession)."""
        self.observer.act("tap End Chat")
        return await self._on_conversation("End Chat", bool(self.ui.end_chat_button), self.sdk.core.end_session)

    async def close_conversation(self) -> bool:
        """The app calls closeConversation on the current conversation."""
        self.observer.act("close the conversation")
        offered = bool(self.profile.flag("close_conversation_api"))
        return await self._on_conversation("closeConversation", offered, self.sdk.core.close_conversation)

    async def _on_conversation(self, what: str, offered: bool, call: Callable[[str], Awaitable[None]]) -> bool:
        """One call on the current (created) conversation, if the app offers it; False when it does not.

        A call the runtime refuses raises its `ApiError` (noted in the timeline with its status): a step reads False
        as "not applicable", and a refusal is not that.
        """
        cid = self.ids.current
        if not offered or cid is None or self.ids.is_fresh(cid):
            self.timeline.add(Kind.NOTE, "app", f"{what} not available")
            return False
        try:
            await call(cid)
        except ApiError as exc:
            self.timeline.add(Kind.NOTE, "app", f"{what} failed: {exc.status} {exc.message}", {"status": exc.status})
            raise
        return True

    async def settle(self) -> None:
        """Wait until the app has processed every event the runtime emitted for its subject (bounded)."""
        await self.observer.settle(self.sdk.core, self.sdk.stream)
        self.sdk.persist()

    # -- opening a conversation ---------------------------------------------------------------------------------
    async def _open_chat(self, cid: str | None = None) -> None:
        if cid is None:
            cid = await self.ids.choose(self.sdk.core)
        self.ids.open(cid)
        self.sdk.open_chat()
        if not self.ids.is_fresh(cid):
            if not await self.sdk.load_history(cid):  # stored but never created (the app died before the first send)
                self.ids.not_created(cid)
                if self.profile.flag("create_conversation_api") == "explicit":
                    await self._create_quietly(cid)
        elif self.profile.flag("create_conversation_api") == "explicit":
            await self._create_quietly(cid)
        self._ui_changed()

    async def _create(self, cid: str) -> None:
        await self.sdk.core.create_conversation(cid)
        self.ids.created(cid)

    async def _create_quietly(self, cid: str) -> None:
        try:
            await self._create(cid)
        except ApiError as exc:
            self.timeline.add(Kind.NOTE, "app", f"creating the conversation failed: {exc.status} {exc.message}")

    async def _start_new_conversation(self) -> None:
        await self._open_chat(self.ids.start_new())

    # -- sending ------------------------------------------------------------------------------------------------
    async def _deliver(self, view: MessageView) -> bool:
        cid = view.conversation_id
        if cid is None:
            view.state = "failed"
            return False
        try:
            if self.ids.is_fresh(cid):
                await self._create(cid)
            await self.sdk.core.send_message(cid, view.id, view.text)
        except ApiError as exc:
            view.state = "failed"
            self.timeline.add(Kind.NOTE, "app", f"send failed: {exc.status} {exc.message}", {"status": exc.status})
            self._ui_changed()
            await self.sdk.send_refused(cid, exc.status)
            return False
        return True

    async def _after_failed_send(self, view: MessageView) -> MessageView:
        policy = self.strategy.on_failed_send
        if policy is FailedSendPolicy.RETRY_SAME:
            self.timeline.add(Kind.NOTE, "app", "app retries the message on the same conversation")
            view.state = "sending"
            if await self._deliver(view):
                return view
        if policy is FailedSendPolicy.START_NEW_CONVERSATION:
            self.timeline.add(Kind.NOTE, "app", "app starts a new conversation and resends")
            await self._start_new_conversation()
            retry = MessageView(new_uuid(self.rng), view.text, "sending", self.ids.current, Role.END_USER.value)
            self.ui.messages.append(retry)
            self._ui_changed()
            if await self._deliver(retry):
                return retry
            view = retry
        self.ui.error = NOT_SENT
        self._ui_changed()
        return view

    def _ui_changed(self) -> None:
        self.observer.screen(self.sdk.ui)
