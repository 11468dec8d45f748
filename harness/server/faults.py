"""Fault injection per named route: fail the next N requests with a status, or add latency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.wire.routes import RouteName

ROUTES: tuple[str, ...] = tuple(route.value for route in RouteName)  # the names are defined once, in wire


@dataclass(slots=True)
class RouteFault:
    fail_status: int = 0
    fail_remaining: int = 0
    latency_ms: int = 0


@dataclass(slots=True)
class Faults:
    """The armed faults; `take` consumes one failure of a route (respx-style: a side effect used up per call)."""

    routes: dict[str, RouteFault] = field(default_factory=dict)
    failures_served: int = 0

    def fail(self, route: str, status: int, count: int) -> None:
        fault = self.routes.setdefault(route, RouteFault())
        fault.fail_status = status
        fault.fail_remaining = count

    def latency(self, route: str, ms: int) -> None:
        self.routes.setdefault(route, RouteFault()).latency_ms = ms

    def take(self, route: str) -> tuple[int, int]:
        """(latency_ms, failure status or 0) for one request of `route`."""
        fault = self.routes.get(route)
        if fault is None:
            return 0, 0
        status = 0
        if fault.fail_remaining > 0:
            fault.fail_remaining -= 1
            status = fault.fail_status
            self.failures_served += 1
        return fault.latency_ms, status

    def clear(self) -> None:
        self.routes.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            name: {"status": f.fail_status, "remaining": f.fail_remaining, "latencyMs": f.latency_ms}
            for name, f in self.routes.items()
        }
