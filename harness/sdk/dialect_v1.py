"""The v1 wire of the Salesforce SDKs (miaw-api.md §3 v1 rows, §11.5, §11.8): the same calls as `CoreClient`.

The iOS and Android SDKs call `/iamessage/v1/...` on an In-App deployment, not the public v2 API: the token
request names the deployment `developerName` with a `capabilitiesVersion` from the SDKs' list (and the device id),
a create answers 201 with the participants, a message goes out flat (no wrapper, no `esDeveloperName`) and is
answered 200 `{}`, history and the conversation list are POST queries, and acknowledgements have their own paths.
v1 bodies are strict (§11.5), so every body here carries only the keys the v1 rows list. Which client an SDK
uses is profile data (`rest_api`), read by the SDK core.
"""

from __future__ import annotations

from typing import Any

from harness.sdk.core import ApiError, ConversationSummary, CoreClient, entries_of, summaries_of
from harness.timeline import Kind
from harness.wire import Entry, new_uuid
from harness.wire.messages import text_message

V1 = "/iamessage/v1"
# §11.8 lists what the runtime accepts (238 ... 260); which SDK release sends which one is not known.
CAPABILITIES_VERSION = "248"


class V1CoreClient(CoreClient):
    """`CoreClient` over the v1 endpoints: same public methods, same timeline, same renewal on 401."""

    API_VERSION = "v1"
    CONTINUATION_PATH = f"{V1}/authorization/continuityAccessToken"

    _device_id: str | None = None

    @property
    def device_id(self) -> str:
        """The SDK's device id, sent with every token request (one per app install)."""
        if self._device_id is None:
            self._device_id = new_uuid(self.rng)
        return self._device_id

    # -- tokens -------------------------------------------------------------------------------------------------
    async def new_token(self) -> None:
        """The mobile SDKs' unauthenticated token (`persistedToken`, SDK-AUTH): a new anonymous identity."""
        body = {
            "orgId": self.org_id,
            "developerName": self.deployment,
            "deviceId": self.device_id,
            "capabilitiesVersion": CAPABILITIES_VERSION,
        }
        params = {"AppName": "MIAW Harness", "DeviceType": "Phone", "ClientVersion": CAPABILITIES_VERSION}
        response = await self.request(
            "POST", f"{V1}/authorization/unauthenticated/persistedToken", body=body, params=params, auth=False
        )
        data = response.json()
        self._take_token(data)
        self.credentials.initial_event_id = str(data.get("lastEventId") or "0")

    # -- conversations ------------------------------------------------------------------------------------------
    async def create_conversation(self, conversation_id: str) -> None:
        values = await self.prechat_values()
        if values:
            self.timeline.add(Kind.UI, "app", "pre-chat form shown and submitted", {"fields": sorted(values)})
        body: dict[str, Any] = {"conversationId": conversation_id}  # no esDeveloperName on v1 (§11.5)
        if values:
            body["routingAttributes"] = values
        await self.request("POST", f"{V1}/conversation", body=body)

    async def list_conversations(self, *, include_closed: bool) -> list[ConversationSummary]:
        body = {"includeClosedConversations": include_closed, "limit": 50}
        data = (await self.request("POST", f"{V1}/queries/conversation/list", body=body)).json()
        return summaries_of(data)

    async def entries(self, conversation_id: str) -> list[Entry]:
        body = {"limit": 50, "direction": "FromStart"}
        path = f"{V1}/queries/conversation/{conversation_id}/entries"
        data = (await self.request("POST", path, body=body)).json()
        return entries_of(conversation_id, data)

    async def send_message(self, conversation_id: str, message_id: str, text: str) -> None:
        """Send a text; on 417 (no session, per-session pre-chat) submit pre-chat and resend as a new session."""
        body = text_message(message_id, text)  # v1: the message object itself is the body (§3.8)
        path = f"{V1}/conversation/{conversation_id}/message"
        try:
            await self.request("POST", path, body=body)
        except ApiError as exc:
            if exc.status != 417:
                raise
            values = await self.prechat_values()
            self.timeline.add(
                Kind.UI, "app", "pre-chat form shown for a new session and submitted", {"fields": sorted(values)}
            )
            body.update({"isNewMessagingSession": True, "routingAttributes": values})  # v1 has no `language`
            await self.request("POST", path, body=body)

    async def typing(self, conversation_id: str, started: bool) -> None:
        entry_type = "TypingStartedIndicator" if started else "TypingStoppedIndicator"
        body = {"entryType": entry_type, "id": new_uuid(self.rng)}
        await self.request("POST", f"{V1}/conversation/{conversation_id}/entry", body=body)

    async def acknowledge(self, conversation_id: str, entry_id: str, *, read: bool) -> None:
        """Delivery acks go as a list, a read ack alone, each on its own path (§3.10 v1)."""
        ack = {"id": new_uuid(self.rng), "conversationEntryId": entry_id}
        if read:
            await self.request("POST", f"{V1}/conversation/{conversation_id}/readAcknowledgeEntry", body=ack)
        else:
            path = f"{V1}/conversation/{conversation_id}/deliveryAcknowledgeEntries"
            await self.request("POST", path, body={"acks": [ack]})

    async def end_session(self, conversation_id: str) -> None:
        params = {"esDeveloperName": self.deployment}  # SDK-REST: DELETE .../session?esDeveloperName=
        await self.request("DELETE", f"{V1}/conversation/{conversation_id}/session", params=params)

    async def close_conversation(self, conversation_id: str) -> None:
        params = {"esDeveloperName": self.deployment}
        await self.request("DELETE", f"{V1}/conversation/{conversation_id}", params=params)


def core_client_class(rest_api: object) -> type[CoreClient]:
    """The REST client of a profile's `rest_api` value: v1 (the Salesforce SDKs) or v2 (a custom client)."""
    if rest_api == "v1":
        return V1CoreClient
    if rest_api == "v2":
        return CoreClient
    raise ValueError(f"rest_api must be v1 or v2, got {rest_api!r}")
