"""The SDK core: what one real SDK version does, under its profile's flags, and nothing of the harness.

It owns the REST client (`CoreClient`), the event stream (`EventStream`) and the wiring between them (the two do
not know each other), the entries it surfaces to the app, what it knows of the conversation on screen, and the UI
model (`UiState`). It never calls the control API and never decides which conversation id the app uses: it asks
the app's `ConversationOwner` which conversation the chat shows and tells it when one ends.

Theory of operation: server events arrive on the stream's task and go through `surface()` first, so an SDK that
predates an entry type reacts only as that SDK could (an Unknown entry, or nothing); the typed entries of the
conversation on screen are folded into a `ConversationView` (`harness/lifecycle.py`: the runtime's own rules), which
other sources (a status read, the SDK's local store) may only tell that the conversation is open or closed.
Behaviour switches read `profile.flag(...)`, never a version number.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx
from httpx_sse import ServerSentEvent

from harness.lifecycle import ConversationState, ConversationView, Machine
from harness.sdk.core import ApiError, Network
from harness.sdk.dialect_v1 import core_client_class
from harness.sdk.entries import UNKNOWN, SdkEntry, surface
from harness.sdk.profiles import SdkProfile
from harness.sdk.refusal import Reaction, reaction
from harness.sdk.storage import DeviceStorage
from harness.sdk.stream import EventStream, Sleep, StreamLink
from harness.sdk.ui import Composer, MessageView, UiState
from harness.timeline import Kind, Timeline
from harness.wire import EntryType, Role, SessionStatus
from harness.wire.messages import message_text

__all__ = ["ConversationOwner", "SdkCore"]

_CLOSED_COMPOSER: dict[str, Composer] = {"no_input": "hidden", "disabled": "read_only", "entry_error": "read_only"}


class ConversationOwner(Protocol):
    """The app's side of the SDK: which conversation the chat shows, and what the app does when one ends."""

    @property
    def current(self) -> str | None: ...

    def conversation_closed(self, cid: str) -> None: ...

    def session_ended(self, cid: str) -> None: ...

    def participants_left(self, cid: str) -> None: ...


class SdkCore:
    def __init__(
        self,
        *,
        profile: SdkProfile,
        http: httpx.AsyncClient,
        org_id: str,
        deployment: str,
        storage: DeviceStorage,
        timeline: Timeline,
        rng: random.Random,
        owner: ConversationOwner,
        sleep: Sleep,
        on_screen: Callable[[], None],
        on_roll_over: Callable[[], Awaitable[None]],
        new_conversation_button: bool,
        hide_end_chat: bool,
        open_timeout_s: float = 5.0,
    ) -> None:
        self.profile = profile
        self.storage = storage
        self.timeline = timeline
        self.owner = owner
        self.network = Network()
        self.core = core_client_class(profile.flag("rest_api"))(  # v1 or v2 wire: the profile says which
            http=http,
            org_id=org_id,
            deployment=deployment,
            timeline=timeline,
            rng=rng,
            platform=profile.platform,
            network=self.network,
            on_new_identity=self._identity_replaced,
        )
        self.changed = asyncio.Condition()
        link = StreamLink(http, org_id, self.core.credentials, self.network, self._renew_for_stream)
        self.stream = EventStream(
            link=link,
            handler=self._on_event,
            timeline=timeline,
            sleep=sleep,
            policy=str(profile.flag("realtime_reconnect")),
            base_ms=int(profile.flag("reconnect_base_ms")),
            cap_ms=int(profile.flag("reconnect_cap_ms")),
            max_attempts=int(profile.flag("reconnect_max_attempts")),
            changed=self.changed,
        )
        self._on_screen = on_screen
        self._on_roll_over = on_roll_over
        self.new_conversation_button = new_conversation_button  # the app's own button on the closed view
        self.hide_end_chat = hide_end_chat  # the app asks the SDK's UI to hide End Chat (when it can)
        self.open_timeout_s = open_timeout_s
        self.ui = UiState()
        self.view = ConversationView()  # what the SDK knows of the conversation on screen
        self.entries: list[SdkEntry] = []  # every entry the SDK handed the app, in order

    # -- identity and stream ------------------------------------------------------------------------------------
    async def start(self) -> bool:
        """Resume the stored token, else ask for a new one; False when there is no token to start with."""
        if self.storage.access_token:
            self.core.resume(self.storage.access_token, self.storage.subject)
            self.stream.last_event_id = self.storage.last_event_id or "0"
        else:
            try:
                await self.core.new_token()
            except ApiError as exc:
                self.timeline.add(Kind.NOTE, "app", f"cannot start: no access token ({exc.status} {exc.message})")
                return False
            self.stream.last_event_id = self.core.initial_event_id
        self.stream.ids_subject = self.core.subject
        self.persist()
        return True

    async def ensure_stream(self) -> None:
        if self.network.online and not self.stream.running:
            try:
                await self.stream.started(self.open_timeout_s)
            except TimeoutError:
                self.timeline.add(Kind.NOTE, "app", "stream not open yet; carrying on while it connects")

    async def _identity_replaced(self) -> None:
        """A request's renewal gave a new identity: the open stream carries the old one's events."""
        await self.stream.reopen_for_new_identity()
        self.persist()

    async def _renew_for_stream(self) -> None:
        """The stream was refused: renew; a new identity is the stream's own business (it resumes from its token)."""
        if await self.core.renew_token():
            self.persist()

    def persist(self) -> None:
        """What the SDK keeps on the device: the token, its subject, the last processed event id."""
        self.storage.access_token = self.core.token
        self.storage.subject = self.core.subject
        self.storage.last_event_id = self.stream.last_event_id

    # -- the chat screen ----------------------------------------------------------------------------------------
    def clear_screen(self) -> None:
        self.ui = UiState()
        self._on_screen()

    def open_chat(self) -> None:
        """The chat screen opens on the owner's current conversation: what the SDK knew of another is dropped."""
        self.view = ConversationView()
        self.ui = UiState(chat_open=True, end_chat_button=self._end_chat_offered())

    def _end_chat_offered(self) -> bool:
        if not self.profile.flag("end_chat"):
            return False
        return not (self.hide_end_chat and self.profile.flag("hide_end_chat"))

    async def load_history(self, cid: str) -> bool:
        """Show the conversation's messages and what the SDK knows of its state; False when the runtime has no
        such conversation (404)."""
        try:
            history = await self.core.entries(cid)
        except ApiError as exc:
            if exc.status == 404:
                return False
            if self._stored_as_closed(cid):
                await self._learn_closed(cid, "the SDK's local store")
            return True
        for entry in history:
            if entry.entry_type is EntryType.MESSAGE:
                text = message_text(entry.payload)
                self.ui.messages.append(MessageView(entry.identifier, text, "sent", cid, entry.sender.role.value))
        if self._stored_as_closed(cid):
            await self._learn_closed(cid, "the SDK's local store")
        if self.profile.flag("exposes_conversation_status"):
            await self._refresh_status(cid, "status read when the chat opens")
        return True

    # -- events -------------------------------------------------------------------------------------------------
    async def _on_event(self, event: ServerSentEvent) -> None:
        entry = surface(self.profile, event.event, event.data)
        outcome = "dropped by this SDK" if entry is None else entry.kind
        self.timeline.add(Kind.EVENT, "server", f"{event.event} #{event.id} -> {outcome}", {"id": event.id})
        if entry is None:
            return
        self.entries.append(entry)
        if entry.conversation_id != self.owner.current:
            return
        closed = False
        if entry.entry is not None and entry.kind != UNKNOWN:
            closed = any(c.machine is Machine.CONVERSATION for c in self.view.fold(entry.entry))
        if entry.kind == EntryType.MESSAGE.value:
            self._on_message(entry)
        elif entry.kind == EntryType.PARTICIPANT_CHANGED.value:
            await self._on_participants(entry)
        elif entry.kind == EntryType.SESSION_STATUS_CHANGED.value:
            await self._on_session_status(entry)
        elif entry.kind == EntryType.CLOSE_CONVERSATION.value and closed:
            await self._closed(entry.conversation_id, "CloseConversation entry")
        elif entry.kind == UNKNOWN:
            await self._conversation_updated(entry.conversation_id)
        self._on_screen()

    def _on_message(self, entry: SdkEntry) -> None:
        assert entry.entry is not None
        role = entry.entry.sender.role
        if role is Role.END_USER:
            mine = self.ui.find(entry.entry.identifier)
            if mine is not None:
                mine.state = "sent"
            return
        text = message_text(entry.payload)
        self.ui.messages.append(MessageView(entry.entry.identifier, text, "sent", entry.conversation_id, role.value))

    async def _on_participants(self, entry: SdkEntry) -> None:
        if self.view.had_participants and not self.view.participants:
            self.owner.participants_left(entry.conversation_id)
        await self._conversation_updated(entry.conversation_id)

    async def _on_session_status(self, entry: SdkEntry) -> None:
        if self.view.session is not SessionStatus.ENDED:
            return
        self.owner.session_ended(entry.conversation_id)
        if self.profile.flag("exposes_conversation_status"):
            await self._refresh_status(entry.conversation_id, "status read after the session ended")

    async def _conversation_updated(self, cid: str) -> None:
        """The SDK's conversation-updated callback: it re-reads the conversation and tells the app."""
        if self.profile.flag("conversation_updated_callback") and self.profile.flag("exposes_conversation_status"):
            await self._refresh_status(cid, "conversation-updated callback")

    async def _refresh_status(self, cid: str, via: str) -> None:
        if self.view.closed:
            return
        try:
            summary = await self.core.conversation_summary(cid)
        except ApiError:
            return
        if summary is None:
            return
        if summary.open:
            self.view.learn(ConversationState.OPEN)
        else:
            await self._learn_closed(cid, via)

    def _stored_as_closed(self, cid: str) -> bool:
        return bool(self.profile.flag("exposes_conversation_status")) and cid in (
            self.storage.closed_conversations or ()
        )

    async def send_refused(self, cid: str, status: int) -> None:
        """What this SDK version does with a send the runtime refused with `status` (harness/sdk/refusal.py)."""
        if reaction(self.profile, status) is Reaction.TREAT_AS_CLOSED:
            await self._learn_closed(cid, f"the send was refused with {status}")

    async def _learn_closed(self, cid: str, via: str) -> None:
        """A source other than the entries (a status read, the local store) says the conversation is closed."""
        if self.view.closed or cid != self.owner.current:
            return
        self.view.learn(ConversationState.CLOSED)
        await self._closed(cid, via)

    async def _closed(self, cid: str, via: str) -> None:
        self.timeline.add(Kind.NOTE, "app", f"app knows the conversation is closed ({via})")
        stored = self.storage.closed_conversations or ()
        if self.profile.flag("exposes_conversation_status") and cid not in stored:  # the SDK's local store
            self.storage.closed_conversations = (*stored, cid)
        self.owner.conversation_closed(cid)
        if self.profile.flag("readonly_closed_view"):
            self.ui.composer = _CLOSED_COMPOSER[str(self.profile.flag("closed_send_ui"))]
            self.ui.banner = str(self.profile.flag("closed_banner")) or None
            self.ui.new_conversation_button = self.new_conversation_button
            self.ui.end_chat_button = False
        self._on_screen()
        if self.profile.flag("auto_new_conversation"):
            self.timeline.add(Kind.NOTE, "app", "the SDK starts a new conversation by itself")
            await self._on_roll_over()
