"""The runtime against miaw-api.md §11 (facts from live integrations): error bodies, X-Org-Id, rate limits, payloads
and the control API playing any participant. Each test names the §11 item it checks."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from harness.run.control import ControlClient, ControlError
from harness.server import StreamingASGITransport, create_app
from harness.server.config import ServerConfig
from harness.server.errorbodies import RESPONSE_OWNED_KEYS
from harness.server.fidelity import FidelitySettings
from harness.wire import new_uuid
from server.server_helpers import V2, SseReader, Target, make_config, new_user, read_until

pytestmark = pytest.mark.anyio


def with_fidelity(config: ServerConfig, **changes: object) -> ServerConfig:
    return dataclasses.replace(config, fidelity=FidelitySettings().updated(changes))


async def in_process(config: ServerConfig, *, control: bool = True) -> AsyncIterator[Target]:
    app = create_app(config, control=control)
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://miaw.test") as http:
        yield Target("asgi", http, ControlClient(http), config.org_id)


# -- §11.3 error bodies --------------------------------------------------------------------------------------------
async def test_rest_error_bodies_carry_message_and_no_response_owned_key(target: Target) -> None:
    """§11.3: `message`, and none of status/ok/headers/url/type/body/statusText/redirected (Object.assign onto a
    fetch Response throws on those)."""
    user = await new_user(target)
    cid = await user.create()
    await target.control.end_session(cid, "Agent")
    answers = [
        await target.http.post(f"{V2}/conversation", json={"conversationId": "NOT-A-UUID"}, headers=user.headers),
        await target.http.get(f"{V2}/conversation/list", headers={"Authorization": "Bearer nope"}),
        await target.http.get(f"{V2}/conversation/{new_uuid()}/entries", headers=user.headers),
        await target.http.put(f"{V2}/conversation", headers=user.headers),
        await target.http.get("/no/such/path"),
        await target.http.post(f"{V2}/conversation/{cid}/message", content=b"{", headers=user.headers),
    ]
    for r in answers:
        body = r.json()
        assert 400 <= r.status_code < 500 and isinstance(body["message"], str), r.text
        assert not RESPONSE_OWNED_KEYS & set(body), body


async def test_event_router_401_is_spring_shaped(target: Target) -> None:
    """§11.3: the SSE endpoint's 401 is `{"status":401,"error":"Unauthorized","path":"/eventrouter/v1/sse"}`, and an
    expired token reads "Jwt is expired"."""
    r = await target.http.get("/eventrouter/v1/sse", headers={"X-Org-Id": target.org_id[:15]})
    body = r.json()
    assert r.status_code == 401
    assert (body["status"], body["error"], body["path"]) == (401, "Unauthorized", "/eventrouter/v1/sse")
    user = await new_user(target)
    await target.control.advance_clock(3601)
    r = await target.http.get("/eventrouter/v1/sse", headers=user.sse_headers())
    assert r.status_code == 401 and r.json()["message"] == "Jwt is expired"


# -- §11.4 X-Org-Id ------------------------------------------------------------------------------------------------
async def test_event_router_compares_x_org_id_with_the_tokens_15_character_id(target: Target) -> None:
    """§11.4: the 18-character header gets 400 "OrgId in the header and token must match, but got '<18>' in the
    header and '<15>' in the token"; a missing header gets 400 "OrgId is required"."""
    user = await new_user(target)
    headers = user.sse_headers()
    r = await target.http.get("/eventrouter/v1/sse", headers={**headers, "X-Org-Id": target.org_id})
    assert r.status_code == 400
    assert r.json()["message"] == (
        f"OrgId in the header and token must match, but got '{target.org_id}' in the header and "
        f"'{target.org_id[:15]}' in the token"
    )
    del headers["X-Org-Id"]
    r = await target.http.get("/eventrouter/v1/sse", headers=headers)
    assert (r.status_code, r.json()["message"]) == (400, "OrgId is required")


async def test_first_15_rule_accepts_the_18_character_header() -> None:
    """§11.4 / §2: the lenient rule (setting x_org_id_rule = "first-15") compares the first 15 characters."""
    async for target in in_process(with_fidelity(make_config(), x_org_id_rule="first-15")):
        user = await new_user(target)
        async with target.http.stream(
            "GET", "/eventrouter/v1/sse", headers={**user.sse_headers(), "X-Org-Id": target.org_id}
        ) as r:
            assert r.status_code == 200


async def test_live_only_streams_without_last_event_id_as_a_setting() -> None:
    """§11.6 vs §4.3: with sse_replay_without_last_event_id = false a stream without Last-Event-Id starts live."""
    async for target in in_process(with_fidelity(make_config(), sse_replay_without_last_event_id=False)):
        user = await new_user(target)
        await user.create()
        async with SseReader(user, last_event_id=None) as reader:
            assert reader.events == []
            cid = await user.create()
            events = await read_until(reader, user)
        assert events and {e.json["conversationId"] for e in events} == {cid}


# -- §11.9 rate limits ---------------------------------------------------------------------------------------------
async def test_rate_limits_are_off_in_conformance_runs(target: Target) -> None:
    """§11.9: by default (control API on) no limit applies: 30 messages in a minute all pass."""
    user = await new_user(target)
    cid = await user.create()
    for i in range(30):
        assert (await user.send(cid, f"m{i}")).status_code == 202


async def test_rate_limits_answer_429_with_retry_after_and_slide_with_the_clock() -> None:
    """§11.9: 22 inbound messages a minute per conversation, 3 conversation starts per 30 s; 429 + Retry-After."""
    async for target in in_process(with_fidelity(make_config(), rate_limits=True)):
        user = await new_user(target)
        cids = [await user.create() for _ in range(3)]
        r = await target.http.post(
            f"{V2}/conversation",
            json={"conversationId": new_uuid(), "esDeveloperName": target.deployment},
            headers=user.headers,
        )
        assert (
            r.status_code == 429 and r.headers["retry-after"] == "30" and "conversation starts" in r.json()["message"]
        )
        for i in range(22):
            assert (await user.send(cids[0], f"m{i}")).status_code == 202
        r = await user.send(cids[0], "one too many")
        assert r.status_code == 429 and int(r.headers["retry-after"]) == 60
        assert (await user.send(cids[1], "another conversation")).status_code == 202
        await target.control.advance_clock(60)
        assert (await user.send(cids[0], "a minute later")).status_code == 202


async def test_rate_limits_are_on_in_the_sandbox_like_mode() -> None:
    """§11.9: the sandbox-like mode (no control API) has the limits on (here 2 tokens a minute per org); with no
    control API to advance a frozen clock, its windows slide on the wall clock."""
    async for target in in_process(with_fidelity(make_config(), rate_tokens_per_min=2), control=False):
        body = {"orgId": target.org_id, "esDeveloperName": target.deployment}
        statuses = [
            (await target.http.post(f"{V2}/authorization/unauthenticated/access-token", json=body)).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]


# -- §11.1 send to a closed conversation, §11.2 the close event under Session-Based Chat -----------------------------
async def test_send_typing_and_acks_to_a_closed_conversation_get_403_by_default(target: Target) -> None:
    """§11.1: the leading inference for a send to a closed conversation is 403 (a live integration treats 403 as
    "session no longer valid"); typing and acknowledgements on it get the same answer, over v2 and v1."""
    await target.control.configure(target.deployment, {"session_based_chat": True})
    user = await new_user(target)
    cid = await user.create()
    await target.control.end_session(cid, "Agent")
    answers = [
        await user.send(cid, "anyone there?"),
        await target.http.post(
            f"{V2}/conversation/{cid}/entry",
            json={"entryType": "TypingStartedIndicator", "id": new_uuid()},
            headers=user.headers,
        ),
        await target.http.post(
            f"{V2}/conversation/{cid}/acknowledge-entries",
            json={"acks": [{"id": new_uuid(), "entryType": "Read", "conversationEntryId": new_uuid()}]},
            headers=user.headers,
        ),
    ]
    for r in answers:
        assert r.status_code == 403 and "is closed" in r.json()["message"], r.text
    await target.control.configure("MIAW_InApp", {"deployment_type": "InApp", "session_based_chat": True})
    token = await target.http.post(
        "/iamessage/v1/authorization/unauthenticated/accessToken",
        json={"orgId": target.org_id, "developerName": "MIAW_InApp", "capabilitiesVersion": "260"},
    )
    headers = {"Authorization": f"Bearer {token.json()['accessToken']}"}
    v1_cid = new_uuid()
    assert (
        await target.http.post("/iamessage/v1/conversation", json={"conversationId": v1_cid}, headers=headers)
    ).status_code == 201
    await target.control.end_session(v1_cid, "Agent")
    message = {
        "id": new_uuid(),
        "messageType": "StaticContentMessage",
        "staticContent": {"formatType": "Text", "text": "hi"},
    }
    r = await target.http.post(f"/iamessage/v1/conversation/{v1_cid}/message", json=message, headers=headers)
    assert r.status_code == 403 and "is closed" in r.json()["message"]


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_the_closed_send_status_is_a_setting_the_matrix_varies(target: Target, status: int) -> None:
    """§11.1 keeps the status a setting: the conformance matrix runs 400 and 401 next to the default 403 wherever
    an SDK profile reacts to them differently (harness/run/variants.py)."""
    await target.control.configure(target.deployment, {"session_based_chat": True, "closed_send_status": status})
    user = await new_user(target)
    cid = await user.create()
    await target.control.end_session(cid, "Chatbot")
    r = await user.send(cid)
    assert r.status_code == status and "is closed" in r.json()["message"]


async def test_session_based_chat_close_sends_no_close_event_by_default(target: Target) -> None:
    """§11.2: an agent-side end does not reliably send CONVERSATION_CLOSE_CONVERSATION; the reliable signals are the
    ParticipantChanged remove and SessionStatusChanged(Ended). An end user's own close still sends it (SSE-STRUCT)."""
    await target.control.configure(target.deployment, {"session_based_chat": True})
    user = await new_user(target)
    async with SseReader(user) as reader:
        cid = await user.create()
        await target.control.end_session(cid, "Agent")
        rep_end = [e.name for e in await read_until(reader, user)]
        seen = len(reader.events)
        other = await user.create()
        r = await target.http.delete(f"{V2}/conversation/{other}", headers=user.headers)
        assert r.status_code == 200
        user_close = [e.name for e in (await read_until(reader, user))[seen:]]
    assert "CONVERSATION_CLOSE_CONVERSATION" not in rep_end
    assert "CONVERSATION_PARTICIPANT_CHANGED" in rep_end and rep_end[-1] == "CONVERSATION_SESSION_STATUS_CHANGED"
    assert (await target.snapshot(cid) or {}).get("state") == "CLOSED"
    assert user_close[-1] == "CONVERSATION_CLOSE_CONVERSATION"


# -- §11.5 strictness (v2 side), §11.6 preconditions -----------------------------------------------------------------
async def test_v2_accepts_language_on_create_and_context_on_the_token_request(target: Target) -> None:
    """§11.5: live v2 clients send `language` on create and `context: {appName, clientVersion}` on the token request,
    and the runtime accepts both (v1's strict allow-lists are in test_v1.py)."""
    body = {
        "orgId": target.org_id,
        "esDeveloperName": target.deployment,
        "capabilitiesVersion": "1",
        "platform": "Web",
        "context": {"appName": "my-app", "clientVersion": "1.2.3"},
    }
    r = await target.http.post(f"{V2}/authorization/unauthenticated/access-token", json=body)
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['accessToken']}"}
    create = {"conversationId": new_uuid(), "esDeveloperName": target.deployment, "language": "en"}
    r = await target.http.post(f"{V2}/conversation", json=create, headers=headers)
    assert r.status_code in (200, 201), r.text


async def test_create_needs_no_open_stream_and_a_later_stream_replays_the_conversation(target: Target) -> None:
    """§11.6: creating a conversation before any SSE stream is open works (the official sample does it), and a new
    stream without Last-Event-Id replays the subject's conversation events."""
    user = await new_user(target)
    cid = await user.create()
    assert await target.control.stream_count(user.subject) == 0
    async with SseReader(user, last_event_id=None) as reader:
        events = await read_until(reader, user)
    assert {e.json["conversationId"] for e in events} == {cid}
    assert "CONVERSATION_ROUTING_RESULT" in [e.name for e in events]


# -- §11.10 payloads, §11.2 routing status -------------------------------------------------------------------------
async def test_session_status_changed_carries_every_listed_field(target: Target) -> None:
    """§11.10: entryType, id, conversationId, channelAddressIdentifier, sessionId, sessionStatus, sessionStatusPrev,
    sessionStartTime, sessionEndTime (once ended), sessionEndedByRole (once ended)."""
    user = await new_user(target)
    async with SseReader(user) as reader:
        cid = await user.create()
        await target.control.advance_clock(5)
        await target.control.end_session(cid, "Agent")
        events = await read_until(reader, user)
    changes = [e.payload for e in events if e.name == "CONVERSATION_SESSION_STATUS_CHANGED"]
    ended = changes[-1]
    for key in ("entryType", "id", "conversationId", "channelAddressIdentifier", "sessionId", "sessionStartTime"):
        assert key in ended, key
    assert ended["conversationId"] == cid and ended["sessionId"].startswith("0Mw")
    assert (ended["sessionStatus"], ended["sessionEndedByRole"]) == ("Ended", "Agent")
    assert ended["sessionEndTime"] - ended["sessionStartTime"] == 5000
    assert "sessionEndTime" not in changes[0]


async def test_routing_status_needs_routing_after_an_agent_end(target: Target) -> None:
    """§11.2: `GET /conversation/{id}` reads NEEDS_ROUTING after the agent ended the session."""
    user = await new_user(target)
    cid = await user.create()
    await target.control.end_session(cid, "Agent")
    r = await target.http.get(f"{V2}/conversation/{cid}", headers=user.headers)
    assert r.json()["routingStatus"] == "NEEDS_ROUTING"


async def test_routing_status_reads_transfer_while_a_transfer_waits(target: Target) -> None:
    """§11.2: `routingStatus` is TRANSFER on a transfer (nobody accepts it here), ROUTED once a rep has it."""
    user = await new_user(target)
    cid = await user.create()
    assert (await target.http.get(f"{V2}/conversation/{cid}", headers=user.headers)).json()["routingStatus"] == "ROUTED"
    await target.control.configure(target.deployment, {"auto_accept": None})
    await target.control.transfer(cid)
    r = await target.http.get(f"{V2}/conversation/{cid}", headers=user.headers)
    assert r.json()["routingStatus"] == "TRANSFER"


async def test_close_event_carries_both_id_spellings(target: Target) -> None:
    """§11.10: CloseConversation carries conversationId (Android) and conversationIdentifier (iOS)."""
    user = await new_user(target)
    async with SseReader(user) as reader:
        cid = await user.create()
        r = await target.http.delete(
            f"{V2}/conversation/{cid}?esDeveloperName={target.deployment}", headers=user.headers
        )
        assert r.status_code == 200
        events = await read_until(reader, user)
    close = next(e.payload for e in events if e.name == "CONVERSATION_CLOSE_CONVERSATION")
    assert close["conversationId"] == close["conversationIdentifier"] == cid


async def test_participant_changes_are_sent_by_automated_process(target: Target) -> None:
    """§11.10: the sender of participant changes is "Automated Process"."""
    user = await new_user(target)
    async with SseReader(user) as reader:
        await user.create()
        events = await read_until(reader, user)
    changes = [e for e in events if e.name == "CONVERSATION_PARTICIPANT_CHANGED"]
    assert changes and {e.json["conversationEntry"]["senderDisplayName"] for e in changes} == {"Automated Process"}


async def test_ping_data_is_an_incrementing_counter(target: Target) -> None:
    """§11.10: `ping` data counts up on a stream."""
    await target.control.configure(target.deployment, {"sse_ping_interval_s": 1})
    user = await new_user(target)
    seen: list[str] = []
    async with target.http.stream("GET", "/eventrouter/v1/sse", headers=user.sse_headers()) as r:
        lines = r.aiter_lines()
        while len(seen) < 3:
            line = await anext(lines)
            if line.startswith("data: "):
                seen.append(line[6:])
    assert seen == ["0", "1", "2"]


# -- control plays any participant ---------------------------------------------------------------------------------
async def test_control_plays_a_chosen_rep_who_speaks_types_acks_and_leaves(target: Target) -> None:
    """A second rep joins and speaks (not the auto-accepted one); rep typing and delivery/read acks reach the end
    user's stream; leaving is a ParticipantChanged remove."""
    user = await new_user(target)
    async with SseReader(user) as reader:
        cid = await user.create()
        sent = await user.send(cid, "hello")
        message_id = sent.json()["conversationEntries"][0]["id"]
        await target.control.add_participant(cid, "Agent", "Dana Rep")
        r = await target.http.post(f"/control/conversations/{cid}/messages", json={"role": "Agent", "text": "hi"})
        assert r.status_code == 200
        base = f"/control/conversations/{cid}/participants/Dana Rep"
        assert (await target.http.post(f"{base}/typing", json={"started": True})).status_code == 200
        assert (await target.http.post(f"{base}/messages", json={"text": "it is Dana"})).status_code == 200
        for kind in ("Delivery", "Read"):
            r = await target.http.post(f"{base}/acks", json={"entryType": kind, "conversationEntryId": message_id})
            assert r.status_code == 200, r.text
        r = await target.http.post(
            f"/control/conversations/{cid}/messages",
            json={"role": "Agent", "text": "from Harness", "displayName": "Harness Agent"},
        )
        assert r.status_code == 200
        assert (await target.http.post(f"{base}/leave", json={})).status_code == 200
        events = await read_until(reader, user)
    by_name = [(e.name, e.json["conversationEntry"]["senderDisplayName"]) for e in events]
    messages = [(n, who) for n, who in by_name if n == "CONVERSATION_MESSAGE"]
    assert messages[-3:] == [
        ("CONVERSATION_MESSAGE", "Dana Rep"),
        ("CONVERSATION_MESSAGE", "Dana Rep"),
        ("CONVERSATION_MESSAGE", "Harness Agent"),
    ]
    assert ("CONVERSATION_TYPING_STARTED_INDICATOR", "Dana Rep") in by_name
    acks = [e for e in events if e.name.endswith("_ACKNOWLEDGEMENT")]
    assert [a.name for a in acks] == ["CONVERSATION_DELIVERY_ACKNOWLEDGEMENT", "CONVERSATION_READ_ACKNOWLEDGEMENT"]
    assert all(a.json["conversationEntry"]["relatedRecords"] == [message_id] for a in acks)
    removed = events[-1].payload["entries"][0]
    assert (events[-1].name, removed["operation"], removed["displayName"]) == (
        "CONVERSATION_PARTICIPANT_CHANGED",
        "remove",
        "Dana Rep",
    )
    snapshot = await target.snapshot(cid)
    assert snapshot is not None and [p["displayName"] for p in snapshot["participants"]] == ["Harness Agent"]


async def test_end_user_typing_and_acks_are_visible_to_the_control_api(target: Target) -> None:
    """The end user's typing indicators and acknowledgements are stored and read back through the control API."""
    user = await new_user(target)
    cid = await user.create()
    for kind in ("TypingStartedIndicator", "TypingStoppedIndicator"):
        r = await target.http.post(
            f"{V2}/conversation/{cid}/entry", json={"entryType": kind, "id": new_uuid()}, headers=user.headers
        )
        assert r.status_code == 202
    ack = {"id": new_uuid(), "entryType": "Read", "conversationEntryId": new_uuid()}
    r = await target.http.post(
        f"{V2}/conversation/{cid}/acknowledge-entries", json={"acks": [ack]}, headers=user.headers
    )
    assert r.status_code == 202
    signals = (await target.http.get(f"/control/conversations/{cid}/signals")).json()
    assert signals["endUserTyping"] is False
    assert [t["entryType"] for t in signals["typing"]] == ["TypingStartedIndicator", "TypingStoppedIndicator"]
    assert signals["acks"][0]["conversationEntryId"] == ack["conversationEntryId"]


async def test_the_control_client_plays_any_named_participant_and_reads_the_end_users_signals(target: Target) -> None:
    """ControlClient over the real server: a named rep joins, types, speaks, acknowledges and leaves; a named bot
    speaks too; the end user's typing and acknowledgements come back from `signals`."""
    user = await new_user(target)
    control = target.control
    async with SseReader(user) as reader:
        cid = await user.create()
        sent = await user.send(cid, "hello")
        message_id = sent.json()["conversationEntries"][0]["id"]
        joined = await control.join(cid, "Dana Rep")
        assert joined["participant"]["displayName"] == "Dana Rep"
        await control.join(cid, "Helper Bot", role="Chatbot")
        typing = await control.typing(cid, "Dana Rep")
        assert typing["entryType"] == "TypingStartedIndicator"
        assert (await control.typing(cid, "Dana Rep", started=False))["entryType"] == "TypingStoppedIndicator"
        spoken = await control.speak(cid, "Dana Rep", "it is Dana")
        await control.speak(cid, "Helper Bot", "and a bot")
        for kind in ("Delivery", "Read"):
            ack = await control.acknowledge(cid, "Dana Rep", message_id, kind)
            assert ack["entryType"] == f"{kind}Acknowledgement"
        after = await control.leave(cid, "Dana Rep")
        events = await read_until(reader, user)
    assert "Dana Rep" not in [p["displayName"] for p in after["participants"]]
    said = [
        (e.json["conversationEntry"]["senderDisplayName"], e.payload["abstractMessage"]["staticContent"]["text"])
        for e in events
        if e.name == "CONVERSATION_MESSAGE" and e.json["conversationEntry"]["sender"]["role"] != "EndUser"
    ]
    assert said[-2:] == [("Dana Rep", "it is Dana"), ("Helper Bot", "and a bot")]
    assert spoken["id"] in [e.json["conversationEntry"]["identifier"] for e in events]
    names = [e.name for e in events]
    assert "CONVERSATION_TYPING_STOPPED_INDICATOR" in names and "CONVERSATION_READ_ACKNOWLEDGEMENT" in names
    await target.http.post(
        f"{V2}/conversation/{cid}/entry",
        json={"entryType": "TypingStartedIndicator", "id": new_uuid()},
        headers=user.headers,
    )
    signals = await control.signals(cid)
    assert (signals["conversationId"], signals["endUserTyping"]) == (cid, True)
    with pytest.raises(ControlError) as refused:
        await control.speak(cid, "Dana Rep", "back?")
    assert refused.value.status == 404 and "Helper Bot" in refused.value.message


async def test_unknown_participant_is_a_404_naming_who_is_present(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    r = await target.http.post(f"/control/conversations/{cid}/participants/Nobody/messages", json={"text": "x"})
    assert r.status_code == 404 and "Harness Agent" in r.json()["message"]
