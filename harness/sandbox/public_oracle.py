"""The runtime's truth read through the PUBLIC v2 API only (list conversations, list entries), for real orgs.

A real org has no control API, so the truth about a conversation is what its end user may read: the list says
whether it is closed (`endTimestamp != 0`), the entries say who is present, which messages arrived and the
latest session status. Each subject's conversations are readable only with that subject's access token, so the
oracle remembers every (subject, token) pair the app has used. Saying something as a rep needs a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from harness.lifecycle import ConversationState, ConversationView
from harness.run.judge import NeedsRep
from harness.run.truth import ConversationTruth
from harness.wire.entries import MalformedEntry, entry_from_history
from harness.wire.events import EntryType, Role, SessionStatus
from harness.wire.messages import message_text

__all__ = [
    "ENTRY_FILTER",
    "Credentials",
    "PublicApiError",
    "PublicOracle",
    "RepPlayer",
    "list_conversations",
    "list_entries",
    "read_truth",
    "truth_from_public",
]

API = "/iamessage/api/v2"
LIST_LIMIT = 50  # the API's maximum page (miaw-api.md §3.6, §3.7)
ENTRY_FILTER = ",".join(
    t.value
    for t in (
        EntryType.MESSAGE,
        EntryType.PARTICIPANT_CHANGED,
        EntryType.ROUTING_RESULT,
        EntryType.SESSION_STATUS_CHANGED,
    )
)
REP_ROLES = frozenset({Role.AGENT.value, Role.CHATBOT.value, Role.SUPERVISOR.value})


class PublicApiError(Exception):
    """A read the runtime refused; the message never contains the token used."""

    def __init__(self, path: str, status: int, message: str) -> None:
        self.path = path
        self.status = status
        self.message = message
        super().__init__(f"{path}: {status} {message}")


class RepPlayer(Protocol):
    """Someone who can act as the rep (a person at the console, in `--interactive` mode)."""

    async def accept(self, conversation_id: str) -> None: ...

    async def say(self, conversation_id: str, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ListedConversation:
    conversation_id: str
    start_ms: int
    end_ms: int


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _get(http: httpx.AsyncClient, path: str, token: str, params: Mapping[str, str]) -> dict[str, Any]:
    try:
        response = await http.get(path, params=dict(params), headers=_headers(token))
    except httpx.HTTPError as exc:
        raise PublicApiError(path, 0, f"network error: {type(exc).__name__}") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if not response.is_success:
        message = data.get("message") if isinstance(data, dict) else None
        raise PublicApiError(path, response.status_code, str(message or "no message"))
    if not isinstance(data, dict):
        raise PublicApiError(path, response.status_code, "the answer is not a JSON object")
    return data


async def list_conversations(http: httpx.AsyncClient, token: str) -> list[ListedConversation]:
    """Every conversation of the token's end user, open and closed, newest first."""
    params = {"inclClosedConvs": "true", "limit": str(LIST_LIMIT)}
    data = await _get(http, f"{API}/conversation/list", token, params)
    found = [
        ListedConversation(
            str(c.get("conversationId")), int(c.get("startTimestamp") or 0), int(c.get("endTimestamp") or 0)
        )
        for c in data.get("conversations") or []
        if isinstance(c, dict) and c.get("conversationId")
    ]
    return sorted(found, key=lambda c: c.start_ms, reverse=True)


async def list_entries(http: httpx.AsyncClient, token: str, conversation_id: str) -> list[dict[str, Any]]:
    """The newest entries (one page, oldest first) of messages, participants, routing and session status."""
    params = {"limit": str(LIST_LIMIT), "direction": "FromEnd", "entryTypeFilter": ENTRY_FILTER}
    data = await _get(http, f"{API}/conversation/{conversation_id}/entries", token, params)
    raw = [e for e in data.get("conversationEntries") or [] if isinstance(e, dict)]
    return list(reversed(raw))


def truth_from_public(listed: ListedConversation, entries: list[dict[str, Any]]) -> ConversationTruth:
    """Fold the listing and the entries into what the journey compares against: the entries go through the same
    `ConversationView` as the SDK's (the runtime's rules); the listing says whether the conversation is closed."""
    view = ConversationView()
    message_ids: set[str] = set()
    rep_texts: list[str] = []
    for fields in entries:
        try:
            entry = entry_from_history(listed.conversation_id, fields)
        except (MalformedEntry, ValueError):
            continue
        view.fold(entry)
        if entry.entry_type is EntryType.MESSAGE:
            if entry.sender.role is Role.END_USER:
                message_ids.add(entry.identifier)
            else:
                rep_texts.append(message_text(entry.payload))
    closed = listed.end_ms != 0
    session, present = view.session, dict(view.participants)
    if session is None and present.keys():
        session = SessionStatus.ACTIVE  # a rep or bot joined, and the runtime did not list session status entries
    if closed:
        session = SessionStatus.ENDED
        present.clear()
    return ConversationTruth(
        conversation_id=listed.conversation_id,
        state=ConversationState.CLOSED if closed else ConversationState.OPEN,
        session=session,
        participants=frozenset(present.values()),
        message_ids=frozenset(message_ids),
        rep_texts=tuple(rep_texts),
    )


async def read_truth(http: httpx.AsyncClient, token: str, conversation_id: str) -> ConversationTruth | None:
    """One conversation's truth, or None when the token's end user has no such conversation."""
    for listed in await list_conversations(http, token):
        if listed.conversation_id == conversation_id:
            return truth_from_public(listed, await list_entries(http, token, conversation_id))
    return None


Credentials = Callable[[], tuple[str | None, str | None]]


class PublicOracle:
    """`harness.run.journey.Oracle` over the public API; `credentials()` yields the app's current (subject, token)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        rep: RepPlayer | None = None,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.rep = rep
        self._tokens: dict[str, str] = {}

    def known(self) -> dict[str, str]:
        """Every (subject -> token) the app has used so far, the current one included."""
        subject, token = self.credentials()
        if subject and token:
            self._tokens[subject] = token
        return self._tokens

    async def conversation(self, conversation_id: str) -> ConversationTruth | None:
        for token in self.known().values():
            truth = await read_truth(self.http, token, conversation_id)
            if truth is not None:
                return truth
        return None

    async def conversations_of(self, subject: str) -> list[ConversationTruth]:
        token = self.known().get(subject)
        if token is None:
            return []
        found = await list_conversations(self.http, token)
        truths = [truth_from_public(c, await list_entries(self.http, token, c.conversation_id)) for c in found]
        if self.rep is None:
            return truths
        return [await self._accepted(t) for t in truths]

    async def _accepted(self, truth: ConversationTruth) -> ConversationTruth:
        """With a person playing the rep, a conversation waiting in a queue is accepted before anyone reads it."""
        if (
            not truth.open
            or truth.rep_present
            or not truth.message_ids
            or truth.session not in (None, "New", "Waiting")
        ):
            return truth
        assert self.rep is not None
        await self.rep.accept(truth.conversation_id)
        return await self.conversation(truth.conversation_id) or truth

    async def rep_says(self, conversation_id: str, text: str) -> None:
        if self.rep is None:
            raise NeedsRep(
                "a rep must answer in the console and nobody plays the rep on this target (rerun with --interactive)"
            )
        await self.rep.say(conversation_id, text)
