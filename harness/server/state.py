"""The runtime's state and rules: deployments, tokens, conversations and their sessions, and the events they emit.

A pure core without HTTP: every public method either changes state and emits events, or raises `ApiError` before
changing anything. Every conversation and session move goes through `harness.lifecycle`; the changes it returns are
turned into SSE events here, in order (session events first, then a close event, as DESIGN.md prescribes).

Over 400 lines on purpose: every rule that changes a conversation lives in this one class, so that no move can
bypass the lifecycle or emit its events out of order.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.lifecycle import (
    Change,
    ConversationEvent,
    ConversationState,
    EndCause,
    IllegalTransition,
    Lifecycle,
    Policy,
    SessionEvent,
)
from harness.server.auth import AccessToken, TokenAuthority, TokenError, verify_identity_token
from harness.server.clock import Timer, VirtualClock
from harness.server.config import DeploymentSettings, ServerConfig, SettingsError
from harness.server.eventlog import EventLog
from harness.server.faults import Faults
from harness.server.retention import Retention, RetentionPolicy
from harness.wire.entries import Entry, Sender, entry_to_history, entry_to_sse_data
from harness.wire.events import EntryType, Role, SessionStatus, event_for_entry_type
from harness.wire.ids import InvalidConversationId, is_valid_org_id, new_uuid, org_id_key, validate_conversation_id

SYSTEM_SENDER = Sender(Role.SYSTEM, "005HA0000000SYSAAA", "conversation")
SYSTEM_NAME = "Platform Integration User"
PARTICIPANT_CHANGE_NAME = "Automated Process"  # the sender of participant changes seen live (§11.10)
_PARTICIPANT_IDS = {Role.AGENT: "005HA00000AGENT", Role.CHATBOT: "0XxHA00000CHBOT", Role.SUPERVISOR: "005HA0000SUPERV"}
_DEFAULT_NAMES = {Role.AGENT: "Harness Agent", Role.CHATBOT: "Harness Bot", Role.SUPERVISOR: "Harness Supervisor"}
_APP_TYPES = {Role.AGENT: "agent", Role.CHATBOT: "chatbot", Role.SUPERVISOR: "agent"}
_ENDED_BY: dict[EndCause, str] = {
    EndCause.AGENT: "Agent",
    EndCause.CHATBOT: "Chatbot",
    EndCause.END_USER: "EndUser",
    EndCause.SUPERVISOR: "Supervisor",
    EndCause.SYSTEM: "System",
    EndCause.OPT_OUT: "EndUser",
    EndCause.AUTO_END: "System",
    EndCause.CONVERSATION_CLOSED: "EndUser",
}
PARTICIPANT_ROLES = (Role.AGENT, Role.CHATBOT, Role.SUPERVISOR)
END_ROLES: dict[str, EndCause] = {
    "Agent": EndCause.AGENT,
    "Chatbot": EndCause.CHATBOT,
    "EndUser": EndCause.END_USER,
    "Supervisor": EndCause.SUPERVISOR,
}
LIST_LIMIT_MAX = 50
# Enum values compared on every message, looked up once (an enum's `.value` is a property call).
_START, _ROUTE, _TRANSFER = SessionEvent.START.value, SessionEvent.ROUTE.value, SessionEvent.TRANSFER.value
_CUSTOMER_MESSAGE = SessionEvent.CUSTOMER_MESSAGE.value
_INACTIVE, _ENDED = SessionStatus.INACTIVE.value, SessionStatus.ENDED.value


def _event_names() -> dict[EntryType, str]:
    names: dict[EntryType, str] = {}
    for entry_type in EntryType:
        try:
            names[entry_type] = event_for_entry_type(entry_type).value
        except KeyError:
            continue  # no SSE event carries this entry type
    return names


_EVENT_NAMES = _event_names()


class ApiError(Exception):
    """A refused request: `status` (4xx) and a message naming the problem. Nothing was changed."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status}: {message}")


@dataclass(slots=True)
class Deployment:
    name: str
    saved: DeploymentSettings
    published: DeploymentSettings | None
    channel_address_identifier: str

    def to_json(self) -> dict[str, Any]:
        return {
            "saved": self.saved.to_json(),
            "published": self.published.to_json() if self.published else None,
            "channelAddressIdentifier": self.channel_address_identifier,
        }


@dataclass(slots=True)
class Participant:
    role: Role
    display_name: str
    subject: str

    def sender(self) -> Sender:
        return Sender(self.role, self.subject, _APP_TYPES.get(self.role, "agent"))

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role.value, "displayName": self.display_name, "subject": self.subject}


@dataclass(slots=True)
class Conversation:
    conversation_id: str
    subject: str
    client_id: str
    deployment: str
    lifecycle: Lifecycle
    start_ms: int
    routing_attributes: dict[str, Any]
    end_ms: int = 0
    entries: list[Entry] = field(default_factory=list)
    message_ids: dict[str, Entry] = field(default_factory=dict)
    participants: list[Participant] = field(default_factory=list)
    session_record_id: str = ""
    session_start_ms: int = 0
    transferred: bool = False
    inactivity_timer: Timer | None = None
    auto_end_timer: Timer | None = None
    first_event_id: int = 0  # the id of its first frame in the subject's event log (retention trims up to it)

    @property
    def closed(self) -> bool:
        return self.lifecycle.conversation is ConversationState.CLOSED

    def routing_status(self) -> str:
        session = self.lifecycle.session
        if session in (SessionStatus.NEW, SessionStatus.WAITING, SessionStatus.CONSENT):
            return "TRANSFER" if self.transferred else "NEEDS_ROUTING"
        if session in (SessionStatus.ACTIVE, SessionStatus.INACTIVE, SessionStatus.PAUSED):
            return "ROUTED"
        if session is SessionStatus.ENDED and not self.closed:
            return "NEEDS_ROUTING"  # §11.2: seen live after the agent ended the session
        return "INITIAL"

    def summary(self) -> dict[str, Any]:
        return {
            "conversationId": self.conversation_id,
            "startTimestamp": self.start_ms,
            "endTimestamp": self.end_ms,
            "status": self.lifecycle.conversation.value,
        }

    def to_control(self) -> dict[str, Any]:
        lc = self.lifecycle
        messages = [
            {
                "id": e.identifier,
                "role": e.sender.role.value,
                "text": e.payload.get("abstractMessage", {}).get("staticContent", {}).get("text", ""),
                "transcriptedTimestamp": e.transcripted_timestamp,
            }
            for e in self.entries
            if e.entry_type is EntryType.MESSAGE
        ]
        return {
            "conversationId": self.conversation_id,
            "subject": self.subject,
            "deployment": self.deployment,
            "state": lc.conversation.value,
            "session": lc.session.value if lc.session else None,
            "endCause": lc.end_cause.value if lc.end_cause else None,
            "sessionsStarted": lc.sessions_started,
            "startTimestamp": self.start_ms,
            "endTimestamp": self.end_ms,
            "routingStatus": self.routing_status(),
            "participants": [p.to_json() for p in self.participants],
            "messages": messages,
        }


class Runtime:
    """One org's MIAW runtime. Not thread-safe: drive it from one event loop (the ASGI app does)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.org_id = config.org_id
        self.events = EventLog()
        self.faults = Faults()
        self.tokens = TokenAuthority(config.signing_key, config.org_id)
        self.generation = -1  # how many resets so far; seeds the ids so that none is handed out twice
        self.retention = Retention()
        self.reset()

    # -- whole-runtime ----------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the configuration; every earlier token is revoked and no subject id is ever handed out again."""
        self.generation += 1
        self.clock = VirtualClock(self.config.clock_start_ms)
        self.rng = random.Random(self.generation)  # reproducible per generation, never the same ids twice
        self.events.clear()
        self.faults.clear()
        self.tokens.reset()
        self.conversations: dict[str, Conversation] = {}
        self.by_subject: dict[str, list[Conversation]] = {}
        self.retention.clear()
        self.retention.policy = RetentionPolicy(self.config.retention_ttl_s, self.config.retention_max_closed)
        self.deployments: dict[str, Deployment] = {}
        for name, settings in self.config.deployments.items():
            self.deployments[name] = Deployment(name, settings, settings, self._record_id("0Mj"))

    @property
    def now_ms(self) -> int:
        return self.clock.now_ms

    def _uuid(self) -> str:
        return new_uuid(self.rng)

    def _record_id(self, prefix: str) -> str:
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(15))

    def advance(self, seconds: float) -> int:
        fired = self.clock.advance(seconds)
        self.sweep()
        return fired

    # -- retention ----------------------------------------------------------------------------------------------
    def sweep(self) -> int:
        """Evict what the retention policy says is due now; returns how many conversations were evicted."""
        due = self.retention.due(self.now_ms)
        for cid in due:
            conv = self.conversations.pop(cid, None)
            if conv is not None:
                self._forget(conv)
        return len(due)

    def _forget(self, conv: Conversation) -> None:
        for timer in (conv.inactivity_timer, conv.auto_end_timer):
            if timer is not None:
                timer.cancel()
        kept = [c for c in self.by_subject.get(conv.subject, []) if c is not conv]
        if kept:
            self.by_subject[conv.subject] = kept
        else:
            self.by_subject.pop(conv.subject, None)
        keep_from = min((c.first_event_id for c in kept if c.first_event_id), default=None)
        self.events.trim(conv.subject, keep_from)

    def set_retention(self, ttl_s: object, max_closed: object) -> RetentionPolicy:
        current = self.retention.policy
        try:
            policy = RetentionPolicy(
                current.ttl_s if ttl_s is None else ttl_s,  # type: ignore[arg-type]
                current.max_closed if max_closed is None else max_closed,  # type: ignore[arg-type]
            )
        except ValueError as exc:
            raise ApiError(400, f"retention: {exc}") from exc
        self.retention.policy = policy
        self.sweep()
        return policy

    def retention_stats(self) -> dict[str, Any]:
        open_count = sum(1 for c in self.conversations.values() if not c.closed)
        return {
            "policy": self.retention.policy.to_json(),
            "retained": {
                "conversations": len(self.conversations),
                "openConversations": open_count,
                "closedConversations": self.retention.closed_count,
                "cachedTokens": self.tokens.cached(),
                **self.events.stats(),
            },
            "evicted": {
                "conversations": self.retention.evicted_conversations,
                "subjects": self.events.dropped_logs,
            },
        }

    def revoke_tokens(self, subject: str | None = None) -> None:
        """Every token minted so far (of `subject`, or of everyone) stops working for new requests."""
        self.tokens.expire_all(subject)

    # -- deployments --------------------------------------------------------------------------------------------
    def save_settings(self, name: str, changes: dict[str, Any]) -> Deployment:
        current = self.deployments.get(name)
        base = current.saved if current else DeploymentSettings()
        try:
            saved = base.updated(changes)
        except SettingsError as exc:
            raise ApiError(400, f"deployment {name}: {exc}") from exc
        if current is None:
            current = self.deployments[name] = Deployment(name, saved, None, self._record_id("0Mj"))
        current.saved = saved
        return current

    def publish(self, name: str) -> Deployment:
        deployment = self._deployment(name)
        deployment.published = deployment.saved
        return deployment

    def _deployment(self, name: str) -> Deployment:
        deployment = self.deployments.get(name)
        if deployment is None:
            raise ApiError(404, f"unknown deployment {name!r} (known: {', '.join(sorted(self.deployments))})")
        return deployment

    def published(self, name: str) -> DeploymentSettings:
        deployment = self.deployments.get(name)
        if deployment is None:
            raise ApiError(400, f"esDeveloperName {name!r} is not a deployment of org {self.org_id}")
        if deployment.published is None:
            raise ApiError(400, f"deployment {name!r} has not been published: publish it to apply its settings")
        return deployment.published

    def embedded_service_config(self, name: str) -> dict[str, Any]:
        settings = self.published(name)
        deployment = self.deployments[name]
        forms: list[dict[str, Any]] = []
        if settings.prechat_display != "none":
            forms.append(
                {
                    "formType": "PreChat",
                    "displayContext": settings.prechat_display,
                    "formFields": [
                        {"isHidden": False, "maxLength": 255, "choiceListId": None, **f}
                        for f in settings.prechat_fields
                    ],
                    "hiddenFormFields": [],
                }
            )
        return {
            "name": name,
            "deploymentType": "Mobile" if settings.channel_type == "EmbeddedInApp" else "Web",
            "embeddedServiceMessagingChannel": {
                "channelAddressIdentifier": deployment.channel_address_identifier,
                "authMode": "Auth" if settings.user_verification else "UnAuth",
            },
            "forms": forms,
            "choiceListConfig": {"choiceList": []},
            "branding": [],
            "customLabels": [],
            "termsAndConditions": {"isTermsAndConditionsEnabled": False},
            "htmlDirection": "ltr",
        }

    # -- tokens -------------------------------------------------------------------------------------------------
    def check_org(self, org_id: object, *, what: str = "orgId") -> None:
        if not isinstance(org_id, str) or not is_valid_org_id(org_id):
            raise ApiError(400, f"{what} {org_id!r} is not a valid org id (15 or 18 characters starting with 00D)")
        if org_id_key(org_id) != org_id_key(self.org_id):
            raise ApiError(400, f"{what} {org_id} is not this org (verify the org id, URL and esDeveloperName)")

    def issue_token(self, org_id: object, deployment: object, *, verified_subject: str | None = None) -> dict[str, Any]:
        self.check_org(org_id)
        if not isinstance(deployment, str) or not deployment:
            raise ApiError(400, "esDeveloperName must be a non-empty string")
        settings = self.published(deployment)
        subject = verified_subject or f"v2/iamessage/UNAUTH/NA/uid:{self._uuid()}"
        return self._token_answer(subject, deployment, settings)

    def issue_verified_token(self, org_id: object, deployment: object, auth_type: object, identity: object) -> Any:
        self.check_org(org_id)
        if not isinstance(deployment, str) or not deployment:
            raise ApiError(400, "esDeveloperName must be a non-empty string")
        settings = self.published(deployment)
        if not settings.user_verification:
            raise ApiError(400, f"deployment {deployment!r} does not have user verification enabled")
        if auth_type != "JWT":
            raise ApiError(400, f"authorizationType must be 'JWT', got {auth_type!r}")
        if not isinstance(identity, str) or not identity:
            raise ApiError(400, "customerIdentityToken must be a non-empty string")
        if self.config.identity_key is None:
            raise ApiError(400, "no customer identity key is configured on this runtime (identity_key)")
        try:
            claims = verify_identity_token(identity, self.config.identity_key)
        except TokenError as exc:
            raise ApiError(401, str(exc)) from exc
        subject = f"v2/iamessage/AUTH/{self.config.identity_keyset}/uid:{claims['sub']}"
        return self._token_answer(subject, deployment, settings)

    def _token_answer(self, subject: str, deployment: str, settings: DeploymentSettings) -> dict[str, Any]:
        token, expires_ms = self.tokens.mint(
            subject=subject,
            deployment=deployment,
            now_ms=self.now_ms,
            ttl_s=settings.token_ttl_s,
            client_id=self._uuid(),
        )
        return {
            "accessToken": token,
            "lastEventId": str(self.events.last_id(subject)),
            "expiresAt": expires_ms,
            "context": {
                "deviceId": self._uuid(),
                "endUser": {"subject": subject},
                "configuration": {"embeddedServiceConfig": self.embedded_service_config(deployment)},
            },
        }

    def authenticate(self, authorization: str | None) -> AccessToken:
        if not authorization:
            raise ApiError(401, "missing Authorization header (expected 'Bearer <accessToken>')")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Authorization header must be 'Bearer <accessToken>'")
        try:
            return self.tokens.verify(token.strip(), now_ms=self.now_ms)
        except TokenError as exc:
            raise ApiError(401, str(exc)) from exc

    def continuation(self, access: AccessToken) -> dict[str, Any]:
        settings = self.published(access.deployment)
        token, expires_ms = self.tokens.mint(
            subject=access.subject,
            deployment=access.deployment,
            now_ms=self.now_ms,
            ttl_s=settings.token_ttl_s,
            client_id=self._uuid(),
            expires_ms=access.expires_ms,  # §11.7: a continuation does not extend the expiry
        )
        return {"accessToken": token, "lastEventId": str(self.events.last_id(access.subject)), "expiresAt": expires_ms}

    # -- conversations (end-user side) --------------------------------------------------------------------------
    def _check_deployment_name(self, access: AccessToken, name: object) -> None:
        if name is None:
            return
        if not isinstance(name, str):
            raise ApiError(400, f"esDeveloperName must be a string, got {name!r}")
        if name != access.deployment:
            raise ApiError(400, f"esDeveloperName {name!r} does not match the token's deployment {access.deployment!r}")

    def owned(self, access: AccessToken, conversation_id: str) -> Conversation:
        try:
            validate_conversation_id(conversation_id)
        except InvalidConversationId as exc:
            raise ApiError(400, str(exc)) from exc
        conv = self.conversations.get(conversation_id)
        if conv is None:
            raise ApiError(404, f"conversation {conversation_id} not found")
        if conv.subject != access.subject:
            raise ApiError(403, f"conversation {conversation_id} belongs to another end user")
        return conv

    def create_conversation(
        self, access: AccessToken, conversation_id: object, deployment: object, routing_attributes: object
    ) -> Conversation:
        if deployment is None:
            raise ApiError(400, "esDeveloperName is required")
        self._check_deployment_name(access, deployment)
        try:
            cid = validate_conversation_id(conversation_id)
        except InvalidConversationId as exc:
            raise ApiError(400, str(exc)) from exc
        attributes = _routing_attributes(routing_attributes)
        settings = self.published(access.deployment)
        if cid in self.conversations:
            raise ApiError(settings.duplicate_conversation_status, f"conversation {cid} already exists")
        if settings.prechat_display != "none":
            _check_prechat(settings, attributes)
        conv = Conversation(
            conversation_id=cid,
            subject=access.subject,
            client_id=access.client_id,
            deployment=access.deployment,
            lifecycle=Lifecycle(policy=_policy(settings)),
            start_ms=self.now_ms,
            routing_attributes=attributes,
        )
        self.conversations[cid] = conv
        self.by_subject.setdefault(access.subject, []).append(conv)
        self._start_session(conv)
        return conv

    def list_conversations(self, access: AccessToken, include_closed: bool, limit: int) -> dict[str, Any]:
        mine = self.by_subject.get(access.subject, [])
        open_convs = [c for c in mine if not c.closed]
        closed_convs = [c for c in mine if c.closed]
        shown = mine if include_closed else open_convs
        shown = sorted(shown, key=lambda c: c.start_ms, reverse=True)[:limit]
        return {
            "openConversationsFound": len(open_convs),
            "closedConversationsFound": len(closed_convs),
            "conversations": [c.summary() for c in shown],
        }

    def list_entries(
        self,
        conv: Conversation,
        *,
        limit: int,
        direction: str,
        types: set[EntryType] | None,
        start_ms: int | None,
        end_ms: int | None,
    ) -> dict[str, Any]:
        picked = [
            e
            for e in conv.entries
            if (types is None or e.entry_type in types)
            and (start_ms is None or e.transcripted_timestamp >= start_ms)
            and (end_ms is None or e.transcripted_timestamp <= end_ms)
        ]
        if direction == "FromEnd":
            picked.reverse()
        return {"conversationEntries": [entry_to_history(e) for e in picked[:limit]]}

    def send_message(
        self,
        access: AccessToken,
        conv: Conversation,
        *,
        message_id: str,
        text: str,
        message_type: str,
        new_session: bool,
        routing_attributes: object,
        deployment: object,
        in_reply_to: str | None,
    ) -> Entry:
        self._check_deployment_name(access, deployment)
        attributes = _routing_attributes(routing_attributes)
        settings = self._settings_of(conv)
        self._refuse_if_closed(conv, settings, "send a message")
        previous = conv.message_ids.get(message_id)
        if previous is not None:
            return previous  # a retry of a message already accepted: idempotent, not echoed twice
        opt_out = text.strip().casefold() in {k.casefold() for k in settings.opt_out_keywords}
        starts_session = not conv.lifecycle.session_live and not opt_out
        if starts_session and settings.prechat_display == "Session" and not new_session:
            raise ApiError(
                417,
                "no messaging session exists for this conversation: show the pre-chat form and resend the message "
                "with isNewMessagingSession true and routingAttributes",
            )
        if starts_session and settings.prechat_display == "Session":
            _check_prechat(settings, attributes)
        if attributes:
            conv.routing_attributes = attributes
        payload = {
            "abstractMessage": {
                "messageType": message_type,
                "id": message_id,
                "inReplyToMessageId": in_reply_to,
                "references": None,
                "staticContent": {"formatType": "Text", "text": text},
            },
            "messageReason": None,
        }
        sender = Sender(Role.END_USER, conv.subject, "iamessage", access.client_id)
        if starts_session:
            self._apply(conv, SessionEvent.START)
            self._apply(conv, SessionEvent.ROUTE)
        if conv.lifecycle.session_live:
            self._apply(conv, SessionEvent.CUSTOMER_MESSAGE)
        entry = self._emit(conv, EntryType.MESSAGE, payload, sender, "Guest", identifier=message_id)
        conv.message_ids[message_id] = entry
        if opt_out and conv.lifecycle.session_live:
            self._apply(conv, SessionEvent.END, EndCause.OPT_OUT)
        elif conv.lifecycle.session is SessionStatus.WAITING:
            self._auto_accept(conv, greet=starts_session)
        self._rearm(conv, touched=True)
        return entry

    def post_entry(self, access: AccessToken, conv: Conversation, entry_type: object, entry_id: object) -> None:
        allowed = (EntryType.TYPING_STARTED_INDICATOR.value, EntryType.TYPING_STOPPED_INDICATOR.value)
        if entry_type not in allowed:
            raise ApiError(400, f"entryType must be one of {', '.join(allowed)}, got {entry_type!r}")
        if not isinstance(entry_id, str) or not entry_id:
            raise ApiError(400, "id must be a non-empty string")
        self._refuse_if_closed(conv, self._settings_of(conv), "send a typing indicator")

    def acknowledge(self, conv: Conversation, acks: object) -> int:
        if not isinstance(acks, list) or not acks:
            raise ApiError(400, "acks must be a non-empty list of {id, entryType, conversationEntryId}")
        for i, ack in enumerate(acks):
            if not isinstance(ack, dict):
                raise ApiError(400, f"acks[{i}] must be an object")
            if ack.get("entryType") not in ("Delivery", "Read"):
                raise ApiError(400, f"acks[{i}].entryType must be 'Delivery' or 'Read', got {ack.get('entryType')!r}")
            for key in ("id", "conversationEntryId"):
                if not isinstance(ack.get(key), str) or not ack.get(key):
                    raise ApiError(400, f"acks[{i}].{key} must be a non-empty string")
        self._refuse_if_closed(conv, self._settings_of(conv), "acknowledge entries")
        return len(acks)

    def close_conversation(self, access: AccessToken, conv: Conversation, deployment: object) -> None:
        self._check_deployment_name(access, deployment)
        self._apply(conv, ConversationEvent.CLOSE)

    def end_session(self, conv: Conversation, cause: EndCause) -> None:
        self._apply(conv, SessionEvent.END, cause)

    def check_deployment(self, access: AccessToken, name: object) -> None:
        self._check_deployment_name(access, name)

    # -- control side -------------------------------------------------------------------------------------------
    def conversation(self, conversation_id: str) -> Conversation:
        try:
            validate_conversation_id(conversation_id)
        except InvalidConversationId as exc:
            raise ApiError(400, str(exc)) from exc
        conv = self.conversations.get(conversation_id)
        if conv is None:
            raise ApiError(404, f"conversation {conversation_id} not found")
        return conv

    def join(self, conv: Conversation, role: Role, display_name: str | None) -> Participant:
        participant = Participant(role, display_name or _DEFAULT_NAMES[role], _PARTICIPANT_IDS[role])
        lc = conv.lifecycle
        if conv.closed or lc.session not in (SessionStatus.WAITING, SessionStatus.ACTIVE, SessionStatus.INACTIVE):
            state = lc.session.value if lc.session else "NONE"
            raise ApiError(409, f"a {role.value} cannot join: session is {state}, conversation is {lc.conversation}")
        self._apply(conv, SessionEvent.ACCEPT, prelude=lambda: self._add_participant(conv, participant))
        self._rearm(conv)
        return participant

    def say(self, conv: Conversation, role: Role, text: str, *, speaker: Participant | None = None) -> Entry:
        lc = conv.lifecycle
        if conv.closed or not lc.session_live:
            state = lc.session.value if lc.session else "NONE"
            raise ApiError(409, f"no live messaging session (session {state}, conversation {lc.conversation.value})")
        if speaker is None:  # the latest participant of that role to join speaks
            speaker = next((p for p in reversed(conv.participants) if p.role is role), None)
        if speaker is None:
            speaker = Participant(role, _DEFAULT_NAMES[role], _PARTICIPANT_IDS[role])
        entry = self._message(conv, speaker, text)
        self._rearm(conv, touched=True)
        return entry

    def inactivate(self, conv: Conversation) -> None:
        self._apply(conv, SessionEvent.INACTIVATE)

    def transfer(self, conv: Conversation) -> None:
        self._apply(conv, SessionEvent.TRANSFER)
        self._auto_accept(conv, greet=False)

    # -- internals ----------------------------------------------------------------------------------------------
    def _settings_of(self, conv: Conversation) -> DeploymentSettings:
        settings = self.deployments[conv.deployment].published
        assert settings is not None  # a conversation exists only on a published deployment
        return settings

    def _refuse_if_closed(self, conv: Conversation, settings: DeploymentSettings, what: str) -> None:
        if conv.closed:
            raise ApiError(
                settings.closed_send_status,
                f"cannot {what}: conversation {conv.conversation_id} is closed; start a new conversation",
            )

    def _start_session(self, conv: Conversation) -> None:
        self._apply(conv, SessionEvent.START)
        self._apply(conv, SessionEvent.ROUTE)
        self._auto_accept(conv, greet=True)

    def _auto_accept(self, conv: Conversation, *, greet: bool) -> None:
        settings = self._settings_of(conv)
        if settings.auto_accept is None or conv.lifecycle.session is not SessionStatus.WAITING:
            return
        participant = self.join(conv, Role(settings.auto_accept), None)
        if greet and settings.greeting:
            self._message(conv, participant, settings.greeting)

    def _add_participant(self, conv: Conversation, participant: Participant) -> None:
        conv.participants.append(participant)
        conv.transferred = False
        self._participant_changed(conv, participant, "add")

    def _participant_changed(self, conv: Conversation, participant: Participant, operation: str) -> None:
        payload = {
            "entries": [
                {
                    "operation": operation,
                    "participant": participant.sender().to_wire(),
                    "displayName": participant.display_name,
                }
            ]
        }
        self._emit(conv, EntryType.PARTICIPANT_CHANGED, payload, SYSTEM_SENDER, PARTICIPANT_CHANGE_NAME)

    def _message(self, conv: Conversation, speaker: Participant, text: str) -> Entry:
        message_id = self._uuid()
        payload = {
            "abstractMessage": {
                "messageType": "StaticContentMessage",
                "id": message_id,
                "inReplyToMessageId": None,
                "references": None,
                "staticContent": {"formatType": "Text", "text": text},
            },
            "messageReason": None,
        }
        return self._emit(
            conv, EntryType.MESSAGE, payload, speaker.sender(), speaker.display_name, identifier=message_id
        )

    def _routing_result(self, conv: Conversation, routing_type: str) -> None:
        payload: dict[str, Any] = {
            "recordId": conv.session_record_id,
            "pendingServiceRoutingId": self._record_id("0JR"),
            "routingType": routing_type,
            "failureType": "None",
            "failureReason": None,
            "errorMessages": [],
            "estimatedWaitTime": {"estimatedWaitTimeInSeconds": -1, "isEWTRequested": False},
            "isExternallyRouted": False,
            "routingConfigurationDetails": {
                "routingConfigurationType": "QueueRoutingType",
                "queueId": "00GHA0000000QUE",
            },
        }
        self._emit(conv, EntryType.ROUTING_RESULT, payload, SYSTEM_SENDER, SYSTEM_NAME)

    def _emit(
        self,
        conv: Conversation,
        entry_type: EntryType,
        payload: dict[str, Any],
        sender: Sender,
        display_name: str,
        *,
        identifier: str | None = None,
    ) -> Entry:
        entry = Entry(
            conversation_id=conv.conversation_id,
            identifier=identifier or self._uuid(),
            entry_type=entry_type,
            payload=payload,
            sender=sender,
            sender_display_name=display_name,
            transcripted_timestamp=self.now_ms,
            client_timestamp=self.now_ms,
            channel_address_identifier=self.deployments[conv.deployment].channel_address_identifier,
            channel_platform_key=conv.subject,
        )
        conv.entries.append(entry)
        event = _EVENT_NAMES.get(entry_type) or event_for_entry_type(entry_type).value
        frame = self.events.append(conv.subject, event, entry_to_sse_data(entry))
        if not conv.first_event_id:
            conv.first_event_id = frame.event_id
        return entry

    def _apply(
        self,
        conv: Conversation,
        event: SessionEvent | ConversationEvent,
        cause: EndCause | None = None,
        *,
        prelude: Callable[[], None] | None = None,
    ) -> list[Change]:
        """Run one lifecycle event; on success emit one event per change (session first, close last)."""
        settings = self._settings_of(conv)
        conv.lifecycle.policy = _policy(settings)
        try:
            changes = conv.lifecycle.handle(event, cause)
        except IllegalTransition as exc:
            raise ApiError(409, str(exc)) from exc
        if prelude is not None:
            prelude()
        closes = [c for c in changes if c.machine == "conversation"]
        for change in changes:
            if change.machine == "session":
                self._emit_session_change(conv, change)
        for change in closes:
            conv.end_ms = self.now_ms
            if not change.triggered or settings.emit_close_event_on_sbc_end:
                ids = {"conversationId": conv.conversation_id, "conversationIdentifier": conv.conversation_id}
                self._emit(conv, EntryType.CLOSE_CONVERSATION, ids, SYSTEM_SENDER, SYSTEM_NAME)
        self._rearm(conv)
        if closes:
            self.retention.closed(conv.conversation_id, conv.end_ms)
            self.sweep()
        return changes

    def _emit_session_change(self, conv: Conversation, change: Change) -> None:
        if change.event == _START:
            conv.session_record_id = self._record_id("0Mw")
            conv.session_start_ms = self.now_ms
        elif change.event == _ROUTE:
            self._routing_result(conv, "Initial")
        elif change.event == _TRANSFER:
            self._remove_participants(conv)
            conv.transferred = True
            self._routing_result(conv, "Transfer")
        elif change.event == _CUSTOMER_MESSAGE and change.before == _INACTIVE:
            self._routing_result(conv, "Initial")
        elif change.after == _ENDED:
            self._remove_participants(conv)
        if change.before == change.after:
            return
        # §11.10: the fields of the SDKs' SessionStatusChanged (sessionStatusPrev, sessionEndTime and
        # sessionEndedByRole only where they apply); sessionEndReason is the runtime's own detail.
        payload: dict[str, Any] = {
            "conversationId": conv.conversation_id,
            "channelAddressIdentifier": self.deployments[conv.deployment].channel_address_identifier,
            "sessionId": conv.session_record_id,
            "sessionStatus": change.after,
            "sessionStatusPrev": change.before,
            "sessionStartTime": conv.session_start_ms,
        }
        if change.after == _ENDED:
            payload["sessionEndTime"] = self.now_ms
        if change.after == _ENDED and change.cause is not None:
            payload["sessionEndedByRole"] = _ENDED_BY[change.cause]
            payload["sessionEndReason"] = change.cause.value
        self._emit(conv, EntryType.SESSION_STATUS_CHANGED, payload, SYSTEM_SENDER, SYSTEM_NAME)

    def _remove_participants(self, conv: Conversation) -> None:
        for participant in conv.participants:
            self._participant_changed(conv, participant, "remove")
        conv.participants.clear()

    def _rearm(self, conv: Conversation, *, touched: bool = False) -> None:
        """Keep the inactivity and auto-end timers in step with the session state."""
        session = conv.lifecycle.session
        settings = self._settings_of(conv)
        if session is SessionStatus.ACTIVE and not conv.closed:
            if conv.inactivity_timer is None or touched:
                if conv.inactivity_timer is not None:
                    conv.inactivity_timer.cancel()
                conv.inactivity_timer = self.clock.call_later(
                    settings.inactivity_timeout_s, lambda: self._inactivity_due(conv)
                )
        elif conv.inactivity_timer is not None:
            conv.inactivity_timer.cancel()
            conv.inactivity_timer = None
        if session is SessionStatus.INACTIVE and not conv.closed:
            if conv.auto_end_timer is None:
                conv.auto_end_timer = self.clock.call_later(settings.inactive_auto_end_s, lambda: self._auto_end(conv))
        elif conv.auto_end_timer is not None:
            conv.auto_end_timer.cancel()
            conv.auto_end_timer = None

    def _inactivity_due(self, conv: Conversation) -> None:
        conv.inactivity_timer = None
        if conv.lifecycle.session is SessionStatus.ACTIVE and not conv.closed:
            self._apply(conv, SessionEvent.INACTIVATE)

    def _auto_end(self, conv: Conversation) -> None:
        conv.auto_end_timer = None
        if conv.lifecycle.session is SessionStatus.INACTIVE and not conv.closed:
            self._apply(conv, SessionEvent.END, EndCause.AUTO_END)


def _policy(settings: DeploymentSettings) -> Policy:
    return Policy(session_based_chat=settings.session_based_chat, auto_end_closes=settings.auto_end_closes_conversation)


def _routing_attributes(raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ApiError(400, f"routingAttributes must be an object, got {raw!r}")
    return dict(raw)


def _check_prechat(settings: DeploymentSettings, attributes: dict[str, Any]) -> None:
    missing = [f["name"] for f in settings.prechat_fields if f.get("required") and f["name"] not in attributes]
    if missing:
        raise ApiError(400, f"routingAttributes is missing required pre-chat field(s): {', '.join(missing)}")
