"""Where each step of the sequence diagram runs and what its label says."""

from __future__ import annotations

from typing import Any

import pytest

from harness.report.sequence import KIND_COLOUR, LANE_TITLES, LANES, ends, label, layout


@pytest.mark.parametrize(
    ("kind", "actor", "expected"),
    [
        ("action", "user", ("user", "app")),
        ("request", "app", ("app", "server")),
        ("request", "harness", ("app", "server")),
        ("event", "server", ("server", "app")),
        ("control", "rep", ("agent", "server")),
        ("control", "clock", ("agent", "server")),
        ("control", "admin", ("agent", "server")),
        ("control", "supervisor", ("agent", "server")),
        ("ui", "app", ("app", "app")),
        ("note", "rep", ("agent", "agent")),
        ("note", "harness", None),
        ("something-new", "harness", None),
    ],
)
def test_steps_run_between_the_right_lanes(kind: str, actor: str, expected: tuple[str, str] | None) -> None:
    found = ends({"kind": kind, "actor": actor})
    assert (None if found is None else (LANES[found[0]], LANES[found[1]])) == expected


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"kind": "request", "summary": "POST /c1", "detail": {"status": 202}, "at_ms": 0}, "POST /c1 → 202 @0ms"),
        ({"kind": "request", "summary": "GET /x -> 200", "detail": {"status": 200}}, "GET /x -> 200"),
        ({"kind": "event", "summary": "CLOSE", "detail": {"status": 200}, "at_ms": 1000}, "CLOSE @1000ms"),
        ({"kind": "note", "summary": "judged <stuck> & done"}, "judged <stuck> & done"),
        ({"kind": "note"}, ""),
    ],
)  # fmt: skip
def test_a_label_is_the_summary_plus_a_status_not_already_in_it_and_the_time(
    step: dict[str, Any], expected: str
) -> None:
    assert label(step) == expected


def test_the_layout_names_every_lane_and_colours_every_kind() -> None:
    drawn = layout()
    assert (
        drawn["lanes"]
        == [LANE_TITLES[lane] for lane in LANES]
        == ["user", "app", "server", "rep / bot / admin / clock"]
    )
    assert set(drawn["colours"]) == {"action", "request", "event", "control", "ui", "note"} == set(KIND_COLOUR)
    assert drawn["lane_width"] * len(LANES) > 500
