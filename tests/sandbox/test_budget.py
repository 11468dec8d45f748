"""The request budget: pacing, the ceiling, the single allowed host, and the cleanup reserve."""

from __future__ import annotations

import httpx
import pytest

from harness.sandbox.budget import Budget, BudgetExceeded, GuardedTransport


@pytest.mark.parametrize(
    ("starts", "waits"),
    [
        ([0.0, 0.0, 0.0], [0.0, 0.5, 1.0]),  # a burst is spread at 2 per second
        ([0.0, 1.0, 1.2], [0.0, 0.0, 0.3]),  # a slow caller never waits
        ([5.0, 5.1], [0.0, 0.4]),
    ],
)
def test_requests_are_paced(starts: list[float], waits: list[float]) -> None:
    budget = Budget(max_requests=10, per_second=2.0)
    assert [round(budget.take(t), 6) for t in starts] == waits


def test_the_ceiling_stops_the_run_and_the_reserve_lets_cleanup_through() -> None:
    budget = Budget(max_requests=2, per_second=1000.0)
    budget.take(0.0)
    budget.take(0.0)
    with pytest.raises(BudgetExceeded, match="request ceiling of 2 reached"):
        budget.take(0.0)
    budget.extend(1)
    budget.take(0.0)
    assert budget.used == 3


@pytest.mark.parametrize(("max_requests", "per_second"), [(0, 1.0), (1, 0.0)])
def test_a_budget_needs_room(max_requests: int, per_second: float) -> None:
    with pytest.raises(ValueError, match="needs"):
        Budget(max_requests, per_second)


@pytest.mark.anyio
async def test_the_transport_paces_counts_and_refuses_other_hosts() -> None:
    seen: list[str] = []
    pauses: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={})

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    budget = Budget(max_requests=3, per_second=4.0)
    transport = GuardedTransport(httpx.MockTransport(answer), budget, "127.0.0.1", clock=lambda: 100.0, pause=pause)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9") as http:
        await http.get("/a")
        await http.get("/b")
        with pytest.raises(BudgetExceeded, match=r"may only call 127\.0\.0\.1"):
            await http.get("http://evil.example/c")
        await http.get("/d")
        with pytest.raises(BudgetExceeded, match="ceiling"):
            await http.get("/e")
    assert seen == ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "http://127.0.0.1:9/d"]
    assert pauses == [0.25, 0.5]
