"""The evidence sequence diagram as the page draws it in headless Chromium when a cell is clicked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.report.directory import write_report
from harness.report.results import aggregate
from harness.report.sequence import LANE_WIDTH, LANES

from .report_browser import Browser
from .report_records import evidence, make_run

LONG = "x" * 200
IDS = ("0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7")
SCRIPT = "</script><script>document.title='owned'</script> & <!-- then the rest of a long note"


def _step(kind: str, actor: str, summary: str = "s", **extra: Any) -> dict[str, Any]:
    return {"seq": 1, "kind": kind, "actor": actor, "summary": summary, "detail": {}, "at_ms": None, **extra}


ARROWS = [
    ("action", "user", "user", "app"),
    ("request", "app", "app", "server"),
    ("event", "server", "server", "app"),
    ("control", "rep", "agent", "server"),
    ("control", "clock", "agent", "server"),
    ("control", "admin", "agent", "server"),
]
DIAGRAMS: dict[str, list[dict[str, Any]]] = {
    "timeline": evidence("judged blocked <stuck>"),
    "status-in-summary": [_step("request", "app", "GET /x -> 200", detail={"status": 200})],
    "long": [_step("note", "harness", LONG)],
    "script": [_step("note", "harness", SCRIPT)],
    "empty": [],
    **{f"ids-{n}": [
        _step("request", "app", f"POST /conversation/{first}/message", detail={"status": 202}),
        _step("note", "harness", f"conversation {first} was closed and {second} was opened in its place", seq=2),
    ] for n, (first, second) in enumerate([IDS, IDS[::-1]])},
    "marks": [_step("ui", "app", "composer open"), _step("note", "rep", "away", seq=2), _step("note", "x", "n", seq=3)],
    "numbering": [_step("action", "user", seq=4), {"kind": "action", "actor": "user", "summary": "no number"}],
    **{f"arrow-{kind}-{actor}": [_step(kind, actor)] for kind, actor, _, _ in ARROWS},
}  # fmt: skip


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, dict[str, int]]]:
    results = aggregate([make_run(f"diagram/{name}", evidence=steps) for name, steps in DIAGRAMS.items()], 3)
    out = write_report(results, tmp_path_factory.mktemp("sequence") / "report")
    with Browser() as browser:
        browser.open(out / "index.html")
        yield browser, {cell.scenario_id.split("/")[1]: i for i, cell in enumerate(results.cells)}


def _draw(page: tuple[Browser, dict[str, int]], name: str) -> dict[str, Any]:
    """Click the cell of one diagram and read back what the page drew."""
    browser, cells = page
    browser.click(f"td.cell[data-cell='{cells[name]}']")
    drawn: dict[str, Any] = browser.evaluate(
        """(() => {
          const svg = document.querySelector('#drill svg');
          const attr = (el, name) => el ? Number(el.getAttribute(name)) : null;
          return {
            cell: document.getElementById('drill').dataset.cell,
            lanes: [...svg.querySelectorAll('text.lane')].map(t => t.textContent),
            label: svg.getAttribute('aria-label'),
            width: svg.getBoundingClientRect().width,
            steps: [...svg.querySelectorAll('g.step')].map(g => ({
              cls: g.getAttribute('class'), seq: g.dataset.seq,
              text: g.querySelector('text').textContent,
              title: g.querySelector('title') ? g.querySelector('title').textContent : null,
              x1: attr(g.querySelector('line'), 'x1'), x2: attr(g.querySelector('line'), 'x2'),
              mark: attr(g.querySelector('rect'), 'x'), colour: g.querySelector('text').getAttribute('fill'),
            })),
          };
        })()"""
    )
    assert drawn["cell"] == str(cells[name])
    return drawn


def _x(lane: str) -> int:
    return LANE_WIDTH // 2 + LANES.index(lane) * LANE_WIDTH


def test_four_lanes_and_one_shape_per_step(page: tuple[Browser, dict[str, int]]) -> None:
    drawn = _draw(page, "timeline")
    assert drawn["lanes"] == ["user", "app", "server", "rep / bot / admin / clock"]
    assert drawn["label"] == "diagram/timeline · android-1.10 · persist-forever"
    assert drawn["width"] == LANE_WIDTH * len(LANES)
    assert [s["seq"] for s in drawn["steps"]] == ["1", "2", "3", "4", "5", "6"]
    assert [s["cls"] for s in drawn["steps"]] == [
        "step action", "step request", "step control", "step event", "step ui", "step note"
    ]  # fmt: skip
    # every label is whole in its tooltip, drawn shortened or not
    assert [s["title"] for s in drawn["steps"]] == [s["text"].split(". ", 1)[1] for s in drawn["steps"]]
    assert [s["text"] for s in drawn["steps"]] == [
        "1. tap send 'hello'",
        "2. POST /conversation/c1/message → 202 @0ms",
        "3. rep ends the session @1000ms",
        "4. CONVERSATION_CLOSE_CONVERSATION @1000ms",
        "5. composer read-only <closed>",
        "6. judged blocked <stuck>",
    ]
    assert [s["colour"] for s in drawn["steps"]] == ["#1f5fbf", "#444444", "#b85c00", "#7a3db8", "#1a7f37", None]


@pytest.mark.parametrize(("kind", "actor", "start", "end"), ARROWS)
def test_arrows_run_between_the_right_lanes(
    page: tuple[Browser, dict[str, int]], kind: str, actor: str, start: str, end: str
) -> None:
    (step,) = _draw(page, f"arrow-{kind}-{actor}")["steps"]
    assert (step["x1"], step["x2"]) == (_x(start), _x(end))


def test_a_step_within_one_lane_is_a_mark_on_it_and_a_note_spans_the_diagram(
    page: tuple[Browser, dict[str, int]],
) -> None:
    ui, rep, note = _draw(page, "marks")["steps"]
    assert (ui["x1"], ui["mark"]) == (None, _x("app") - 6)
    assert (rep["x1"], rep["mark"]) == (None, _x("agent") - 6)
    assert (note["x1"], note["mark"], note["text"]) == (None, 8, "3. n")


def test_a_status_already_in_the_summary_is_not_repeated(page: tuple[Browser, dict[str, int]]) -> None:
    assert _draw(page, "status-in-summary")["steps"][0]["text"] == "1. GET /x -> 200"


def test_long_labels_are_shortened_with_the_whole_summary_on_hover(page: tuple[Browser, dict[str, int]]) -> None:
    (step,) = _draw(page, "long")["steps"]
    assert step["text"] == "1. " + "x" * 54 + "…"
    assert step["title"] == LONG


def test_markup_in_the_evidence_is_shown_as_text(page: tuple[Browser, dict[str, int]]) -> None:
    (step,) = _draw(page, "script")["steps"]
    assert step["title"] == SCRIPT
    assert step["text"] == ("1. " + SCRIPT)[:57] + "…"
    assert page[0].evaluate("document.title") == "Session-Based Chat conformance"


def test_sequence_numbers_are_the_recorded_ones(page: tuple[Browser, dict[str, int]]) -> None:
    numbered, unnumbered = _draw(page, "numbering")["steps"]
    assert (numbered["seq"], numbered["text"]) == ("4", "4. s")
    assert (unnumbered["seq"], unnumbered["text"]) == ("2", ". no number")


@pytest.mark.parametrize(("name", "first", "second"), [("ids-0", *IDS), ("ids-1", *IDS[::-1])])
def test_ids_come_back_in_place(page: tuple[Browser, dict[str, int]], name: str, first: str, second: str) -> None:
    request, note = _draw(page, name)["steps"]
    assert request["text"] == f"1. POST /conversation/{first}/message → 202"[:57] + "…"
    assert request["title"] == f"POST /conversation/{first}/message → 202"
    assert note["title"] == f"conversation {first} was closed and {second} was opened in its place"


def test_an_empty_timeline_still_draws_the_lanes(page: tuple[Browser, dict[str, int]]) -> None:
    drawn = _draw(page, "empty")
    assert (len(drawn["lanes"]), drawn["steps"]) == (4, [])
