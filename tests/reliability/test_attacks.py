"""Attacks on every authenticated route: forged, expired, revoked, other-org and other-subject tokens, and tokens
from before a reset. Every route is taken from the served OpenAPI document, so a new route is attacked too."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from server.server_helpers import V2, make_config

from harness.server import RunningServer, create_app
from harness.server.openapi import build_document
from harness.wire import new_uuid

CONFIG = make_config()
DOCUMENT = build_document(create_app(CONFIG).routes)
BEARER_OPERATIONS = [
    (method.upper(), path)
    for path, ops in DOCUMENT["paths"].items()
    for method, op in ops.items()
    if any(p["name"] == "Authorization" for p in op["parameters"])
]
BODIES: dict[str, dict[str, Any]] = {
    "/message": {"message": {"id": "m-1", "messageType": "StaticContentMessage", "staticContent": {"text": "x"}}},
    "/entry": {"entryType": "TypingStartedIndicator", "id": "t-1"},
    "/acknowledge-entries": {"acks": [{"id": "a-1", "entryType": "Read", "conversationEntryId": "e-1"}]},
    "/conversation": {"conversationId": "", "esDeveloperName": "MIAW_Harness"},
}
V1 = "/iamessage/v1"
IN_APP = "MIAW_InApp"  # v1 serves Web and In-App deployments only (§11.8): v1 routes are attacked with v1 users
V1_BODIES: dict[str, dict[str, Any]] = {
    "/message": {"id": "m-1", "messageType": "StaticContentMessage", "staticContent": {"text": "x"}},
    "/entry": {"entryType": "TypingStartedIndicator", "id": "t-1"},
    "/deliveryAcknowledgeEntries": {"acks": [{"id": "a-1", "conversationEntryId": "e-1"}]},
    "/readAcknowledgeEntry": {"id": "a-1", "conversationEntryId": "e-1"},
    "/conversation": {"conversationId": ""},
    "/list": {},
    "/entries": {},
    "/registerDeviceCapabilities": {},
}


class Victim:
    def __init__(self, http: httpx.Client, path: str = "") -> None:
        v1 = path.startswith(V1)
        if v1:
            http.put(f"/control/deployments/{IN_APP}", json={"deployment_type": "InApp"}).raise_for_status()
            http.post(f"/control/deployments/{IN_APP}/publish", json={}).raise_for_status()
            r = http.post(
                f"{V1}/authorization/unauthenticated/accessToken",
                json={"orgId": CONFIG.org_id, "developerName": IN_APP, "capabilitiesVersion": "260"},
            )
        else:
            r = http.post(
                f"{V2}/authorization/unauthenticated/access-token",
                json={"orgId": CONFIG.org_id, "esDeveloperName": "MIAW_Harness"},
            )
        r.raise_for_status()
        self.token: str = r.json()["accessToken"]
        self.subject: str = jwt.decode(self.token, options={"verify_signature": False})["sub"]
        self.cid = new_uuid()
        headers = {"Authorization": f"Bearer {self.token}"}
        if v1:
            http.post(f"{V1}/conversation", json={"conversationId": self.cid}, headers=headers).raise_for_status()
        else:
            http.post(
                f"{V2}/conversation",
                json={"conversationId": self.cid, "esDeveloperName": "MIAW_Harness"},
                headers=headers,
            ).raise_for_status()


@pytest.fixture
def http(fresh: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.base_url, timeout=30.0) as client:
        yield client


def _call(http: httpx.Client, method: str, path: str, token: str, cid: str) -> httpx.Response:
    url = path.replace("{cid}", cid)
    bodies = V1_BODIES if path.startswith(V1) else BODIES
    body = next((b for suffix, b in bodies.items() if path.endswith(suffix)), None)
    if body is not None and "conversationId" in body:
        body = {**body, "conversationId": new_uuid()}
    headers = {"Authorization": f"Bearer {token}", "X-Org-Id": CONFIG.org_id[:15], "Last-Event-Id": "0"}
    with http.stream(method, url, headers=headers, json=body) as response:
        if response.status_code == 200 and path.endswith("/sse"):
            return response  # a stream: the status is the answer
        response.read()
        return response


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _forgeries(victim: Victim) -> dict[str, str]:
    claims = _claims(victim.token)
    head, _, signature = victim.token.rpartition(".")
    header_b64, _, _ = head.partition(".")
    tampered = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "attacker"}).encode()).rstrip(b"=").decode()
    return {
        "other key": jwt.encode(claims, "not-the-signing-key-0123456789abcdef", algorithm="HS256"),
        "alg none": jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
        "tampered payload": f"{header_b64}.{tampered}.{signature}",
        "garbage": "not.a.token",
        "other org": jwt.encode({**claims, "orgId": "00DXX0000009ZZZAAA"}, CONFIG.signing_key, algorithm="HS256"),
    }


@pytest.mark.parametrize(("method", "path"), BEARER_OPERATIONS)
def test_forged_and_other_org_tokens_are_401(http: httpx.Client, method: str, path: str) -> None:
    victim = Victim(http, path)
    for name, token in _forgeries(victim).items():
        r = _call(http, method, path, token, victim.cid)
        assert r.status_code == 401, (name, method, path, r.status_code)


@pytest.mark.parametrize(("method", "path"), BEARER_OPERATIONS)
def test_expired_revoked_and_pre_reset_tokens_are_401(http: httpx.Client, method: str, path: str) -> None:
    expired = Victim(http, path)
    http.post("/control/clock/advance", json={"seconds": 3600}).raise_for_status()
    revoked = Victim(http, path)
    http.post("/control/faults", json={"kind": "expire_tokens", "subject": revoked.subject}).raise_for_status()
    for name, victim in (("expired", expired), ("revoked", revoked)):
        assert _call(http, method, path, victim.token, victim.cid).status_code == 401, (name, method, path)
    before = Victim(http, path)
    assert _call(http, method, path, before.token, before.cid).status_code < 400
    http.post("/control/reset", json={}).raise_for_status()
    after = Victim(http, path)
    assert after.subject != before.subject
    for victim in (before, expired, revoked):
        for cid in (victim.cid, after.cid):
            assert _call(http, method, path, victim.token, cid).status_code == 401, (method, path)


@pytest.mark.parametrize(("method", "path"), BEARER_OPERATIONS)
def test_another_subjects_valid_token_reaches_nothing_of_the_victim(http: httpx.Client, method: str, path: str) -> None:
    victim = Victim(http, path)
    attacker = Victim(http, path)
    r = _call(http, method, path, attacker.token, victim.cid)
    if "{cid}" in path:
        assert r.status_code == 403, (method, path, r.status_code)
    elif not path.endswith("/sse"):
        assert victim.cid not in r.text and victim.subject not in r.text
    snapshot = http.get(f"/control/conversations/{victim.cid}").json()
    assert snapshot["state"] == "OPEN" and len(snapshot["messages"]) == 0
