"""How the user got back is kept in results.json and shown in every report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema

from harness.report.directory import render_files
from harness.report.drilldown import drilldown
from harness.report.results import SCHEMA_FILE, Results, aggregate, dumps, from_json

from .report_records import make_run


def _results() -> Results:
    records = [
        make_run(app="new-per-launch", verdict="degraded", reason_code="relaunch_required", recovery="relaunch"),
        make_run(
            app="new-per-launch",
            variant="no-close-event",
            verdict="pass",
            reason_code="recovered",
            recovery="reopen",
        ),
        make_run(app="persist-until-closed-event", recovery="reopen"),
        make_run(app="persist-forever", verdict="blocked", reason_code="no_way_out", recovery="none"),
        make_run(scenario_id="setup/no-recovery", app="persist-forever"),  # no recovery attempted: no "recovery"
    ]
    return aggregate(records, 7)


def test_a_cell_keeps_the_worst_way_out_of_its_runs() -> None:
    results = _results()
    by_app = {(c.app, c.scenario_id): c.recovery for c in results.cells}
    assert by_app[("new-per-launch", "session-based-chat/a-rep-ends-the-session")] == "relaunch"
    assert by_app[("persist-until-closed-event", "session-based-chat/a-rep-ends-the-session")] == "reopen"
    assert by_app[("persist-forever", "session-based-chat/a-rep-ends-the-session")] == "none"
    assert by_app[("persist-forever", "setup/no-recovery")] is None


def test_results_json_carries_the_recovery_path_and_reads_it_back() -> None:
    results = _results()
    text = dumps(results)
    data = json.loads(text)
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    cell = next(c for c in data["cells"] if c["app"] == "new-per-launch")
    assert cell["recovery"] == "relaunch"
    assert sorted(r["recovery"] for r in cell["runs"]) == ["relaunch", "reopen"]
    assert from_json(data) == results


def test_every_report_shows_the_way_back() -> None:
    results = _results()
    files = render_files(results)
    markdown = files["report.md"]
    assert "## How users got back" in markdown
    assert "| new-per-launch | 0 | 1 | 0 |" in markdown
    assert "| persist-until-closed-event | 1 | 0 | 0 |" in markdown
    case = next(
        c
        for c in ET.fromstring(files["junit.xml"]).iter("testcase")
        if any(p.get("value") == "relaunch_required" for p in c.iter("property"))
    )
    assert {p.get("name"): p.get("value") for p in case.iter("property")}["recovery"] == "relaunch"
    data = drilldown(results)
    words = {data["strings"][c[11]] for c in data["cells"]}
    assert "only by killing and relaunching the app" in words
    assert "" in words  # the cell that made no recovery attempt


def test_every_reason_code_has_words_and_every_failing_one_advice() -> None:
    from harness.report.readiness import ADVICE
    from harness.report.wording import REASON_TEXT
    from harness.run.judge import Reason

    assert [r for r in Reason if r.value not in REASON_TEXT] == []
    failing = set(Reason) - {Reason.RECOVERED, Reason.NOT_APPLICABLE}
    assert [r for r in failing if r.value not in ADVICE] == []
