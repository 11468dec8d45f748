"""Tokens that really end: reset, expiry and revocation reach open streams; Last-Event-Id never swallows events."""

from __future__ import annotations

import time

import jwt
import pytest

from harness.server.app import resume_point
from harness.server.state import ApiError
from server.server_helpers import IDENTITY_KEY, V2, SseReader, Target, new_user, read_until

pytestmark = pytest.mark.anyio


# -- reset ------------------------------------------------------------------------------------------------------------
async def test_reset_revokes_every_earlier_token_and_never_reuses_a_subject(target: Target) -> None:
    old = await new_user(target)
    revoked = await new_user(target)
    await target.control.expire_tokens(revoked.subject)
    await target.control.reset()
    fresh = await new_user(target)
    assert fresh.subject not in (old.subject, revoked.subject)
    cid = await fresh.create()
    for stale in (old, revoked):
        for method, path in (("GET", f"/conversation/{cid}/entries"), ("DELETE", f"/conversation/{cid}")):
            r = await target.http.request(method, f"{V2}{path}", headers=stale.headers)
            assert r.status_code == 401, (method, path, r.text)
    r = await target.http.get(f"{V2}/conversation/{cid}/entries", headers=fresh.headers)
    assert r.status_code == 200
    assert (await target.control.conversation(cid) or {})["state"] == "OPEN"


async def test_subject_ids_differ_across_many_resets(target: Target) -> None:
    seen: set[str] = set()
    for _ in range(5):
        await target.control.reset()
        user = await new_user(target)
        assert user.subject not in seen
        seen.add(user.subject)


# -- open streams end with their token ---------------------------------------------------------------------------------
async def test_open_stream_ends_when_the_clock_passes_its_token_expiry(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        await target.control.advance_clock(3599)
        await read_until(reader, user)
        assert await target.control.stream_count(user.subject) == 1
        await target.control.advance_clock(2)  # the token's expiry ends the stream, with or without an event
        await reader.wait(lambda: reader.ended)
        await target.control.send_message(cid, "Agent", "said after the expiry")
    assert not any("said after the expiry" in e.data for e in reader.events)
    assert await target.control.stream_count(user.subject) == 0
    async with SseReader(user) as again:
        await again.wait(lambda: again.ended)
        assert again.status == 401


async def test_open_stream_ends_when_its_token_is_revoked(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        seen = len(await read_until(reader, user))
        await target.control.expire_tokens(user.subject)
        await reader.wait(lambda: reader.ended)
        await target.control.send_message(cid, "Agent", "said after the revocation")
    assert len(reader.events) == seen
    async with SseReader(user) as refused:
        await refused.wait(lambda: refused.ended)
        assert refused.status == 401


async def test_revoking_another_subject_leaves_a_stream_open(target: Target) -> None:
    user = await new_user(target)
    other = await new_user(target)
    cid = await user.create()
    async with SseReader(user) as reader:
        await read_until(reader, user)
        await target.control.expire_tokens(other.subject)
        await target.control.send_message(cid, "Agent", "still here")
        events = await read_until(reader, user)
        assert not reader.ended
        assert events[-1].name == "CONVERSATION_MESSAGE"


# -- Last-Event-Id ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "newest", "expected"),
    [
        (None, 7, 7),
        ("", 7, 7),
        ("0", 7, 0),
        ("3", 7, 3),
        ("007", 7, 7),
        ("8", 7, 7),
        ("17", 7, 7),
        (str(2**63), 7, 7),
        ("9" * 5000, 7, 7),
    ],
)
def test_resume_point_rule(raw: str | None, newest: int, expected: int) -> None:
    assert resume_point(raw, newest) == expected


@pytest.mark.parametrize("raw", ["-1", "1_0", " 5", "+5", "5 ", "1.0", "abc", "\u0665", "0x10"])
def test_resume_point_refuses_anything_but_decimal_digits(raw: str) -> None:
    with pytest.raises(ApiError) as caught:
        resume_point(raw, 7)
    assert caught.value.status == 400


@pytest.mark.parametrize("beyond", [10, 2**63])
async def test_last_event_id_beyond_the_newest_delivers_every_later_event(target: Target, beyond: int) -> None:
    user = await new_user(target)
    cid = await user.create()
    newest = await target.control.last_event_id(user.subject)
    async with SseReader(user, last_event_id=str(newest + beyond)) as reader:
        for i in range(5):
            await target.control.send_message(cid, "Agent", f"later {i}")
        events = await read_until(reader, user)
    assert [int(e.event_id or 0) for e in events] == list(range(newest + 1, newest + 6))


@pytest.mark.parametrize("raw", ["-1", "1_0", "+3"])
async def test_malformed_last_event_id_is_400(target: Target, raw: str) -> None:
    user = await new_user(target)
    await user.create()
    async with SseReader(user, last_event_id=raw) as reader:
        await reader.wait(lambda: reader.ended)
    assert reader.status == 400


# -- customer identity tokens ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("offset_s", "status"), [(-365 * 86_400, 401), (-60, 401), (3600, 200)])
async def test_customer_identity_token_expiry_is_checked(target: Target, offset_s: int, status: int) -> None:
    identity = jwt.encode({"sub": "customer-7", "exp": int(time.time()) + offset_s}, IDENTITY_KEY, algorithm="HS256")
    body = {
        "orgId": target.org_id,
        "esDeveloperName": "MIAW_Verified",
        "authorizationType": "JWT",
        "customerIdentityToken": identity,
    }
    r = await target.http.post(f"{V2}/authorization/authenticated/access-token", json=body)
    assert r.status_code == status, r.text
    if status == 401:
        assert "expired" in r.json()["message"]
