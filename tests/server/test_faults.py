"""Route faults: failures used up one request at a time, latency kept until cleared."""

from __future__ import annotations

from harness.server.faults import ROUTES, Faults


def test_failures_are_consumed_and_latency_stays() -> None:
    faults = Faults()
    faults.fail("send_message", 503, 2)
    faults.latency("send_message", 7)
    assert [faults.take("send_message") for _ in range(3)] == [(7, 503), (7, 503), (7, 0)]
    assert faults.take("sse") == (0, 0)
    assert faults.failures_served == 2
    faults.clear()
    assert faults.take("send_message") == (0, 0) and faults.to_json() == {}
    assert "send_message" in ROUTES and len(set(ROUTES)) == 12
