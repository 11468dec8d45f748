"""The v2 REST endpoints, the SSE stream and the lifecycle coupling, over both transports."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from harness.wire import new_uuid
from server.server_helpers import IDENTITY_KEY, V2, SseReader, Target, new_user, read_until

pytestmark = pytest.mark.anyio


# -- tokens ---------------------------------------------------------------------------------------------------------
async def test_unauthenticated_token_is_a_signed_jwt_for_a_fresh_subject(target: Target) -> None:
    r = await target.http.post(
        f"{V2}/authorization/unauthenticated/access-token",
        json={"orgId": target.org_id, "esDeveloperName": "MIAW_Harness", "capabilitiesVersion": "1", "platform": "Web"},
    )
    assert r.status_code == 200
    data = r.json()
    claims = jwt.decode(data["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == data["context"]["endUser"]["subject"]
    assert claims["sub"].startswith("v2/iamessage/UNAUTH/NA/uid:")
    # miaw-api.md §11.4: the JWT carries the 15-character org id
    assert claims["orgId"] == target.org_id[:15] and claims["esDeveloperName"] == "MIAW_Harness"
    assert claims["exp"] - claims["iat"] == 3600
    assert data["lastEventId"] == "0"
    config = data["context"]["configuration"]["embeddedServiceConfig"]
    assert config["name"] == "MIAW_Harness" and config["embeddedServiceMessagingChannel"]["authMode"] == "UnAuth"


BAD_TOKEN_BODIES: list[tuple[Any, str]] = [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b"", "empty"),
    ({"orgId": "00Dshort", "esDeveloperName": "MIAW_Harness"}, "not a valid org id"),
    ({"orgId": "00DXX0000001HRNAAA", "esDeveloperName": "MIAW_Harness"}, "is not this org"),
    ({"orgId": None, "esDeveloperName": "MIAW_Harness"}, "not a valid org id"),
    ({"esDeveloperName": "MIAW_Harness"}, "not a valid org id"),
    ({"orgId": "ORG", "esDeveloperName": "Nope"}, "is not a deployment"),
    ({"orgId": "ORG", "esDeveloperName": 12}, "non-empty string"),
    ({"orgId": "ORG", "esDeveloperName": "MIAW_Harness", "capabilitiesVersion": 1}, "capabilitiesVersion"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_TOKEN_BODIES)
async def test_bad_token_requests_get_400_naming_the_problem(target: Target, body: Any, expected: str) -> None:
    if isinstance(body, dict) and body.get("orgId") == "ORG":
        body = {**body, "orgId": target.org_id}
    url = f"{V2}/authorization/unauthenticated/access-token"
    if isinstance(body, bytes):
        r = await target.http.post(url, content=body, headers={"Content-Type": "application/json"})
    else:
        r = await target.http.post(url, json=body)
    assert r.status_code == 400
    assert expected in r.json()["message"]


async def test_unpublished_deployment_refuses_tokens_until_published(target: Target) -> None:
    await target.control.put_deployment("Fresh", {"channel_type": "EmbeddedWeb"})
    body = {"orgId": target.org_id, "esDeveloperName": "Fresh"}
    r = await target.http.post(f"{V2}/authorization/unauthenticated/access-token", json=body)
    assert r.status_code == 400 and "has not been published" in r.json()["message"]
    await target.control.publish("Fresh")
    r = await target.http.post(f"{V2}/authorization/unauthenticated/access-token", json=body)
    assert r.status_code == 200


def _identity(sub: str, key: str = IDENTITY_KEY) -> str:
    return jwt.encode({"sub": sub}, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("deployment", "identity", "status", "expected"),
    [
        ("MIAW_Verified", _identity("customer-42"), 200, ""),
        ("MIAW_Verified", _identity("customer-42", "wrong-key-wrong-key-wrong-key-0000"), 401, "identity token"),
        ("MIAW_Verified", "not-a-jwt", 401, "identity token"),
        ("MIAW_Verified", None, 400, "customerIdentityToken"),
        ("MIAW_Harness", _identity("customer-42"), 400, "user verification"),
    ],
)
async def test_authenticated_token_checks_the_customer_identity(
    target: Target, deployment: str, identity: str | None, status: int, expected: str
) -> None:
    body = {
        "orgId": target.org_id,
        "esDeveloperName": deployment,
        "authorizationType": "JWT",
        "customerIdentityToken": identity,
    }
    r = await target.http.post(f"{V2}/authorization/authenticated/access-token", json=body)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json()["context"]["endUser"]["subject"] == "v2/iamessage/AUTH/harness/uid:customer-42"
    else:
        assert expected in r.json()["message"]


async def test_continuation_token_keeps_the_subject(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    r = await target.http.get(f"{V2}/authorization/continuation-access-token", headers=user.headers)
    assert r.status_code == 200
    token = r.json()["accessToken"]
    assert token != user.token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == user.subject
    r = await target.http.get(f"{V2}/conversation/{cid}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


# -- security -------------------------------------------------------------------------------------------------------
async def test_a_token_sees_only_its_own_conversations(target: Target) -> None:
    alice, bob = await new_user(target), await new_user(target)
    cid = await alice.create()
    before = await target.snapshot(cid)
    for method, path in [
        ("GET", f"{V2}/conversation/{cid}"),
        ("GET", f"{V2}/conversation/{cid}/entries"),
        ("DELETE", f"{V2}/conversation/{cid}"),
        ("DELETE", f"{V2}/conversation/{cid}/session"),
    ]:
        r = await target.http.request(method, path, headers=bob.headers)
        assert r.status_code == 403 and "another end user" in r.json()["message"]
    assert (await bob.send(cid)).status_code == 403
    r = await target.http.get(f"{V2}/conversation/list", headers=bob.headers)
    assert r.json()["conversations"] == []
    assert await target.snapshot(cid) == before


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, "missing Authorization"),
        ("Basic abc", "Bearer"),
        ("Bearer not.a.jwt", "invalid access token"),
        (
            "Bearer " + jwt.encode({"sub": "x", "orgId": "00DHA0000001HRNAAA"}, "forged-key-forged-key-forged-key!!"),
            "invalid",
        ),
    ],
)
async def test_missing_or_forged_tokens_get_401(target: Target, authorization: str | None, expected: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = await target.http.get(f"{V2}/conversation/list", headers=headers)
    assert r.status_code == 401 and expected in r.json()["message"]


async def test_token_expires_on_the_virtual_clock_and_by_fault(target: Target) -> None:
    user = await new_user(target)
    assert (await target.http.get(f"{V2}/conversation/list", headers=user.headers)).status_code == 200
    await target.control.advance_clock(3600)
    r = await target.http.get(f"{V2}/conversation/list", headers=user.headers)
    assert r.status_code == 401 and "expired" in r.json()["message"]
    fresh = await new_user(target)
    await target.control.expire_tokens(fresh.subject)
    assert (await target.http.get(f"{V2}/conversation/list", headers=fresh.headers)).status_code == 401
    assert (
        await target.http.get(f"{V2}/conversation/list", headers=(await new_user(target)).headers)
    ).status_code == 200


# -- conversations --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cid", "expected"),
    [
        ("6CD22B8D-E14B-47C2-BFFB-1D7D7015C189", "lowercase"),
        ("6cd22b8d-e14b-17c2-bffb-1d7d7015c189", "UUID format"),
        ("6cd22b8d-e14b-47c2-7ffb-1d7d7015c189", "UUID format"),
        ("not-a-uuid", "UUID format"),
        (42, "UUID format"),
    ],
)
async def test_conversation_ids_must_be_lowercase_uuid4(target: Target, cid: Any, expected: str) -> None:
    user = await new_user(target)
    r = await target.http.post(
        f"{V2}/conversation", json={"conversationId": cid, "esDeveloperName": "MIAW_Harness"}, headers=user.headers
    )
    assert r.status_code == 400 and expected in r.json()["message"]
    assert await target.control.subject_conversations(user.subject) == []


async def test_create_routes_at_once_and_duplicates_are_refused(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    state = await target.snapshot(cid)
    assert state is not None
    assert (state["state"], state["session"], state["sessionsStarted"]) == ("OPEN", "Active", 1)
    assert [p["role"] for p in state["participants"]] == ["Agent"]
    r = await target.http.get(f"{V2}/conversation/{cid}", headers=user.headers)
    assert r.json() == {"conversationId": cid, "routingStatus": "ROUTED"}
    r = await target.http.post(
        f"{V2}/conversation", json={"conversationId": cid, "esDeveloperName": "MIAW_Harness"}, headers=user.headers
    )
    assert r.status_code == 409 and "already exists" in r.json()["message"]
    r = await target.http.post(
        f"{V2}/conversation", json={"conversationId": new_uuid(), "esDeveloperName": "Other"}, headers=user.headers
    )
    assert r.status_code == 400 and "does not match" in r.json()["message"]
    assert await target.snapshot(cid) == state


async def test_list_conversations_shows_end_timestamp_zero_while_open(target: Target) -> None:
    user = await new_user(target)
    first = await user.create()
    await target.control.advance_clock(1)
    second = await user.create()
    r = await target.http.get(f"{V2}/conversation/list", headers=user.headers)
    data = r.json()
    assert data["openConversationsFound"] == 2
    assert [c["conversationId"] for c in data["conversations"]] == [second, first]
    assert all(c["endTimestamp"] == 0 for c in data["conversations"])
    r = await target.http.delete(f"{V2}/conversation/{first}?esDeveloperName=MIAW_Harness", headers=user.headers)
    assert r.status_code == 200 and r.json()["conversationStatus"] == "CLOSED"
    data = (await target.http.get(f"{V2}/conversation/list", headers=user.headers)).json()
    assert [c["conversationId"] for c in data["conversations"]] == [second]
    assert data["closedConversationsFound"] == 1
    data = (await target.http.get(f"{V2}/conversation/list?inclClosedConvs=true&limit=1", headers=user.headers)).json()
    assert len(data["conversations"]) == 1
    data = (await target.http.get(f"{V2}/conversation/list?inclClosedConvs=true", headers=user.headers)).json()
    closed = next(c for c in data["conversations"] if c["conversationId"] == first)
    assert closed["endTimestamp"] > 0


@pytest.mark.parametrize("query", ["limit=0", "limit=51", "limit=abc", "inclClosedConvs=maybe"])
async def test_list_conversations_rejects_bad_query(target: Target, query: str) -> None:
    user = await new_user(target)
    r = await target.http.get(f"{V2}/conversation/list?{query}", headers=user.headers)
    assert r.status_code == 400 and "query parameter" in r.json()["message"]


async def test_entries_listing_has_payload_objects_and_filters(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    assert (await user.send(cid, "first")).status_code == 202
    r = await target.http.get(f"{V2}/conversation/{cid}/entries?entryTypeFilter=Message", headers=user.headers)
    entries = r.json()["conversationEntries"]
    assert [e["entryPayload"]["abstractMessage"]["staticContent"]["text"] for e in entries] == ["first"]
    assert isinstance(entries[0]["entryPayload"], dict) and entries[0]["sender"]["role"] == "EndUser"
    r = await target.http.get(f"{V2}/conversation/{cid}/entries?direction=FromStart&limit=2", headers=user.headers)
    assert [e["entryType"] for e in r.json()["conversationEntries"]] == ["SessionStatusChanged", "RoutingResult"]
    for query in ("direction=Sideways", "entryTypeFilter=Bogus", "limit=99", "startTimestamp=x"):
        r = await target.http.get(f"{V2}/conversation/{cid}/entries?{query}", headers=user.headers)
        assert r.status_code == 400, query


async def test_send_message_is_echoed_on_sse_and_retries_are_idempotent(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        await read_until(reader, user)
        seen = len(reader.events)
        message_id = new_uuid()
        r = await user.send(cid, "where is my order?", message_id=message_id)
        assert r.status_code == 202 and r.json()["conversationEntries"][0]["id"] == message_id
        assert (await user.send(cid, "where is my order?", message_id=message_id)).status_code == 202
        events = await read_until(reader, user)
    echoes = [e for e in events[seen:] if e.name == "CONVERSATION_MESSAGE"]
    assert len(echoes) == 1
    entry = echoes[0].json["conversationEntry"]
    assert entry["identifier"] == message_id and entry["sender"]["role"] == "EndUser"
    assert isinstance(entry["entryPayload"], str)
    assert echoes[0].payload["abstractMessage"]["staticContent"]["text"] == "where is my order?"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "hi"}, "message must be an object"),
        ({"message": {"staticContent": {"text": "x"}}}, "id must be"),
        ({"message": {"id": "m1", "staticContent": {"text": 5}}}, "staticContent"),
        ({"message": {"id": "m1", "messageType": "Carousel", "staticContent": {"text": "x"}}}, "not supported"),
        ({"message": {"id": "m1", "staticContent": {"text": "x"}}, "isNewMessagingSession": "yes"}, "true or false"),
        ({"message": {"id": "m1", "staticContent": {"text": "x"}}, "routingAttributes": [1]}, "routingAttributes"),
        ({"message": {"id": "m1", "staticContent": {"text": "x"}}, "esDeveloperName": "Other"}, "does not match"),
    ],
)
async def test_bad_messages_get_400_and_change_nothing(target: Target, body: dict[str, Any], expected: str) -> None:
    user = await new_user(target)
    cid = await user.create()
    before = await target.snapshot(cid)
    r = await target.http.post(f"{V2}/conversation/{cid}/message", json=body, headers=user.headers)
    assert r.status_code == 400 and expected in r.json()["message"]
    assert await target.snapshot(cid) == before


async def test_typing_indicators_and_acknowledgements(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    r = await target.http.post(
        f"{V2}/conversation/{cid}/entry",
        json={"entryType": "TypingStartedIndicator", "id": new_uuid()},
        headers=user.headers,
    )
    assert r.status_code == 202 and r.json()["entryType"] == "TypingStartedIndicator"
    r = await target.http.post(
        f"{V2}/conversation/{cid}/entry", json={"entryType": "Message", "id": "x"}, headers=user.headers
    )
    assert r.status_code == 400
    acks = [{"id": new_uuid(), "entryType": "Read", "conversationEntryId": new_uuid()}]
    r = await target.http.post(
        f"{V2}/conversation/{cid}/acknowledge-entries", json={"acks": acks}, headers=user.headers
    )
    assert r.status_code == 202 and r.json()["acknowledged"] == 1
    r = await target.http.post(
        f"{V2}/conversation/{cid}/acknowledge-entries", json={"acks": [{"entryType": "Seen"}]}, headers=user.headers
    )
    assert r.status_code == 400 and "Delivery" in r.json()["message"]


async def test_embedded_service_config_is_public(target: Target) -> None:
    r = await target.http.get(
        f"/embeddedservice/v1/embedded-service-config?orgId={target.org_id}&esConfigName=MIAW_Harness&language=en"
    )
    assert r.status_code == 200 and r.json()["embeddedServiceConfig"]["name"] == "MIAW_Harness"
    r = await target.http.get("/embeddedservice/v1/embedded-service-config?orgId=00Dbad&esConfigName=MIAW_Harness")
    assert r.status_code == 400
    r = await target.http.get("/embeddedservice/v1/embedded-service-config")
    assert r.status_code == 400 and "required" in r.json()["message"]


# -- ending ---------------------------------------------------------------------------------------------------------
def _statuses(events: list[Any]) -> list[tuple[str, str | None]]:
    out = []
    for e in events:
        if e.name == "CONVERSATION_SESSION_STATUS_CHANGED":
            out.append((e.payload["sessionStatus"], e.payload.get("sessionEndedByRole")))
        elif e.name == "CONVERSATION_CLOSE_CONVERSATION":
            out.append(("CLOSE", None))
    return out


async def test_user_close_ends_the_session_then_closes(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        await read_until(reader, user)
        seen = len(reader.events)
        r = await target.http.delete(f"{V2}/conversation/{cid}", headers=user.headers)
        assert r.status_code == 200
        events = (await read_until(reader, user))[seen:]
    assert _statuses(events) == [("Ended", "EndUser"), ("CLOSE", None)]
    r = await user.send(cid)
    assert r.status_code == 403 and "is closed" in r.json()["message"]  # miaw-api.md §11.1
    r = await target.http.delete(f"{V2}/conversation/{cid}", headers=user.headers)
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("settings", "expected_state", "expected_events"),
    [
        ({}, "OPEN", [("Ended", "Agent")]),
        ({"session_based_chat": True}, "CLOSED", [("Ended", "Agent")]),  # no close event by default (§11.2)
        (
            {"session_based_chat": True, "emit_close_event_on_sbc_end": True},
            "CLOSED",
            [("Ended", "Agent"), ("CLOSE", None)],
        ),
    ],
)
async def test_rep_ends_session_closes_only_under_session_based_chat(
    target: Target, settings: dict[str, Any], expected_state: str, expected_events: list[Any]
) -> None:
    if settings:
        await target.control.configure("MIAW_Harness", settings)
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        await read_until(reader, user)
        seen = len(reader.events)
        await target.control.end_session(cid, "Agent")
        events = (await read_until(reader, user))[seen:]
    assert _statuses(events) == expected_events
    assert events[0].name == "CONVERSATION_PARTICIPANT_CHANGED"
    state = await target.snapshot(cid)
    assert state is not None and state["state"] == expected_state and state["endCause"] == "Agent"


async def test_message_after_session_end_starts_a_new_session_without_sbc(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    r = await target.http.delete(f"{V2}/conversation/{cid}/session?esDeveloperName=MIAW_Harness", headers=user.headers)
    assert r.status_code == 200 and r.json()["conversationStatus"] == "OPEN"
    assert (await target.http.delete(f"{V2}/conversation/{cid}/session", headers=user.headers)).status_code == 409
    assert (await user.send(cid, "back again")).status_code == 202
    state = await target.snapshot(cid)
    assert state is not None and (state["session"], state["sessionsStarted"]) == ("Active", 2)


async def test_closed_send_status_is_a_setting(target: Target) -> None:
    await target.control.configure("MIAW_Harness", {"session_based_chat": True, "closed_send_status": 409})
    user = await new_user(target)
    cid = await user.create()
    await target.control.end_session(cid, "Chatbot")
    r = await user.send(cid)
    assert r.status_code == 409 and "start a new conversation" in r.json()["message"]


async def test_opt_out_keyword_ends_the_session_but_keeps_the_conversation(target: Target) -> None:
    await target.control.configure("MIAW_Harness", {"session_based_chat": True, "opt_out_keywords": ["STOP"]})
    user = await new_user(target)
    cid = await user.create()
    assert (await user.send(cid, "  stop ")).status_code == 202
    state = await target.snapshot(cid)
    assert state is not None and (state["state"], state["session"], state["endCause"]) == ("OPEN", "Ended", "OptOut")
    with pytest.raises(Exception, match="409"):
        await target.control.send_message(cid, "Agent", "are you there?")
    assert (await user.send(cid, "hello again")).status_code == 202
    state = await target.snapshot(cid)
    assert state is not None and (state["session"], state["sessionsStarted"]) == ("Active", 2)


async def test_per_session_prechat_answers_417_until_a_new_session_is_asked_for(target: Target) -> None:
    await target.control.configure(
        "MIAW_Harness", {"prechat_display": "Session", "prechat_fields": [{"name": "_firstName", "required": True}]}
    )
    user = await new_user(target)
    cid = await user.create(routingAttributes={"_firstName": "Ada"})
    await target.control.end_session(cid, "Agent")
    r = await user.send(cid)
    assert r.status_code == 417 and "isNewMessagingSession" in r.json()["message"]
    r = await user.send(cid, isNewMessagingSession=True, routingAttributes={})
    assert r.status_code == 400 and "_firstName" in r.json()["message"]
    r = await user.send(cid, isNewMessagingSession=True, routingAttributes={"_firstName": "Ada"})
    assert r.status_code == 202
    state = await target.snapshot(cid)
    assert state is not None and state["sessionsStarted"] == 2


@pytest.mark.parametrize(
    ("settings", "expected_state"),
    [
        ({"session_based_chat": True}, "CLOSED"),
        ({"session_based_chat": True, "auto_end_closes_conversation": False}, "OPEN"),
        ({}, "OPEN"),
    ],
)
async def test_inactivity_then_24h_auto_end(target: Target, settings: dict[str, Any], expected_state: str) -> None:
    if settings:
        await target.control.configure("MIAW_Harness", settings)
    user = await new_user(target)
    cid = await user.create()
    await target.control.advance_clock(599)
    assert (await target.snapshot(cid) or {})["session"] == "Active"
    await target.control.advance_clock(1)
    assert (await target.snapshot(cid) or {})["session"] == "Inactive"
    await target.control.advance_clock(86_400)
    state = await target.snapshot(cid)
    assert state is not None and (state["session"], state["endCause"], state["state"]) == (
        "Ended",
        "AutoEnd",
        expected_state,
    )


async def test_customer_message_reroutes_an_inactive_session(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    await target.control.inactivate(cid)
    assert (await user.send(cid)).status_code == 202
    state = await target.snapshot(cid)
    assert state is not None and (state["session"], state["sessionsStarted"]) == ("Active", 1)
    await target.control.advance_clock(86_400)
    assert (await target.snapshot(cid) or {})["session"] == "Inactive"  # the inactivity timer was re-armed


async def test_transfer_goes_back_to_routing_and_is_accepted(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        await read_until(reader, user)
        seen = len(reader.events)
        await target.control.transfer(cid)
        events = (await read_until(reader, user))[seen:]
    assert [e.name.removeprefix("CONVERSATION_") for e in events] == [
        "PARTICIPANT_CHANGED",
        "ROUTING_RESULT",
        "SESSION_STATUS_CHANGED",
        "PARTICIPANT_CHANGED",
        "SESSION_STATUS_CHANGED",
    ]
    assert events[1].payload["routingType"] == "Transfer"
    assert [e.payload["sessionStatus"] for e in events if e.name.endswith("STATUS_CHANGED")] == ["Waiting", "Active"]


# -- SSE ------------------------------------------------------------------------------------------------------------
async def test_sse_replays_exactly_the_missed_events_after_a_drop(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as first:
        before = await read_until(first, user)
        assert await target.control.drop_streams(user.subject) == 1
        await first.wait(lambda: first.ended)
    last_seen = before[-1].event_id
    assert last_seen is not None
    for i in range(5):
        assert (await user.send(cid, f"offline {i}")).status_code == 202
    await target.control.send_message(cid, "Agent", "reply while away")
    async with SseReader(user, last_event_id=last_seen) as second:
        after = await read_until(second, user)
    ids = [int(e.event_id or 0) for e in before + after]
    assert ids == list(range(1, ids[-1] + 1))
    assert ids[-1] == await target.control.last_event_id(user.subject)
    texts = [e.payload["abstractMessage"]["staticContent"]["text"] for e in after if e.name == "CONVERSATION_MESSAGE"]
    assert texts == [*(f"offline {i}" for i in range(5)), "reply while away"]


async def test_sse_without_last_event_id_replays_and_multiplexes_conversations(target: Target) -> None:
    """§11.6: a new stream without Last-Event-Id replays the subject's conversation events."""
    user = await new_user(target)
    first = await user.create()
    replayed = await target.control.last_event_id(user.subject)
    async with SseReader(user, last_event_id=None) as reader:
        await reader.wait_count(replayed)
        assert [int(e.event_id or 0) for e in reader.events] == list(range(1, replayed + 1))
        second = await user.create()
        await user.send(first, "to the first")
        events = await read_until(reader, user)
    assert {e.json["conversationId"] for e in events} == {first, second}


@pytest.mark.parametrize(
    ("headers", "status", "expected"),
    [
        ({"X-Org-Id": "ORG", "Last-Event-Id": "0"}, 401, "Authorization"),
        ({"Authorization": "TOKEN", "Last-Event-Id": "0"}, 400, "OrgId is required"),
        ({"Authorization": "TOKEN", "X-Org-Id": "00Dnope"}, 400, "OrgId in the header and token must match"),
        ({"Authorization": "TOKEN", "X-Org-Id": "00DXX0000001HRN"}, 400, "OrgId in the header and token must match"),
        ({"Authorization": "TOKEN", "X-Org-Id": "ORG", "Last-Event-Id": "abc"}, 400, "Last-Event-Id"),
    ],
)
async def test_sse_refuses_missing_or_bad_headers(
    target: Target, headers: dict[str, str], status: int, expected: str
) -> None:
    user = await new_user(target)
    resolved = {
        k: v.replace("TOKEN", f"Bearer {user.token}").replace("ORG", target.org_id[:15]) for k, v in headers.items()
    }
    r = await target.http.get("/eventrouter/v1/sse?_ts=123&unknown=1", headers=resolved)
    assert r.status_code == status and expected in r.json()["message"]


async def test_sse_accepts_the_15_character_org_id_and_ignores_unknown_params(target: Target) -> None:
    user = await new_user(target)
    await user.create()
    headers = {**user.sse_headers(), "X-Org-Id": target.org_id[:15]}
    async with target.http.stream("GET", "/eventrouter/v1/sse?_ts=1&foo=bar", headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = r.aiter_lines()
        assert [await anext(lines), await anext(lines)] == ["event: ping", "data: 0"]


# -- generic bad input ----------------------------------------------------------------------------------------------
async def test_oversized_body_gets_413_and_changes_nothing(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    before = await target.snapshot(cid)
    r = await user.send(cid, "x" * 70_000)
    assert r.status_code == 413 and "limit" in r.json()["message"]
    assert await target.snapshot(cid) == before


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("PUT", f"{V2}/conversation", 405),
        ("GET", f"{V2}/authorization/unauthenticated/access-token", 405),
        ("PATCH", "/control/clock", 405),
        ("GET", f"{V2}/nothing/here", 404),
    ],
)
async def test_unknown_routes_and_wrong_methods_answer_json(
    target: Target, method: str, path: str, status: int
) -> None:
    r = await target.http.request(method, path)
    assert r.status_code == status and r.json()["message"]


async def test_cors_preflight_is_answered(target: Target) -> None:
    r = await target.http.options(
        f"{V2}/conversation",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] in ("*", "https://app.example")


async def test_a_trailing_slash_is_a_json_404_not_a_redirect(target: Target) -> None:
    """A conversation id ending in an encoded "/" once drew Starlette's 307 to the same path without it: an answer
    outside the documented ones, and a redirect no client of the real runtime expects."""
    user = await new_user(target)
    for method, path in (("DELETE", f"{V2}/conversation/{new_uuid()}%2F"), ("GET", f"{V2}/conversation/list/")):
        r = await target.http.request(method, path, headers=user.headers)
        assert r.status_code == 404, (method, path, r.status_code)
        assert isinstance(r.json()["message"], str) and r.json()["message"]
