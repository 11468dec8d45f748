"""The route table tries the per-message routes first and CORS applies to browser requests only: nothing else moves."""

from __future__ import annotations

import pytest

from server.server_helpers import V2, Target, new_user

pytestmark = pytest.mark.anyio


async def test_a_simple_browser_request_gets_cors_headers(target: Target) -> None:
    r = await target.http.post(
        f"{V2}/authorization/unauthenticated/access-token",
        json={"orgId": target.org_id, "esDeveloperName": target.deployment},
        headers={"Origin": "https://app.example"},
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"


async def test_a_request_without_origin_gets_no_cors_headers(target: Target) -> None:
    r = await target.http.post(
        f"{V2}/authorization/unauthenticated/access-token",
        json={"orgId": target.org_id, "esDeveloperName": target.deployment},
    )
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


async def test_list_is_not_taken_for_a_conversation_id(target: Target) -> None:
    user = await new_user(target)
    await user.create()
    r = await target.http.get(f"{V2}/conversation/list", headers=user.headers)
    assert r.status_code == 200 and r.json()["openConversationsFound"] == 1
