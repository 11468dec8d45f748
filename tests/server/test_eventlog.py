"""Per-subject event logs: dense ids, exact replay, drops."""

from __future__ import annotations

import pytest

from harness.server.eventlog import PING_FRAME, EventLog, Frame


def test_ids_are_dense_per_subject_and_frames_are_sse() -> None:
    log = EventLog()
    a1 = log.append("a", "E", {"n": 1})
    b1 = log.append("b", "E", {"n": 1})
    a2 = log.append("a", "E", {"n": 2})
    assert (a1.event_id, b1.event_id, a2.event_id) == (1, 1, 2)
    assert a2.wire == b'id: 2\nevent: E\ndata: {"n":2}\n\n'
    assert PING_FRAME == b"event: ping\ndata: 0\n\n"
    assert log.last_id("a") == 2 and log.last_id("nobody") == 0


@pytest.mark.parametrize(("last", "expected"), [(0, [1, 2, 3]), (1, [2, 3]), (3, []), (99, [])])
def test_since_replays_exactly_what_follows(last: int, expected: list[int]) -> None:
    log = EventLog()
    for n in range(3):
        log.append("s", "E", {"n": n})
    assert [f.event_id for f in log.since("s", last)] == expected


def test_append_wakes_subscribers_and_drop_ends_them() -> None:
    log = EventLog()
    sub = log.subscribe("s", 0)
    other = log.subscribe("t", 0)
    log.append("s", "E", {})
    assert sub.wakeup.is_set() and not other.wakeup.is_set()
    assert log.stream_count() == 2
    assert log.drop("s") == 1
    assert sub.dropped and not other.dropped and log.stream_count("s") == 0
    log.unsubscribe(other)
    assert log.stream_count() == 0


def test_a_frame_keeps_its_json_text_once_and_still_gives_it_back() -> None:
    log = EventLog()
    frame = log.append("s", "CONVERSATION_MESSAGE", {"text": "é\nx", "n": 1})
    assert frame.data == '{"text":"\\u00e9\\nx","n":1}'
    assert frame.wire == f"id: 1\nevent: CONVERSATION_MESSAGE\ndata: {frame.data}\n\n".encode()
    assert not hasattr(frame, "__dict__") and "data" not in Frame.__slots__


def test_kept_frames_are_not_walked_by_the_garbage_collector() -> None:
    import gc

    log = EventLog()
    frame = log.append("s", "CONVERSATION_MESSAGE", {"text": "x"})
    del frame
    kept = [o for o in gc.get_objects() if isinstance(o, Frame)]
    assert kept == []  # what the log keeps are ints, strings and bytes, which the collector never walks
    assert [f.wire for f in log.since("s", 0)] == [b'id: 1\nevent: CONVERSATION_MESSAGE\ndata: {"text":"x"}\n\n']
