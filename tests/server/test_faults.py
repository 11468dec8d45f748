"""Route faults: failures used up one request at a time, latency kept until cleared."""

from __future__ import annotations

import pytest

from harness.server import ServerConfig, create_app
from harness.server.app import MiawApi
from harness.server.faults import ROUTES, Faults
from harness.wire.routes import RouteName


def test_failures_are_consumed_and_latency_stays() -> None:
    faults = Faults()
    faults.fail("send_message", 503, 2)
    faults.latency("send_message", 7)
    assert [faults.take("send_message") for _ in range(3)] == [(7, 503), (7, 503), (7, 0)]
    assert faults.take("sse") == (0, 0)
    assert faults.failures_served == 2
    faults.clear()
    assert faults.take("send_message") == (0, 0) and faults.to_json() == {}


def test_every_route_the_runtime_serves_has_one_name_and_every_name_a_route(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []
    real = MiawApi.route

    def spy(self: MiawApi, name: str | None, handler: object) -> object:
        if name is not None:  # control routes take no faults
            served.append(name)
        return real(self, name, handler)  # type: ignore[arg-type]

    monkeypatch.setattr(MiawApi, "route", spy)
    create_app(ServerConfig.default())
    assert sorted(set(served)) == sorted(ROUTES) == sorted(RouteName)
