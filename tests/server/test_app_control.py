"""The control API: settings saved vs published, reps and bots, the clock, faults, reset; over both transports."""

from __future__ import annotations

from typing import Any

import pytest

from harness.run.control import ControlError
from server.server_helpers import V2, Target, new_user

pytestmark = pytest.mark.anyio


async def test_info_lists_org_deployments_and_clock(target: Target) -> None:
    info = await target.control.info()
    assert info["org_id"] == target.org_id
    assert info["base_url"].startswith("http")
    assert set(info["deployments"]) == {"MIAW_Harness", "MIAW_Verified"}
    assert info["deployments"]["MIAW_Harness"]["saved"] == info["deployments"]["MIAW_Harness"]["published"]
    assert info["now_ms"] == await target.control.now_ms()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"user_verification": True, "session_based_chat": True}, "can't be enabled for verified users"),
        ({"channel_type": "SMS", "session_based_chat": True}, "applies only to Enhanced In-App and Enhanced Web"),
        ({"channel_type": "WhatsApp", "session_based_chat": True}, "not to channel type WhatsApp"),
        ({"channel_type": "Carrier pigeon"}, "channel_type: must be one of"),
        ({"session_based_chat": "yes"}, "must be true or false"),
        ({"inactivity_timeout_s": 60}, "between 300 and 1800"),
        ({"closed_send_status": 500}, "between 400 and 499"),
        ({"prechat_display": "Always"}, "prechat_display"),
        ({"prechat_fields": [{"type": "Text"}]}, "prechat_fields[0].name"),
        ({"opt_out_keywords": "STOP"}, "list of non-empty strings"),
        ({"auto_accept": "Robot"}, "auto_accept"),
        ({"no_such_setting": 1}, "unknown setting"),
    ],
)
async def test_refused_settings_name_the_key_and_change_nothing(
    target: Target, settings: dict[str, Any], expected: str
) -> None:
    before = await target.control.info()
    with pytest.raises(ControlError) as caught:
        await target.control.put_deployment("MIAW_Harness", settings)
    assert caught.value.status == 400 and expected in caught.value.message
    assert await target.control.info() == before


async def test_sbc_refused_while_verification_is_saved_on(target: Target) -> None:
    await target.control.put_deployment("MIAW_Harness", {"user_verification": True})
    with pytest.raises(ControlError, match="verified users"):
        await target.control.put_deployment("MIAW_Harness", {"session_based_chat": True})


async def test_saved_settings_take_effect_only_when_published(target: Target) -> None:
    saved = await target.control.put_deployment("MIAW_Harness", {"session_based_chat": True})
    assert saved["saved"]["session_based_chat"] is True and saved["published"]["session_based_chat"] is False
    user = await new_user(target)
    first = await user.create()
    await target.control.end_session(first, "Agent")
    assert (await target.snapshot(first) or {})["state"] == "OPEN"
    published = await target.control.publish("MIAW_Harness")
    assert published["published"]["session_based_chat"] is True
    second = await user.create()
    await target.control.end_session(second, "Agent")
    assert (await target.snapshot(second) or {})["state"] == "CLOSED"


async def test_put_creates_a_deployment_and_publish_needs_one(target: Target) -> None:
    created = await target.control.put_deployment("Brand_New", {"channel_type": "EmbeddedWeb"})
    assert created["published"] is None and created["saved"]["channel_type"] == "EmbeddedWeb"
    with pytest.raises(ControlError) as caught:
        await target.control.publish("Never_Saved")
    assert caught.value.status == 404 and "unknown deployment" in caught.value.message


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        ("GET", "/control/conversations/not-a-uuid", None, 400, "UUID"),
        ("GET", "/control/conversations/6cd22b8d-e14b-47c2-bffb-1d7d7015c189", None, 404, "not found"),
        ("POST", "/control/conversations/CID/participants", {"role": "Customer"}, 400, "role must be one of"),
        ("POST", "/control/conversations/CID/participants", {"role": "Agent", "displayName": 3}, 400, "displayName"),
        ("POST", "/control/conversations/CID/messages", {"role": "Agent", "text": 3}, 400, "text must be a string"),
        ("POST", "/control/conversations/CID/messages", {"role": "EndUser", "text": "x"}, 400, "role"),
        ("POST", "/control/conversations/CID/session/end", {"by": "Nobody"}, 400, "by must be one of"),
        ("POST", "/control/conversations/CID/session/end", [], 400, "JSON object"),
        ("POST", "/control/clock/advance", {"seconds": -1}, 400, "non-negative"),
        ("POST", "/control/clock/advance", {"seconds": "10"}, 400, "non-negative"),
        ("POST", "/control/clock/advance", {"seconds": True}, 400, "non-negative"),
        ("POST", "/control/faults", {"kind": "meteor"}, 400, "kind must be"),
        ("POST", "/control/faults", {"kind": "fail", "route": "nowhere", "status": 500}, 400, "route must be"),
        ("POST", "/control/faults", {"kind": "fail", "route": "sse", "status": 200}, 400, "between 400 and 599"),
        ("POST", "/control/faults", {"kind": "latency", "route": "sse", "ms": "slow"}, 400, "ms must be"),
        ("PUT", "/control/deployments/MIAW_Harness", "{oops", 400, "malformed JSON"),
    ],
)
async def test_control_bad_inputs_get_4xx_and_change_nothing(
    target: Target, method: str, path: str, body: Any, status: int, expected: str
) -> None:
    user = await new_user(target)
    cid = await user.create()
    before = (await target.control.info(), await target.snapshot(cid))
    kwargs: dict[str, Any] = {}
    if isinstance(body, str):
        kwargs["content"] = body.encode()
    elif body is not None:
        kwargs["json"] = body
    r = await target.http.request(method, path.replace("CID", cid), **kwargs)
    assert r.status_code == status and expected in r.json()["message"], r.text
    assert (await target.control.info(), await target.snapshot(cid)) == before


async def test_participants_join_only_a_routable_session(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    joined = await target.control.add_participant(cid, "Supervisor", "Sam")
    assert joined["participant"] == {"role": "Supervisor", "displayName": "Sam", "subject": "005HA0000SUPERV"}
    assert [p["role"] for p in joined["conversation"]["participants"]] == ["Agent", "Supervisor"]
    await target.control.end_session(cid, "Supervisor")
    with pytest.raises(ControlError) as caught:
        await target.control.add_participant(cid, "Agent")
    assert caught.value.status == 409 and "cannot join" in caught.value.message


async def test_without_auto_accept_a_session_waits_for_a_rep(target: Target) -> None:
    await target.control.configure("MIAW_Harness", {"auto_accept": None, "greeting": "Welcome!"})
    user = await new_user(target)
    cid = await user.create()
    state = await target.snapshot(cid)
    assert state is not None and (state["session"], state["participants"]) == ("Waiting", [])
    r = await target.http.get(f"{V2}/conversation/{cid}", headers=user.headers)
    assert r.json()["routingStatus"] == "NEEDS_ROUTING"
    await target.control.add_participant(cid, "Chatbot")
    await target.control.send_message(cid, "Chatbot", "How can I help?")
    state = await target.snapshot(cid)
    assert state is not None and state["session"] == "Active"
    assert [(m["role"], m["text"]) for m in state["messages"]] == [("Chatbot", "How can I help?")]


async def test_greeting_is_said_when_a_session_is_accepted(target: Target) -> None:
    await target.control.configure("MIAW_Harness", {"auto_accept": "Chatbot", "greeting": "Hi there"})
    user = await new_user(target)
    cid = await user.create()
    state = await target.snapshot(cid)
    assert state is not None and [(m["role"], m["text"]) for m in state["messages"]] == [("Chatbot", "Hi there")]


async def test_failure_faults_are_used_up_one_request_at_a_time(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    await target.control.fail_requests("send_message", 503, 2)
    statuses = [(await user.send(cid, f"try {i}")).status_code for i in range(3)]
    assert statuses == [503, 503, 202]
    await target.control.fail_requests("list_conversations", 429, 5)
    await target.control.clear_faults()
    assert (await target.http.get(f"{V2}/conversation/list", headers=user.headers)).status_code == 200
    answer = await target.control.add_latency("routing_status", 1)
    assert answer["faults"]["routing_status"]["latencyMs"] == 1
    assert (await target.http.get(f"{V2}/conversation/{cid}", headers=user.headers)).status_code == 200


async def test_token_fault_and_sse_fault(target: Target) -> None:
    await target.control.fail_requests("token", 500, 1)
    r = await target.http.post(
        f"{V2}/authorization/unauthenticated/access-token",
        json={"orgId": target.org_id, "esDeveloperName": "MIAW_Harness"},
    )
    assert r.status_code == 500 and "injected fault" in r.json()["message"]
    user = await new_user(target)
    await target.control.fail_requests("sse", 503, 1)
    r = await target.http.get("/eventrouter/v1/sse", headers=user.sse_headers())
    assert r.status_code == 503


async def test_subject_views_accept_encoded_slashes(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    convs = await target.control.subject_conversations(user.subject)
    assert [c["conversationId"] for c in convs] == [cid]
    assert convs[0]["subject"] == user.subject
    assert await target.control.last_event_id(user.subject) > 0
    assert await target.control.last_event_id("v2/iamessage/UNAUTH/NA/uid:nobody") == 0
    assert await target.control.stream_count(user.subject) == 0


async def test_reset_forgets_everything_but_the_configuration(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    await target.control.configure("MIAW_Harness", {"session_based_chat": True})
    await target.control.advance_clock(30)
    await target.control.reset()
    assert await target.snapshot(cid) is None
    info = await target.control.info()
    assert info["deployments"]["MIAW_Harness"]["published"]["session_based_chat"] is False
    assert await target.control.last_event_id(user.subject) == 0
