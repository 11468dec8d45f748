"""Evidence drawn as an SVG sequence diagram."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from report_records import evidence

from harness.report.sequence import LANE_WIDTH, LANES, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def _steps(svg: str) -> list[ET.Element]:
    return [g for g in ET.fromstring(svg).iter(f"{SVG}g") if "step" in g.get("class", "")]


def _label(group: ET.Element) -> str:
    return group.findtext(f"{SVG}text") or ""


def test_the_diagram_is_svg_with_four_lanes_and_a_shape_per_step() -> None:
    svg = render_svg(evidence("judged blocked <stuck>"), "a & b")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    lanes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lane"]
    assert lanes == ["user", "app", "server", "rep / bot / admin / clock"]
    steps = _steps(svg)
    assert [g.get("data-seq") for g in steps] == ["1", "2", "3", "4", "5", "6"]
    texts = [_label(g) for g in steps]
    assert [g.findtext(f"{SVG}title") for g in steps] == [None] * 6
    assert texts[1] == "2. POST /conversation/c1/message → 202 @0ms"
    assert texts[5] == "6. judged blocked <stuck>"


def _x(lane: str) -> int:
    return LANE_WIDTH // 2 + LANES.index(lane) * LANE_WIDTH


@pytest.mark.parametrize(
    ("kind", "actor", "start", "end"),
    [
        ("action", "user", "user", "app"),
        ("request", "app", "app", "server"),
        ("event", "server", "server", "app"),
        ("control", "rep", "agent", "server"),
        ("control", "clock", "agent", "server"),
        ("control", "admin", "agent", "server"),
    ],
)
def test_arrows_run_between_the_right_lanes(kind: str, actor: str, start: str, end: str) -> None:
    svg = render_svg([{"seq": 1, "kind": kind, "actor": actor, "summary": "x", "detail": {}, "at_ms": None}])
    (group,) = _steps(svg)
    line = group.find(f"{SVG}line")
    assert line is not None
    assert (int(line.get("x1", "0")), int(line.get("x2", "0"))) == (_x(start), _x(end))


def test_a_status_already_in_the_summary_is_not_repeated() -> None:
    step = {"seq": 1, "kind": "request", "actor": "app", "summary": "GET /x -> 200", "detail": {"status": 200}}
    assert _label(_steps(render_svg([step]))[0]) == "1. GET /x -> 200"


def test_long_labels_are_shortened() -> None:
    svg = render_svg([{"seq": 1, "kind": "note", "actor": "harness", "summary": "x" * 200}])
    assert _label(_steps(svg)[0]).endswith("…")
    assert _steps(svg)[0].findtext(f"{SVG}title") == "x" * 200


def test_an_empty_timeline_still_draws_the_lanes() -> None:
    assert len(_steps(render_svg([]))) == 0
