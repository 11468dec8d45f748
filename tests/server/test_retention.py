"""Retention: closed conversations and dead subjects are forgotten by policy, ids never go backwards."""

from __future__ import annotations

from typing import Any

import pytest

from harness.server.eventlog import EventLog
from harness.server.retention import Retention, RetentionPolicy
from server.server_helpers import V2, SseReader, Target, User, new_user, read_until

pytestmark = pytest.mark.anyio


# -- the pure core ----------------------------------------------------------------------------------------------------
def test_due_by_count_takes_the_earliest_closures_first() -> None:
    retention = Retention(RetentionPolicy(ttl_s=3600, max_closed=2))
    for i in range(5):
        retention.closed(f"c{i}", 1000 + i)
    assert retention.due(2000) == ["c0", "c1", "c2"]
    assert retention.due(2000) == []
    assert retention.closed_count == 2 and retention.evicted_conversations == 3


def test_due_by_virtual_age() -> None:
    retention = Retention(RetentionPolicy(ttl_s=60, max_closed=100))
    retention.closed("old", 0)
    retention.closed("new", 30_000)
    assert retention.due(59_999) == []
    assert retention.due(60_000) == ["old"]
    assert retention.due(90_000) == ["new"]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_policy_values_must_be_positive_integers(bad: Any) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        RetentionPolicy(ttl_s=bad)


def test_trimmed_and_dropped_logs_never_move_ids_backwards() -> None:
    log = EventLog()
    for _ in range(4):
        log.append("a", "E", {})
    log.append("b", "E", {})
    assert not log.trim("a", 3)
    assert [f.event_id for f in log.since("a", 0)] == [3, 4]
    assert log.trim("a", None)
    assert log.last_id("a") == 4  # forgotten subjects report the highest id ever dropped
    assert log.append("a", "E", {}).event_id == 5
    assert log.append("c", "E", {}).event_id == 5
    assert log.append("b", "E", {}).event_id == 2  # a kept log goes on from its own last id
    log.clear()
    assert log.append("a", "E", {}).event_id == 1


def test_a_stream_keeps_its_log_until_it_closes() -> None:
    log = EventLog()
    log.append("a", "E", {})
    sub = log.subscribe("a", 0)
    assert not log.trim("a", None)
    assert log.stats()["subjects"] == 1
    log.unsubscribe(sub)
    assert log.stats() == {"subjects": 0, "frames": 0, "streams": 0, "baseEventId": 1}


def test_frames_an_open_stream_has_not_sent_are_kept_until_it_ends() -> None:
    log = EventLog()
    for _ in range(3):
        log.append("a", "E", {})
    sub = log.subscribe("a", 1)  # has sent event 1 only
    assert not log.trim("a", None)
    assert [f.event_id for f in log.since("a", sub.last_id)] == [2, 3]
    log.unsubscribe(sub)
    assert log.stats()["subjects"] == 0 and log.last_id("a") == 3


# -- over both transports ---------------------------------------------------------------------------------------------
async def _retention(target: Target, **policy: int) -> dict[str, Any]:
    if policy:
        r = await target.http.put("/control/retention", json=policy)
    else:
        r = await target.http.get("/control/retention")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def _closed_cycle(target: Target) -> tuple[User, str]:
    user = await new_user(target)
    cid = await user.create()
    assert (await user.send(cid, "hi")).status_code == 202
    r = await target.http.delete(f"{V2}/conversation/{cid}", headers=user.headers)
    assert r.status_code == 200
    return user, cid


async def test_closed_conversations_beyond_the_cap_are_evicted_oldest_first(target: Target) -> None:
    await _retention(target, maxClosed=2)
    cycles = [await _closed_cycle(target) for _ in range(5)]
    open_user = await new_user(target)
    open_cid = await open_user.create()
    stats = await _retention(target)
    assert stats["policy"]["maxClosed"] == 2
    assert stats["retained"]["closedConversations"] == 2
    assert stats["retained"]["openConversations"] == 1
    assert stats["evicted"] == {"conversations": 3, "subjects": 3}
    assert stats["retained"]["subjects"] == 3
    for user, cid in cycles[:3]:
        assert await target.control.conversation(cid) is None
        r = await target.http.get(f"{V2}/conversation/{cid}/entries", headers=user.headers)
        assert r.status_code == 404
        listed = await target.http.get(f"{V2}/conversation/list?inclClosedConvs=true", headers=user.headers)
        assert listed.json()["closedConversationsFound"] == 0
    for _, cid in cycles[3:]:
        assert await target.control.conversation(cid) is not None
    assert (await target.control.conversation(open_cid) or {})["state"] == "OPEN"


async def test_closed_conversations_are_evicted_after_the_virtual_ttl(target: Target) -> None:
    await _retention(target, ttlSeconds=60)
    _, cid = await _closed_cycle(target)
    await target.control.advance_clock(59)
    assert await target.control.conversation(cid) is not None
    await target.control.advance_clock(1)
    assert await target.control.conversation(cid) is None
    assert (await _retention(target))["retained"]["frames"] == 0


async def test_a_subject_keeps_the_frames_of_its_open_conversation(target: Target) -> None:
    await _retention(target, maxClosed=1)
    user = await new_user(target)
    first = await user.create()
    await target.http.delete(f"{V2}/conversation/{first}", headers=user.headers)
    kept_from = await target.control.last_event_id(user.subject) + 1
    second = await user.create()
    await _closed_cycle(target)  # a third closure pushes the first one out
    assert await target.control.conversation(first) is None
    async with SseReader(user) as reader:
        events = await read_until(reader, user)
    assert int(events[0].event_id or 0) == kept_from
    assert {e.json["conversationId"] for e in events} == {second}


async def test_a_forgotten_subject_resumes_without_losing_events(target: Target) -> None:
    await _retention(target, maxClosed=1)
    user, cid = await _closed_cycle(target)
    stale_last_id = await target.control.last_event_id(user.subject)
    await _closed_cycle(target)  # evicts `cid`: the user's subject is forgotten, its token still works
    assert await target.control.conversation(cid) is None
    assert await target.control.last_event_id(user.subject) >= stale_last_id
    again = await user.create()
    async with SseReader(user, last_event_id=str(stale_last_id)) as reader:
        events = await read_until(reader, user)
    assert events and {e.json["conversationId"] for e in events} == {again}
    assert all(int(e.event_id or 0) > stale_last_id for e in events)


@pytest.mark.parametrize(
    "body", [{"maxClosed": 0}, {"ttlSeconds": -5}, {"ttlSeconds": "1"}, {"maxClosed": 1.5}, {"keep": 1}]
)
async def test_bad_retention_settings_are_400(target: Target, body: dict[str, Any]) -> None:
    r = await target.http.put("/control/retention", json=body)
    assert r.status_code == 400
    assert r.json()["message"].startswith(("retention", "unknown retention"))


async def test_reset_restores_the_configured_policy(target: Target) -> None:
    await _retention(target, maxClosed=3, ttlSeconds=10)
    await target.control.reset()
    assert (await _retention(target))["policy"] == RetentionPolicy().to_json()
