"""The app strategy at work: the one owner of which conversation id the app uses.

Every place a conversation id lives on the client is read and written here and nowhere else: the id the chat
shows (`current`), the app's stored id (`DeviceStorage.conversation_id`), the SDK's own memory of it when the
profile has one (`DeviceStorage.sdk_conversation_id`), the id of this launch (new-per-launch apps), and the ids
minted here that the runtime has not created yet. The SDK core asks `current` and reports endings
(`conversation_closed`, `session_ended`, `participants_left`); the strategy decides whether the app forgets its id.
"""

from __future__ import annotations

import random

from harness.sdk.core import ApiError, CoreClient
from harness.sdk.profiles import SdkProfile
from harness.sdk.storage import DeviceStorage
from harness.sdk.strategies import AppStrategy, IdPolicy
from harness.timeline import Kind, Timeline
from harness.wire import new_uuid

__all__ = ["ConversationIds"]

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


class ConversationIds:
    def __init__(
        self,
        *,
        profile: SdkProfile,
        strategy: AppStrategy,
        storage: DeviceStorage,
        timeline: Timeline,
        rng: random.Random,
    ) -> None:
        self.profile = profile
        self.strategy = strategy
        self.storage = storage
        self.timeline = timeline
        self.rng = rng
        self._current: str | None = None
        self._launch_id: str | None = None
        self._fresh: set[str] = set()  # ids minted here and not yet created on the runtime

    @property
    def current(self) -> str | None:
        """The conversation the chat shows (None before the chat first opens, and after a relaunch)."""
        return self._current

    # -- the runtime's side of an id ----------------------------------------------------------------------------
    def is_fresh(self, cid: str) -> bool:
        """Minted here and not created on the runtime yet."""
        return cid in self._fresh

    def created(self, cid: str) -> None:
        self._fresh.discard(cid)

    def not_created(self, cid: str) -> None:
        """A stored id the runtime does not know (the app died before the first send): create it before use."""
        self._fresh.add(cid)

    # -- launches -----------------------------------------------------------------------------------------------
    def forget_memory(self) -> None:
        """The process died: what was only in memory is gone; the device's storage stays."""
        self._current = None
        self._launch_id = None
        self._fresh.clear()

    def launched(self) -> None:
        if self.strategy.id_policy is IdPolicy.NEW_PER_LAUNCH:
            self._launch_id = self._mint()

    # -- choosing -----------------------------------------------------------------------------------------------
    async def choose(self, core: CoreClient) -> str:
        """The id the chat opens on, as the SDK profile and the app strategy pick it (`core` lists conversations)."""
        if self.profile.flag("sdk_persists_conversation_id") and self.storage.sdk_conversation_id:
            return self.storage.sdk_conversation_id
        policy = self.strategy.id_policy
        if policy is IdPolicy.NEW_PER_LAUNCH:
            if self._launch_id is None:
                self._launch_id = self._mint()
            return self._launch_id
        if policy in (IdPolicy.PICK_FIRST_FROM_LIST, IdPolicy.PICK_FIRST_OPEN_FROM_LIST):
            listed, picked = await self._pick_from_list(core, only_open=policy is IdPolicy.PICK_FIRST_OPEN_FROM_LIST)
            if listed:
                self.storage.conversation_id = picked or self._mint()
                return self.storage.conversation_id
        if policy is IdPolicy.WEB_STORAGE and self.storage.conversation_id:
            await self._drop_stale_web_id(core, self.storage.conversation_id)
        if self.storage.conversation_id:
            return self.storage.conversation_id
        cid = self._mint()
        self.storage.conversation_id = cid
        return cid

    def open(self, cid: str) -> None:
        """The chat now shows `cid` (the SDK remembers it too when the profile says it does)."""
        self._current = cid
        if self.profile.flag("sdk_persists_conversation_id"):
            self.storage.sdk_conversation_id = cid

    def start_new(self) -> str:
        """A new conversation: a fresh id, kept where this strategy keeps its id."""
        cid = self._mint()
        if self.strategy.id_policy in _PERSISTING:
            self.storage.conversation_id = cid
        else:
            self._launch_id = cid
        return cid

    def _mint(self) -> str:
        cid = new_uuid(self.rng)
        self._fresh.add(cid)
        return cid

    async def _pick_from_list(self, core: CoreClient, *, only_open: bool) -> tuple[bool, str | None]:
        """(whether the list could be read, the id picked from it)."""
        if not self.profile.flag("list_conversations"):
            self.timeline.add(Kind.NOTE, "app", "this SDK cannot list conversations: the stored id is used")
            return False, None
        try:
            found = await core.list_conversations(include_closed=True)
        except ApiError:
            return False, None
        if only_open:
            if self.profile.flag("exposes_conversation_status"):
                found = [c for c in found if c.open]
            else:
                self.timeline.add(Kind.NOTE, "app", "this SDK exposes no conversation status: cannot skip closed ones")
        return True, (found[0].conversation_id if found else None)

    async def _drop_stale_web_id(self, core: CoreClient, cid: str) -> None:
        try:
            open_ids = {c.conversation_id for c in await core.list_conversations(include_closed=False) if c.open}
        except ApiError:
            return
        if cid not in open_ids:
            self._forget_stored(cid, "no open conversation found, deleting stale data")

    # -- endings the SDK reports --------------------------------------------------------------------------------
    def conversation_closed(self, cid: str) -> None:
        if self.strategy.id_policy is IdPolicy.PERSIST_UNTIL_CLOSED_EVENT:
            self._forget_stored(cid, "conversation closed")

    def session_ended(self, cid: str) -> None:
        if self.strategy.id_policy is IdPolicy.PERSIST_UNTIL_CLOSED_EVENT:
            self._forget_stored(cid, "session ended")

    def participants_left(self, cid: str) -> None:
        """Everyone who had joined has left."""
        if self.strategy.id_policy is IdPolicy.PERSIST_UNTIL_PARTICIPANTS_ZERO:
            self._forget_stored(cid, "no active participants left")

    def _forget_stored(self, cid: str, why: str) -> None:
        if self.storage.conversation_id == cid:
            self.storage.conversation_id = None
            self.timeline.add(Kind.NOTE, "app", f"app forgets the stored conversation id: {why}")
