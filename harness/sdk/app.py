"""The simulated app: an SDK profile plus the app code around it (an app strategy), with a screen and a device.

Theory of operation: every user action is a coroutine that records itself, talks to the runtime through the
`CoreClient`, and leaves the screen (`ui`) in the state the real app would show. Server events arrive on the
`EventStream` task and go through `surface()` first, so an SDK that predates an entry type reacts only as that
SDK could (an Unknown entry, or nothing). Behaviour switches read `profile.flag(...)` and the strategy's fields,
never a version number. `settle()` waits on a condition until the processed event id reaches the newest id the
runtime has for this end user (asked through the control API), so tests never sleep. Reconnect delays go
through `sleep`: by default no wait at all when a control API is given (the mock), a real wait otherwise.

Over 400 lines: the SDK core's use, the app strategy and the settling of a run still share this class; splitting
them into three owners is the next step (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

import httpx
from httpx_sse import ServerSentEvent

from harness.sdk.core import ApiError, CoreClient
from harness.sdk.entries import UNKNOWN, SdkEntry, surface
from harness.sdk.profiles import SdkProfile
from harness.sdk.refusal import Reaction, reaction
from harness.sdk.storage import DeviceStorage
from harness.sdk.strategies import AppStrategy, FailedSendPolicy, IdPolicy
from harness.sdk.stream import EventStream
from harness.sdk.ui import Composer, MessageView, UiState
from harness.timeline import Kind, Timeline
from harness.wire import EntryType, Role, SessionStatus, new_uuid

__all__ = ["DeviceStorage", "EventWatermark", "SettleTimeout", "SimulatedApp", "Sleep"]

Sleep = Callable[[float], Awaitable[None]]

_PERSISTING = frozenset(
    {
        IdPolicy.PERSIST_FOREVER,
        IdPolicy.PERSIST_UNTIL_CLOSED_EVENT,
        IdPolicy.PERSIST_UNTIL_PARTICIPANTS_ZERO,
        IdPolicy.PICK_FIRST_FROM_LIST,
        IdPolicy.PICK_FIRST_OPEN_FROM_LIST,
        IdPolicy.WEB_STORAGE,
    }
)
_CLOSED_COMPOSER: dict[str, Composer] = {"no_input": "hidden", "disabled": "read_only", "entry_error": "read_only"}
NOT_SENT = "Message not sent"


class EventWatermark(Protocol):
    """The part of the control client `settle()` needs: the newest event id the runtime has for a subject."""

    async def last_event_id(self, subject: str) -> int: ...


class SettleTimeout(TimeoutError):
    """The app did not catch up with the runtime's events within the bound."""


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def _text_of(entry: SdkEntry) -> str:
    message = entry.payload.get("abstractMessage") or {}
    static = message.get("staticContent") or {} if isinstance(message, dict) else {}
    return str(static.get("text", "")) if isinstance(static, dict) else ""


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
        self.control = control
        self.settle_timeout_s = settle_timeout_s
        self.quiet_window_s = quiet_window_s
        self.core = CoreClient(
            http=http, org_id=org_id, deployment=deployment, timeline=timeline, rng=rng, platform=profile.platform
        )
        self.core.end_user = dict(end_user or {})
        self._changed = asyncio.Condition()
        self.core.on_new_identity = self._new_identity
        self.stream = EventStream(
            core=self.core,
            handler=self._on_event,
            timeline=timeline,
            sleep=sleep or (_no_wait if control is not None else asyncio.sleep),
            policy=str(profile.flag("realtime_reconnect")),
            base_ms=int(profile.flag("reconnect_base_ms")),
            cap_ms=int(profile.flag("reconnect_cap_ms")),
            max_attempts=int(profile.flag("reconnect_max_attempts")),
            changed=self._changed,
        )
        self.ui = UiState()
        self.conversation_id: str | None = None
        self.known_status = "unknown"  # what the app knows of the current conversation: open | closed | unknown
        self.session_status: str | None = None
        self.entries: list[SdkEntry] = []  # every entry the SDK handed the app, in order
        self.online = True
        self.foreground = True
        self.launched = False
        self._launch_id: str | None = None
        self._fresh: set[str] = set()  # ids minted here and not yet created on the runtime
        self._participants: set[str] = set()
        self._had_participants = False
        self._last_ui = ""
        self._started_once = False

    @property
    def subject(self) -> str | None:
        return self.core.subject

    # -- lifecycle ----------------------------------------------------------------------------------------------
    async def launch(self) -> None:
        self._act("launch the app")
        self._started_once = True
        await self._start()

    async def relaunch(self) -> None:
        """Kill and restart the process: memory is lost, `storage` survives."""
        self._act("relaunch the app (process restart)")
        await self.stream.stop()
        self._persist()
        self.ui = UiState()
        self._ui_changed()
        self.conversation_id = None
        self._launch_id = None
        self._fresh.clear()
        await self._start()

    async def background(self) -> None:
        """The app goes to the background: the SDK stops its stream (pushes would take over)."""
        self._act("send the app to the background")
        self.foreground = False
        await self.stream.stop()
        self._persist()

    async def foreground_(self) -> None:
        """Back to the foreground: the stream restarts and resumes from the last processed event id."""
        self._act("bring the app to the foreground")
        self.foreground = True
        await self._ensure_stream()

    async def go_offline(self) -> None:
        self._act("device goes offline")
        self.online = False
        self.core.online = False
        await self.stream.stop()

    async def go_online(self) -> None:
        self._act("device goes online")
        self.online = True
        self.core.online = True
        if self._started_once and not self.launched:
            await self._start()  # launched while offline: start now
        await self._ensure_stream()

    async def aclose(self) -> None:
        await self.stream.stop()
        self._persist()

    async def _start(self) -> None:
        self.launched = True
        self.foreground = True
        if self.storage.access_token:
            self.core.resume(self.storage.access_token, self.storage.subject)
            self.stream.last_event_id = self.storage.last_event_id or "0"
            self.stream.ids_subject = self.core.subject
        else:
            try:
                await self.core.new_token()
            except ApiError as exc:
                self.launched = False  # nothing to show yet; going online starts again
                self.timeline.add(Kind.NOTE, "app", f"cannot start: no access token ({exc.status} {exc.message})")
                self._ui_changed()
                return
            self.stream.last_event_id = self.core.initial_event_id
            self.stream.ids_subject = self.core.subject
        self._persist()
        if self.strategy.id_policy is IdPolicy.NEW_PER_LAUNCH:
            self._launch_id = self._mint()
        await self._ensure_stream()
        await self._open_chat()

    async def _ensure_stream(self) -> None:
        if self.launched and self.foreground and self.online and not self.stream.running:
            try:
                await self.stream.started(self.settle_timeout_s)
            except TimeoutError:
                self.timeline.add(Kind.NOTE, "app", "stream not open yet; carrying on while it connects")

    async def _new_identity(self) -> None:
        await self.stream.reopen_for_new_identity()
        self._persist()

    def _persist(self) -> None:
        self.storage.access_token = self.core.token
        self.storage.subject = self.core.subject
        self.storage.last_event_id = self.stream.last_event_id

    # -- user actions -------------------------------------------------------------------------------------------
    async def send(self, text: str) -> MessageView:
        """Type `text` and tap send; returns the message as the user last sees it."""
        self._act(f"type and send {text!r}")
        cid = self.conversation_id
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
        cid = self.conversation_id
        if cid is None or cid in self._fresh or not self.ui.can_type:
            return False
        try:
            await self.core.typing(cid, started)
        except ApiError:
            return False
        return True

    async def tap_new_conversation(self) -> bool:
        self._act("tap 'Start a new conversation'")
        if not self.ui.new_conversation_button:
            self.timeline.add(Kind.NOTE, "app", "no 'Start a new conversation' button on screen")
            return False
        await self._start_new_conversation()
        return True

    async def reopen_chat(self) -> None:
        """Close the chat screen and open it again (no process restart)."""
        self._act("close and reopen the chat screen")
        self.ui.chat_open = False
        self._ui_changed()
        await self._ensure_stream()
        await self._open_chat()

    async def end_chat(self) -> bool:
        """End Chat from the options menu: ends the messaging session (endSession)."""
        self._act("tap End Chat")
        return await self._on_conversation("End Chat", bool(self.ui.end_chat_button), self.core.end_session)

    async def close_conversation(self) -> bool:
        """The app calls closeConversation on the current conversation."""
        self._act("close the conversation")
        offered = bool(self.profile.flag("close_conversation_api"))
        return await self._on_conversation("closeConversation", offered, self.core.close_conversation)

    async def _on_conversation(self, what: str, offered: bool, call: Callable[[str], Awaitable[None]]) -> bool:
        """One call on the current (created) conversation, if the app offers it; False when unavailable or refused."""
        cid = self.conversation_id
        if not offered or cid is None or cid in self._fresh:
            self.timeline.add(Kind.NOTE, "app", f"{what} not available")
            return False
        try:
            await call(cid)
        except ApiError as exc:
            self.timeline.add(Kind.NOTE, "app", f"{what} failed: {exc.status} {exc.message}")
            return False
        return True

    # -- settling -----------------------------------------------------------------------------------------------
    async def settle(self) -> None:
        """Wait until the app has processed every event the runtime emitted for its subject (bounded)."""
        try:
            if self.control is None:
                await self._quiet_window()
            else:
                await asyncio.wait_for(self._catch_up(self.control), self.settle_timeout_s)
        except TimeoutError:
            raise SettleTimeout(
                f"app did not catch up within {self.settle_timeout_s}s (processed event {self.stream.last_event_id})"
            ) from None
        if self.stream.failure is not None:
            raise self.stream.failure
        self._persist()

    async def _catch_up(self, control: EventWatermark) -> None:
        subject = self.subject
        if subject is None:
            return
        while True:
            writes = self.core.writes
            target = await control.last_event_id(subject)
            if self.stream.processed_id >= target:
                return
            if not self.stream.running:
                missing = target - self.stream.processed_id
                self.timeline.add(Kind.NOTE, "app", f"settled with the stream down: {missing} event(s) not received")
                return
            async with self._changed:
                await self._changed.wait_for(self._caught_up_or_down(target))
            if self.stream.failure is not None or (self.core.writes == writes and self.stream.processed_id >= target):
                return  # caught up, and nothing the handlers did since can have made new events

    def _caught_up_or_down(self, target: int) -> Callable[[], bool]:
        stream = self.stream
        return lambda: stream.processed_id >= target or not stream.running or stream.failure is not None

    def _moved_on(self) -> Callable[[], bool]:
        stream, seen = self.stream, self.stream.last_event_id
        return lambda: stream.last_event_id != seen

    async def _quiet_window(self) -> None:
        """Against a real org: return once no event arrived for `quiet_window_s` (bounded by the settle timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_timeout_s
        while loop.time() < deadline:
            try:
                async with self._changed:
                    await asyncio.wait_for(self._changed.wait_for(self._moved_on()), self.quiet_window_s)
            except TimeoutError:
                return

    # -- choosing and opening a conversation --------------------------------------------------------------------
    def _mint(self) -> str:
        cid = new_uuid(self.rng)
        self._fresh.add(cid)
        return cid

    def _forget_stored_id(self, cid: str, why: str) -> None:
        if self.storage.conversation_id == cid:
            self.storage.conversation_id = None
            self.timeline.add(Kind.NOTE, "app", f"app forgets the stored conversation id: {why}")

    async def _choose_id(self) -> str:
        if self.profile.flag("sdk_persists_conversation_id") and self.storage.sdk_conversation_id:
            return self.storage.sdk_conversation_id
        policy = self.strategy.id_policy
        if policy is IdPolicy.NEW_PER_LAUNCH:
            if self._launch_id is None:
                self._launch_id = self._mint()
            return self._launch_id
        if policy in (IdPolicy.PICK_FIRST_FROM_LIST, IdPolicy.PICK_FIRST_OPEN_FROM_LIST):
            listed, picked = await self._pick_from_list(only_open=policy is IdPolicy.PICK_FIRST_OPEN_FROM_LIST)
            if listed:
                self.storage.conversation_id = picked or self._mint()
                return self.storage.conversation_id
        if policy is IdPolicy.WEB_STORAGE and self.storage.conversation_id:
            await self._drop_stale_web_id(self.storage.conversation_id)
        if self.storage.conversation_id:
            return self.storage.conversation_id
        cid = self._mint()
        self.storage.conversation_id = cid
        return cid

    async def _pick_from_list(self, *, only_open: bool) -> tuple[bool, str | None]:
        """(whether the list could be read, the id picked from it)."""
        if not self.profile.flag("list_conversations"):
            self.timeline.add(Kind.NOTE, "app", "this SDK cannot list conversations: the stored id is used")
            return False, None
        try:
            found = await self.core.list_conversations(include_closed=True)
        except ApiError:
            return False, None
        if only_open:
            if self.profile.flag("exposes_conversation_status"):
                found = [c for c in found if c.open]
            else:
                self.timeline.add(Kind.NOTE, "app", "this SDK exposes no conversation status: cannot skip closed ones")
        return True, (found[0].conversation_id if found else None)

    async def _drop_stale_web_id(self, cid: str) -> None:
        try:
            open_ids = {c.conversation_id for c in await self.core.list_conversations(include_closed=False) if c.open}
        except ApiError:
            return
        if cid not in open_ids:
            self._forget_stored_id(cid, "no open conversation found, deleting stale data")

    async def _open_chat(self, cid: str | None = None) -> None:
        if cid is None:
            cid = await self._choose_id()
        self.conversation_id = cid
        if self.profile.flag("sdk_persists_conversation_id"):
            self.storage.sdk_conversation_id = cid
        self.known_status = "unknown"
        self.session_status = None
        self._participants.clear()
        self._had_participants = False
        self.ui = UiState(chat_open=True, end_chat_button=self._end_chat_offered())
        if cid not in self._fresh:
            await self._load_existing(cid)
        elif self.profile.flag("create_conversation_api") == "explicit":
            try:
                await self._create(cid)
            except ApiError as exc:
                self.timeline.add(Kind.NOTE, "app", f"creating the conversation failed: {exc.status} {exc.message}")
        self._ui_changed()

    async def _load_existing(self, cid: str) -> None:
        try:
            history = await self.core.entries(cid)
        except ApiError as exc:
            if exc.status == 404:  # stored but never created (the app died before the first send)
                self._fresh.add(cid)
                if self.profile.flag("create_conversation_api") == "explicit":
                    await self._create_quietly(cid)
            elif self._stored_as_closed(cid):
                await self._learn_closed(cid, "the SDK's local store")
            return
        for entry in history:
            if entry.entry_type is EntryType.MESSAGE:
                text = str(((entry.payload.get("abstractMessage") or {}).get("staticContent") or {}).get("text", ""))
                self.ui.messages.append(MessageView(entry.identifier, text, "sent", cid, entry.sender.role.value))
        if self._stored_as_closed(cid):
            await self._learn_closed(cid, "the SDK's local store")
        if self.profile.flag("exposes_conversation_status"):
            await self._refresh_status(cid, "status read when the chat opens")

    async def _create(self, cid: str) -> None:
        await self.core.create_conversation(cid)
        self._fresh.discard(cid)

    async def _create_quietly(self, cid: str) -> None:
        try:
            await self._create(cid)
        except ApiError as exc:
            self.timeline.add(Kind.NOTE, "app", f"creating the conversation failed: {exc.status} {exc.message}")

    async def _start_new_conversation(self) -> None:
        cid = self._mint()
        if self.strategy.id_policy in _PERSISTING:
            self.storage.conversation_id = cid
        else:
            self._launch_id = cid
        await self._open_chat(cid)

    def _end_chat_offered(self) -> bool:
        if not self.profile.flag("end_chat"):
            return False
        return not (self.strategy.hide_end_chat and self.profile.flag("hide_end_chat"))

    # -- sending ------------------------------------------------------------------------------------------------
    async def _deliver(self, view: MessageView) -> bool:
        cid = view.conversation_id
        if cid is None:
            view.state = "failed"
            return False
        try:
            if cid in self._fresh:
                await self._create(cid)
            await self.core.send_message(cid, view.id, view.text)
        except ApiError as exc:
            view.state = "failed"
            self.timeline.add(Kind.NOTE, "app", f"send failed: {exc.status} {exc.message}", {"status": exc.status})
            self._ui_changed()
            if reaction(self.profile, exc.status) is Reaction.TREAT_AS_CLOSED:  # harness/sdk/refusal.py
                await self._learn_closed(cid, f"the send was refused with {exc.status}")
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
            retry = MessageView(new_uuid(self.rng), view.text, "sending", self.conversation_id, Role.END_USER.value)
            self.ui.messages.append(retry)
            self._ui_changed()
            if await self._deliver(retry):
                return retry
            view = retry
        self.ui.error = NOT_SENT
        self._ui_changed()
        return view

    # -- events -------------------------------------------------------------------------------------------------
    async def _on_event(self, event: ServerSentEvent) -> None:
        entry = surface(self.profile, event.event, event.data)
        outcome = "dropped by this SDK" if entry is None else entry.kind
        self.timeline.add(Kind.EVENT, "server", f"{event.event} #{event.id} -> {outcome}", {"id": event.id})
        if entry is None:
            return
        self.entries.append(entry)
        if entry.conversation_id != self.conversation_id:
            return
        if entry.kind == EntryType.MESSAGE.value:
            self._on_message(entry)
        elif entry.kind == EntryType.PARTICIPANT_CHANGED.value:
            await self._on_participants(entry)
        elif entry.kind == EntryType.SESSION_STATUS_CHANGED.value:
            await self._on_session_status(entry)
        elif entry.kind == EntryType.CLOSE_CONVERSATION.value:
            await self._learn_closed(entry.conversation_id, "CloseConversation entry")
        elif entry.kind == UNKNOWN:
            await self._conversation_updated(entry.conversation_id)
        self._ui_changed()

    def _on_message(self, entry: SdkEntry) -> None:
        assert entry.entry is not None
        role = entry.entry.sender.role
        if role is Role.END_USER:
            mine = self.ui.find(entry.entry.identifier)
            if mine is not None:
                mine.state = "sent"
            return
        text = _text_of(entry)
        self.ui.messages.append(MessageView(entry.entry.identifier, text, "sent", entry.conversation_id, role.value))

    async def _on_participants(self, entry: SdkEntry) -> None:
        for change in entry.payload.get("entries") or []:
            subject = str((change.get("participant") or {}).get("subject", ""))
            if change.get("operation") == "add":
                self._participants.add(subject)
                self._had_participants = True
            elif change.get("operation") == "remove":
                self._participants.discard(subject)
        if (
            self.strategy.id_policy is IdPolicy.PERSIST_UNTIL_PARTICIPANTS_ZERO
            and self._had_participants
            and not self._participants
        ):
            self._forget_stored_id(entry.conversation_id, "no active participants left")
        await self._conversation_updated(entry.conversation_id)

    async def _on_session_status(self, entry: SdkEntry) -> None:
        self.session_status = str(entry.payload.get("sessionStatus", ""))
        if self.session_status != SessionStatus.ENDED.value:
            return
        if self.strategy.id_policy is IdPolicy.PERSIST_UNTIL_CLOSED_EVENT:
            self._forget_stored_id(entry.conversation_id, "session ended")
        if self.profile.flag("exposes_conversation_status"):
            await self._refresh_status(entry.conversation_id, "status read after the session ended")

    async def _conversation_updated(self, cid: str) -> None:
        """The SDK's conversation-updated callback: it re-reads the conversation and tells the app."""
        if self.profile.flag("conversation_updated_callback") and self.profile.flag("exposes_conversation_status"):
            await self._refresh_status(cid, "conversation-updated callback")

    async def _refresh_status(self, cid: str, via: str) -> None:
        if self.known_status == "closed":
            return
        try:
            summary = await self.core.conversation_summary(cid)
        except ApiError:
            return
        if summary is None:
            return
        if summary.open:
            self.known_status = "open"
        else:
            await self._learn_closed(cid, via)

    def _stored_as_closed(self, cid: str) -> bool:
        return bool(self.profile.flag("exposes_conversation_status")) and cid in (
            self.storage.closed_conversations or ()
        )

    async def _learn_closed(self, cid: str, via: str) -> None:
        if self.known_status == "closed" or cid != self.conversation_id:
            return
        self.known_status = "closed"
        self.timeline.add(Kind.NOTE, "app", f"app knows the conversation is closed ({via})")
        stored = self.storage.closed_conversations or ()
        if self.profile.flag("exposes_conversation_status") and cid not in stored:  # the SDK's local store
            self.storage.closed_conversations = (*stored, cid)
        if self.strategy.id_policy is IdPolicy.PERSIST_UNTIL_CLOSED_EVENT:
            self._forget_stored_id(cid, "conversation closed")
        if self.profile.flag("readonly_closed_view"):
            self.ui.composer = _CLOSED_COMPOSER[str(self.profile.flag("closed_send_ui"))]
            self.ui.banner = str(self.profile.flag("closed_banner")) or None
            self.ui.new_conversation_button = self.strategy.new_conversation_button
            self.ui.end_chat_button = False
        self._ui_changed()
        if self.profile.flag("auto_new_conversation"):
            self.timeline.add(Kind.NOTE, "app", "the SDK starts a new conversation by itself")
            await self._start_new_conversation()

    # -- timeline -----------------------------------------------------------------------------------------------
    def _act(self, summary: str) -> None:
        self.timeline.add(Kind.ACTION, "user", summary)

    def _ui_changed(self) -> None:
        summary = self.ui.summary()
        if summary != self._last_ui:
            self._last_ui = summary
            self.timeline.add(Kind.UI, "app", summary)
