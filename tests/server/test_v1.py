"""The v1 endpoints and deployment types (miaw-api.md §11.5, §11.7, §11.8), in-process and over loopback HTTP."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import jwt
import pytest

from harness.run.control import ControlClient
from harness.server import start_in_thread
from harness.server.config import DeploymentSettings
from harness.wire import new_uuid
from server.server_helpers import V2, SseReader, Target, User, make_config, new_user, read_until

pytestmark = pytest.mark.anyio

V1 = "/iamessage/v1"
WEB = "Web_Chat"
IN_APP = "In_App_Chat"


async def v1_deployments(target: Target) -> None:
    await target.control.configure(WEB, {"deployment_type": "Web", "channel_type": "EmbeddedWeb"})
    await target.control.configure(IN_APP, {"deployment_type": "InApp"})


async def v1_user(target: Target, deployment: str = IN_APP, *, path: str = "accessToken", **extra: Any) -> User:
    body = {"orgId": target.org_id, "developerName": deployment, "capabilitiesVersion": "260", **extra}
    r = await target.http.post(f"{V1}/authorization/unauthenticated/{path}?os=Linux&browser=Chrome", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    claims = jwt.decode(data["accessToken"], options={"verify_signature": False})
    assert claims["apiVersion"] == "v1"
    return User(target, data["accessToken"], claims["sub"], data["lastEventId"])


async def v1_create(user: User) -> tuple[str, dict[str, Any]]:
    cid = new_uuid()
    r = await user.target.http.post(f"{V1}/conversation", json={"conversationId": cid}, headers=user.headers)
    assert r.status_code == 201, r.text
    return cid, r.json()


def flat_message(text: str, message_id: str | None = None) -> dict[str, Any]:
    return {
        "id": message_id or new_uuid(),
        "messageType": "StaticContentMessage",
        "staticContent": {"formatType": "Text", "text": text},
    }


async def test_v2_serves_only_api_deployments_with_the_runtimes_text(target: Target) -> None:
    """§11.8 (text from §11.3): a Web or In-App deployment asking v2 for a token gets the deploymentType refusal."""
    await v1_deployments(target)
    for name, kind in ((WEB, "Web"), (IN_APP, "InApp")):
        r = await target.http.post(
            f"{V2}/authorization/unauthenticated/access-token",
            json={"orgId": target.org_id, "esDeveloperName": name, "capabilitiesVersion": "1", "platform": "Web"},
        )
        assert r.status_code == 400
        message = r.json()["message"]
        assert message.startswith(f"The deploymentType '{kind}'")
        assert "isn't supported for this endpoint. Supported deployment types: API." in message


async def test_v1_serves_only_web_and_in_app_deployments(target: Target) -> None:
    """§11.8: v1 refuses the (default) API deployment, and a v1 token is refused by v2 endpoints."""
    await v1_deployments(target)
    r = await target.http.post(
        f"{V1}/authorization/unauthenticated/accessToken",
        json={"orgId": target.org_id, "developerName": target.deployment, "capabilitiesVersion": "260"},
    )
    assert r.status_code == 400
    assert (
        "The deploymentType 'API'" in r.json()["message"]
        and "Supported deployment types: Web, InApp." in (r.json()["message"])
    )
    user = await v1_user(target, WEB)
    r = await target.http.post(
        f"{V2}/conversation",
        json={"conversationId": new_uuid(), "esDeveloperName": WEB},
        headers=user.headers,
    )
    assert r.status_code == 400 and "The deploymentType 'Web'" in r.json()["message"]
    v2 = await new_user(target)
    r = await target.http.post(f"{V1}/conversation", json={"conversationId": new_uuid()}, headers=v2.headers)
    assert r.status_code == 400 and "The deploymentType 'API'" in r.json()["message"]


async def test_v1_lifecycle_over_the_shared_state_and_stream(target: Target) -> None:
    """§11.8: token (developerName, capabilitiesVersion) -> create 201 with participants -> flat send 200 {} ->
    POST entries query -> typing, acks -> end session -> close; the same stream and control view as v2."""
    await v1_deployments(target)
    user = await v1_user(target)
    async with SseReader(user) as reader:
        cid, created = await v1_create(user)
        assert created["conversationId"] == cid
        roles = [p["role"] for p in created["participants"]]
        assert roles == ["EndUser", "Agent"]

        message_id = new_uuid()
        r = await target.http.post(
            f"{V1}/conversation/{cid}/message", json=flat_message("hi from v1", message_id), headers=user.headers
        )
        assert (r.status_code, r.json()) == (200, {})
        events = await read_until(reader, user)
        echoes = [e for e in events if e.name == "CONVERSATION_MESSAGE" and e.json["conversationId"] == cid]
        assert echoes[-1].json["conversationEntry"]["identifier"] == message_id

        r = await target.http.post(
            f"{V1}/queries/conversation/{cid}/entries",
            json={"limit": 5, "direction": "FromStart", "entryTypeFilter": ["Message"]},
            headers=user.headers,
        )
        assert r.status_code == 200
        texts = [e["entryPayload"]["abstractMessage"]["staticContent"]["text"] for e in r.json()["conversationEntries"]]
        assert texts == ["hi from v1"]
        r = await target.http.get(f"{V1}/queries/conversation/{cid}/entries", headers=user.headers)
        assert r.status_code == 405
        r = await target.http.post(f"{V2}/conversation/{cid}/entries", json={}, headers=user.headers)
        assert r.status_code in (404, 405)

        r = await target.http.post(
            f"{V1}/conversation/{cid}/entry",
            json={"entryType": "TypingStartedIndicator", "id": new_uuid()},
            headers=user.headers,
        )
        assert (r.status_code, r.json()) == (200, {})
        r = await target.http.post(
            f"{V1}/conversation/{cid}/deliveryAcknowledgeEntries",
            json={"acks": [{"id": new_uuid(), "conversationEntryId": message_id}]},
            headers=user.headers,
        )
        assert r.status_code == 200
        r = await target.http.post(
            f"{V1}/conversation/{cid}/readAcknowledgeEntry",
            json={"id": new_uuid(), "conversationEntryId": message_id},
            headers=user.headers,
        )
        assert r.status_code == 200
        signals = (await target.http.get(f"/control/conversations/{cid}/signals")).json()
        assert signals["endUserTyping"] is True
        assert [a["entryType"] for a in signals["acks"]] == ["Delivery", "Read"]

        r = await target.http.delete(f"{V1}/conversation/{cid}/session", headers=user.headers)
        assert r.status_code == 200
        snapshot = await target.snapshot(cid)
        assert snapshot is not None and snapshot["session"] == "Ended" and snapshot["state"] == "OPEN"
        r = await target.http.post(
            f"{V1}/queries/conversation/list", json={"includeClosedConversations": True}, headers=user.headers
        )
        assert r.json()["numOpenConversationsFound"] == 1
        r = await target.http.delete(f"{V1}/conversation/{cid}", headers=user.headers)
        assert r.status_code == 200
        snapshot = await target.snapshot(cid)
        assert snapshot is not None and snapshot["state"] == "CLOSED"
        events = await read_until(reader, user)
        assert "CONVERSATION_CLOSE_CONVERSATION" in [e.name for e in events]


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("conversation", {"conversationId": "CID", "esDeveloperName": IN_APP}, 'Unrecognized field "esDeveloperName"'),
        ("conversation", {"conversationId": "CID", "colour": "red"}, 'Unrecognized field "colour"'),
        ("conversation/CID/message", {"message": {"id": "x"}}, 'Unrecognized field "message"'),
        ("conversation/CID/message", {**flat_message("x"), "esDeveloperName": IN_APP}, '"esDeveloperName"'),
        ("conversation/CID/message", {**flat_message("x"), "extra": 1}, 'Unrecognized field "extra"'),
        ("conversation/CID/entry", {"entryType": "TypingStartedIndicator", "id": "i", "x": 1}, '"x"'),
    ],
)
async def test_v1_bodies_are_strict(target: Target, path: str, body: dict[str, Any], expected: str) -> None:
    """§11.5: an extra property, or a v2-only field (esDeveloperName, the message wrapper), is a 400."""
    await v1_deployments(target)
    user = await v1_user(target)
    cid, _ = await v1_create(user)
    resolved = {k: (cid if v == "CID" else v) for k, v in body.items()}
    r = await target.http.post(f"{V1}/{path.replace('CID', cid)}", json=resolved, headers=user.headers)
    assert r.status_code == 400 and expected in r.json()["message"]


async def test_v1_token_checks_capabilities_version_and_strict_body(target: Target) -> None:
    """§11.8: capabilitiesVersion from the SDKs' list; §11.5: no v2 fields on the v1 token request."""
    await v1_deployments(target)
    base = {"orgId": target.org_id, "developerName": IN_APP}
    for body, expected in (
        ({**base, "capabilitiesVersion": "1"}, "capabilitiesVersion must be one of 238"),
        ({**base, "capabilitiesVersion": "260", "esDeveloperName": IN_APP}, '"esDeveloperName"'),
        ({**base, "capabilitiesVersion": "260", "platform": "Web"}, '"platform"'),
    ):
        r = await target.http.post(f"{V1}/authorization/unauthenticated/accessToken", json=body)
        assert r.status_code == 400 and expected in r.json()["message"], r.text
    persisted = await v1_user(target, path="persistedToken", deviceId="device-1")
    assert persisted.token


async def test_token_endpoints_accept_15_and_18_character_org_ids(target: Target) -> None:
    """§11.4: token endpoints accept both lengths; the JWT carries the 15-character id."""
    await v1_deployments(target)
    for org in (target.org_id[:15], target.org_id):
        r = await target.http.post(
            f"{V1}/authorization/unauthenticated/accessToken",
            json={"orgId": org, "developerName": WEB, "capabilitiesVersion": "246"},
        )
        assert r.status_code == 200, r.text
        assert jwt.decode(r.json()["accessToken"], options={"verify_signature": False})["orgId"] == org[:15]
        r = await target.http.post(
            f"{V2}/authorization/unauthenticated/access-token",
            json={"orgId": org, "esDeveloperName": target.deployment},
        )
        assert r.status_code == 200, r.text


async def test_continuation_does_not_extend_expiry(target: Target) -> None:
    """§11.7: a continuation token (v1 and v2) serves another tab and keeps the original `exp`."""
    await v1_deployments(target)
    v2 = await new_user(target)
    await target.control.advance_clock(600)
    r = await target.http.get(f"{V2}/authorization/continuation-access-token", headers=v2.headers)
    assert r.status_code == 200
    before = jwt.decode(v2.token, options={"verify_signature": False})
    after = jwt.decode(r.json()["accessToken"], options={"verify_signature": False})
    assert after["exp"] == before["exp"] and after["sub"] == before["sub"] and after["clientId"] != before["clientId"]

    v1 = await v1_user(target)
    await target.control.advance_clock(600)
    r = await target.http.get(f"{V1}/authorization/continuityAccessToken", headers=v1.headers)
    assert r.status_code == 200
    assert (
        jwt.decode(r.json()["accessToken"], options={"verify_signature": False})["exp"]
        == jwt.decode(v1.token, options={"verify_signature": False})["exp"]
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_revoke_ends_the_token_and_its_streams(target: Target, version: str) -> None:
    """§11.7: revoke (v1 POST revokeToken, v2 DELETE .../authenticated/access-token) refuses the token from then on
    and ends its streams."""
    if version == "v1":
        await v1_deployments(target)
        user = await v1_user(target)
    else:
        user = await new_user(target)
    async with SseReader(user) as reader:
        if version == "v1":
            r = await target.http.post(f"{V1}/authorization/revokeToken", headers=user.headers)
            assert r.status_code == 200
        else:
            r = await target.http.delete(f"{V2}/authorization/authenticated/access-token", headers=user.headers)
            assert r.status_code == 204
        await reader.wait(lambda: reader.ended)
    path = f"{V1}/queries/conversation/list" if version == "v1" else f"{V2}/conversation/list"
    r = await (
        target.http.post(path, json={}, headers=user.headers)
        if version == "v1"
        else target.http.get(path, headers=user.headers)
    )
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    async with SseReader(user) as refused:  # the client's reconnect with the revoked token: re-mint, then resume
        await refused.wait(lambda: refused.ended)
    assert refused.status == 401


async def test_v1_lifecycle_over_tls_on_loopback() -> None:
    """§11.8: a v1 client completes token -> create -> send -> echo on the stream -> end session -> close over TLS."""
    config = make_config()
    config.deployments[IN_APP] = DeploymentSettings(deployment_type="InApp")
    with start_in_thread(config, tls=True) as server:
        trust = ssl.create_default_context(cafile=str(server.cert_path))
        async with httpx.AsyncClient(base_url=server.base_url, verify=trust, timeout=10.0) as http:
            target = Target("uvicorn", http, ControlClient(http), config.org_id)
            user = await v1_user(target)
            async with SseReader(user) as reader:
                cid, _ = await v1_create(user)
                r = await http.post(
                    f"{V1}/conversation/{cid}/message", json=flat_message("over TLS"), headers=user.headers
                )
                assert r.status_code == 200
                assert (await http.delete(f"{V1}/conversation/{cid}/session", headers=user.headers)).status_code == 200
                assert (await http.delete(f"{V1}/conversation/{cid}", headers=user.headers)).status_code == 200
                events = await read_until(reader, user)
            texts = [
                e.payload["abstractMessage"]["staticContent"]["text"]
                for e in events
                if e.name == "CONVERSATION_MESSAGE"
            ]
            assert texts == ["over TLS"]
            assert events[-1].name == "CONVERSATION_CLOSE_CONVERSATION"
