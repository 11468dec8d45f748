"""The drill-down document: every cell's runs and evidence, each string and step list stored once."""

from __future__ import annotations

import json
from typing import Any

from harness.report.drilldown import drilldown, script_json
from harness.report.results import aggregate

from .report_records import evidence, make_run, matrix_records


def _run_of(row: list[Any]) -> list[Any]:
    """The deciding run of a drill-down cell row: [variant, settings, verdict, reason, seed, evidence, ids, ...]."""
    run: list[Any] = row[7][row[8]]
    return run


def _steps(document: dict[str, Any], cell: int) -> list[tuple[str, str]]:
    """(label, kind) of each step of a cell's deciding evidence, decoded the way the page decodes them."""
    strings, steps = document["strings"], document["steps"]
    out = []
    for item in document["evidence"][_run_of(document["cells"][cell])[5]]:
        step = steps[item[0] if isinstance(item, list) else item]
        out.append((strings[step[3]], strings[step[0]]))
    return out


def test_each_string_step_and_step_list_is_stored_once() -> None:
    results = aggregate(matrix_records(), 42)
    document = drilldown(results)
    assert len(document["strings"]) == len(set(document["strings"]))
    assert len(document["steps"]) == len({json.dumps(s) for s in document["steps"]})
    assert len(document["evidence"]) == len({json.dumps(e) for e in document["evidence"]})
    # 30 cells whose evidence differs only in the judge's closing note, which names one of 4 verdicts
    assert len(document["cells"]) == len(results.cells) == 30
    assert len(document["evidence"]) == len({c.deciding_run.evidence[-1]["summary"] for c in results.cells}) == 4
    assert len(document["steps"]) == 5 + len(document["evidence"])


def test_a_cell_decodes_to_its_heading_runs_and_evidence() -> None:
    results = aggregate(matrix_records(), 42)
    document = drilldown(results)
    (i, cell) = next((i, c) for i, c in enumerate(results.cells) if c.broken_by)
    s = document["strings"]
    row = document["cells"][i]
    assert [s[n] for n in row[:6]] == [
        "A rep ends the session",
        cell.sdk,
        cell.app,
        cell.verdict.value,
        cell.reason_code,
        cell.reason,
    ]
    assert [s[n] for n in row[6]] == list(cell.broken_by)
    assert [[s[r[0]], s[r[1]], s[r[2]], r[4]] for r in row[7]] == [
        [r.variant, "".join(f"{k}={v} " for k, v in r.settings.items()), r.verdict.value, r.seed] for r in cell.runs
    ]
    assert cell.runs[row[8]] is cell.deciding_run
    assert [s[row[9]], s[row[10]]] == [
        cell.scenario_id,
        "the app kept sending to a conversation the runtime had closed",
    ]
    # no admin setup in these timelines; a failing run went wrong at the harness's finding (the last step)
    failing = ("blocked", "degraded")
    assert [(r[7], r[8]) for r in row[7]] == [(0, 5 if r.verdict.value in failing else -1) for r in cell.runs]
    assert _steps(document, i) == [
        ("tap send 'hello'", "action"),
        ("POST /conversation/c1/message → 202 @0ms", "request"),
        ("rep ends the session @1000ms", "control"),
        ("CONVERSATION_CLOSE_CONVERSATION @1000ms", "event"),
        ("composer read-only <closed>", "ui"),
        (cell.deciding_run.evidence[-1]["summary"], "note"),
    ]


def test_a_sequence_number_other_than_the_position_is_kept() -> None:
    steps = evidence("x")
    steps[2]["seq"] = 7
    del steps[3]["seq"]
    document = drilldown(aggregate([make_run(evidence=steps)], 1))
    items = document["evidence"][0]
    assert [isinstance(item, int) for item in items] == [True, True, False, False, True, True]
    assert (items[2][1], items[3][1]) == (7, None)


def test_the_embedded_json_cannot_close_its_script_element() -> None:
    steps = evidence("</script><script>alert(1)</script> & <!-- done")
    document = drilldown(aggregate([make_run(evidence=steps)], 1))
    text = script_json(document)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == json.loads(json.dumps(document))


def test_identical_results_give_identical_bytes() -> None:
    first = script_json(drilldown(aggregate(matrix_records(), 42)))
    assert first == script_json(drilldown(aggregate(list(reversed(matrix_records())), 42)))


A = "0f8fad5b-d9cb-469f-a165-70867728950e"
B = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def _ided(first: str, second: str) -> list[dict[str, Any]]:
    steps = evidence("judged")
    steps[1]["summary"] = f"POST /conversation/{first}/message"
    steps[4]["summary"] = f"conversation {first} closed, {second} open"
    return steps


def test_runs_that_differ_only_in_ids_share_their_steps() -> None:
    results = aggregate([make_run(f"ids/{n}", evidence=_ided(*ids)) for n, ids in enumerate([(A, B), (B, A)])], 1)
    document = drilldown(results)
    (one, two) = document["cells"]
    assert _run_of(one)[5] == _run_of(two)[5] == 0 and len(document["evidence"]) == 1
    assert document["ids"] == [A, B]
    # the request step takes its id twice: once for its label, once for its summary (shown on hover)
    assert (_run_of(one)[6], _run_of(two)[6]) == ([0, 0, 0, 1], [1, 1, 1, 0])
    hole = document["hole"]
    assert _steps(document, 0)[1] == (f"POST /conversation/{hole}/message → 202 @0ms", "request")
    assert _steps(document, 0)[4] == (f"conversation {hole} closed, {hole} open", "ui")


def test_text_that_already_holds_the_hole_character_keeps_its_ids() -> None:
    steps = _ided(A, B)
    steps[4]["summary"] = f"odd \ue000 text {A}"
    document = drilldown(aggregate([make_run(evidence=steps)], 1))
    assert _steps(document, 0)[4] == (f"odd \ue000 text {A}", "ui")
    assert _run_of(document["cells"][0])[6] == [0, 0]
