"""One verdict, every output: a real run's cells read the same in pytest, junit.xml, cucumber.json, report.md and
index.html, as `harness.report.outcomes` maps them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from harness.report.directory import render_files
from harness.report.junit import case_name
from harness.report.outcomes import FAIL_ON, Outcome, deciding_step, outcome, verdict_text
from harness.report.results import Results, aggregate, load_runs
from harness.run.judge import Verdict

# Every verdict's outcome under each --fail-on threshold: the README's table, written out.
TABLE: dict[Verdict, dict[str, Outcome]] = {
    Verdict.PASS: {"blocked": Outcome.PASSED, "degraded": Outcome.PASSED, "never": Outcome.PASSED},
    Verdict.DEGRADED: {"blocked": Outcome.WARNING, "degraded": Outcome.FAILED, "never": Outcome.WARNING},
    Verdict.BLOCKED: {"blocked": Outcome.FAILED, "degraded": Outcome.FAILED, "never": Outcome.WARNING},
    Verdict.ERROR: {"blocked": Outcome.ERROR, "degraded": Outcome.ERROR, "never": Outcome.ERROR},
    Verdict.NOT_APPLICABLE: {"blocked": Outcome.SKIPPED, "degraded": Outcome.SKIPPED, "never": Outcome.SKIPPED},
    Verdict.NEEDS_REP: {"blocked": Outcome.SKIPPED, "degraded": Outcome.SKIPPED, "never": Outcome.SKIPPED},
}


@pytest.mark.parametrize("fail_on", FAIL_ON)
@pytest.mark.parametrize("verdict", list(Verdict))
def test_the_mapping_is_the_readme_table(verdict: Verdict, fail_on: str) -> None:
    assert outcome(verdict, fail_on) is TABLE[verdict][fail_on]


def test_readme_shows_the_mapping() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {
        "pass": "passed",
        "degraded": "passed with a `warning` property; failed with `--fail-on degraded`",
        "blocked": "failed at the step where the evidence shows it; passed with a warning with `--fail-on never`",
        "error": "error",
        "not applicable": "skipped, with the reason",
        "needs a rep": "skipped, with the reason",
    }
    for verdict, text in rows.items():
        assert f"| {verdict} | {text} |" in readme, verdict


def test_an_unknown_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="--fail-on must be one of blocked, degraded, never"):
        outcome(Verdict.PASS, "sometimes")


def test_verdict_text_names_the_verdict_code_and_reason() -> None:
    assert (
        verdict_text(Verdict.BLOCKED, "reused_closed_id", "kept sending") == "blocked (reused_closed_id): kept sending"
    )
    assert verdict_text(Verdict.NOT_APPLICABLE, "not_applicable", "no End Chat") == "not applicable: no End Chat"
    assert verdict_text(Verdict.PASS, "recovered", "") == "pass (recovered)"


def test_the_deciding_step_is_the_one_that_raised_or_first_showed_the_verdict() -> None:
    def step(status: str, verdict: str | None = None) -> dict[str, Any]:
        return {"status": status} | ({"verdict": verdict} if verdict else {})

    raised = [step("passed", "pass"), step("failed", "pass"), step("skipped")]
    assert deciding_step(raised, Verdict.ERROR) == 1
    shown = [step("passed", "pass"), step("passed", "blocked"), step("passed", "blocked")]
    assert deciding_step(shown, Verdict.BLOCKED) == 1
    assert deciding_step([step("passed"), step("passed"), step("skipped")], Verdict.BLOCKED) == 1  # older records
    assert deciding_step([], Verdict.PASS) is None


# --- a small real run ----------------------------------------------------------------------------------------

FEATURE = """\
@closing
Feature: Every verdict once
  Background:
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep

  Scenario: A rep ends the session
    When the rep ends the session
    Then the conversation is closed on the runtime
    And the chat window is read-only
    And the user can start a new conversation and reach a rep

  Scenario: The end user taps End Chat
    When the user ends the chat
    Then the conversation is closed on the runtime
    And the user can start a new conversation and reach a rep

  Scenario: The runtime is not what the scenario expects
    When the rep ends the session
    Then the conversation is still open on the runtime
"""


def _pytest_log_plugin(path: Path) -> None:
    """A plugin for the session under test: each test's status as the terminal reports it, and its warnings."""
    path.write_text(
        """\
import json

LOG = {}
CONFIG = []


def pytest_configure(config):
    CONFIG.append(config)


def pytest_runtest_logreport(report):
    if report.when == "call" or not report.passed:
        category = CONFIG[0].hook.pytest_report_teststatus(report=report, config=CONFIG[0])[0]
        LOG.setdefault(report.nodeid, {"warnings": []})["status"] = category


def pytest_warning_recorded(warning_message, when, nodeid, location):
    if nodeid and warning_message.category.__name__ == "VerdictWarning":
        LOG.setdefault(nodeid, {"warnings": []})["warnings"].append(str(warning_message.message))


def pytest_sessionfinish(session):
    with open("outcomes.json", "w") as handle:
        json.dump(LOG, handle)
""",
        encoding="utf-8",
    )


def _real_run(pytester: pytest.Pytester, fail_on: str, *extra: str) -> tuple[Results, dict[str, Any]]:
    features = pytester.path / "verdicts"
    features.mkdir()
    (features / "every_verdict.feature").write_text(FEATURE, encoding="utf-8")
    _pytest_log_plugin(pytester.path / "outcome_log.py")
    out = pytester.path / "out"
    pytester.runpytest_subprocess(
        "--pyargs",
        "harness.steps.suite",
        "-p",
        "no:cacheprovider",
        "-p",
        "outcome_log",
        f"--miaw-features={features}",
        f"--miaw-results={out}",
        "--miaw-sdk=ios-1.7",
        "--miaw-sdk=ios-1.10",
        "--miaw-app=persist-forever",
        "--miaw-app=persist-until-closed-event",
        f"--miaw-fail-on={fail_on}",
        *extra,
    )
    log = json.loads((pytester.path / "outcomes.json").read_text(encoding="utf-8"))
    return aggregate(load_runs(out), 7), log


def _pytest_outcome(entry: dict[str, Any]) -> Outcome:
    status = entry["status"]
    if status == "passed" and entry["warnings"]:
        return Outcome.WARNING
    return {"passed": Outcome.PASSED, "failed": Outcome.FAILED, "error": Outcome.ERROR, "skipped": Outcome.SKIPPED}[
        status
    ]


def _junit_outcomes(text: str) -> dict[str, Outcome]:
    found = {}
    for case in ET.fromstring(text).iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        if case.find("error") is not None:
            found[case.get("name", "")] = Outcome.ERROR
        elif case.find("failure") is not None:
            found[case.get("name", "")] = Outcome.FAILED
        elif case.find("skipped") is not None:
            found[case.get("name", "")] = Outcome.SKIPPED
        else:
            found[case.get("name", "")] = Outcome.WARNING if "warning" in properties else Outcome.PASSED
    return found


def _cucumber_outcomes(text: str) -> dict[str, Outcome]:
    found = {}
    for element in (e for feature in json.loads(text) for e in feature["elements"]):
        results = [s["result"] for s in element["steps"]]
        failed = [r for r in results if r["status"] == "failed"]
        if failed:
            found[element["name"]] = Outcome.ERROR if failed[0]["error_message"].startswith("error") else Outcome.FAILED
        elif any(r["status"] == "skipped" for r in results):
            found[element["name"]] = Outcome.SKIPPED
        elif any(line.startswith("warning: ") for s in element["steps"] for line in s.get("output", ())):
            found[element["name"]] = Outcome.WARNING
        else:
            found[element["name"]] = Outcome.PASSED
    return found


def _html_verdicts(text: str) -> dict[tuple[str, str, str], Verdict]:
    match = re.search(r'<script type="application/json" id="drilldown">(.*?)</script>', text, re.S)
    assert match is not None
    data = json.loads(match.group(1))
    strings = data["strings"]
    return {(strings[c[0]], strings[c[1]], strings[c[2]]): Verdict(strings[c[3]]) for c in data["cells"]}


def _markdown_counts(text: str, results: Results) -> dict[tuple[str, str], dict[Verdict, int]]:
    counts = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 2 + len(Verdict) and cells[0] in results.apps and cells[2].isdigit():
            counts[(cells[0], cells[1])] = {v: int(n) for v, n in zip(Verdict, cells[2:], strict=True)}
    return counts


@pytest.mark.parametrize("fail_on", ["blocked", "degraded"])
def test_every_output_reads_each_cell_of_a_real_run_as_the_mapping_says(
    pytester: pytest.Pytester, fail_on: str
) -> None:
    results, log = _real_run(pytester, fail_on)
    verdicts = Counter(cell.verdict for cell in results.cells)
    # the run covers every verdict the mock can give (needs a rep only arises against a real org)
    assert set(verdicts) == set(Verdict) - {Verdict.NEEDS_REP}, verdicts
    files = render_files(results, fail_on=fail_on)
    junit = _junit_outcomes(files["junit.xml"])
    cucumber = _cucumber_outcomes(files["cucumber.json"])
    html = _html_verdicts(files["index.html"])
    names = {s.id: s.name for s in results.scenarios}
    assert len(junit) == len(cucumber) == len(html) == len(results.cells)
    for cell in results.cells:
        expected = outcome(cell.verdict, fail_on)
        name = case_name(results, cell)
        assert junit[name] is expected, (name, "junit.xml")
        assert cucumber[name] is expected, (name, "cucumber.json")
        assert html[(names[cell.scenario_id], cell.sdk, cell.app)] is cell.verdict, (name, "index.html")
        for run in cell.runs:
            assert _pytest_outcome(log[run.nodeid]) is outcome(run.verdict, fail_on), (run.nodeid, "pytest")
    markdown = _markdown_counts(files["report.md"], results)
    for (app, sdk), tally in markdown.items():
        mine = [c for c in results.cells if (c.app, c.sdk) == (app, sdk)]
        assert tally == {v: sum(1 for c in mine if c.verdict is v) for v in Verdict}, (app, sdk, "report.md")
    assert sum(sum(t.values()) for t in markdown.values()) == len(results.cells)
    # every test case and every step that ran carries its wall-clock time
    assert all(float(case.get("time", "-1")) > 0 for case in ET.fromstring(files["junit.xml"]).iter("testcase"))
    ran = [
        s["result"]
        for f in json.loads(files["cucumber.json"])
        for e in f["elements"]
        for s in e["steps"]
        if s["result"]["status"] == "passed"
    ]
    assert ran and all(r["duration"] > 0 for r in ran)


def test_an_error_is_an_error_in_pytest_under_two_workers_too(pytester: pytest.Pytester) -> None:
    results, log = _real_run(pytester, "blocked", "-n", "2")
    errors = [run.nodeid for cell in results.cells for run in cell.runs if run.verdict is Verdict.ERROR]
    assert errors
    assert {log[nodeid]["status"] for nodeid in errors} == {"error"}


def test_a_blocked_cell_fails_at_the_step_that_showed_it(pytester: pytest.Pytester) -> None:
    results, _ = _real_run(pytester, "blocked")
    cucumber = {e["name"]: e for f in json.loads(render_files(results)["cucumber.json"]) for e in f["elements"]}
    blocked = [c for c in results.cells if c.verdict is Verdict.BLOCKED]
    assert blocked
    for cell in blocked:
        steps = cucumber[case_name(results, cell)]["steps"]
        failed = [s["name"] for s in steps if s["result"]["status"] == "failed"]
        assert failed == ["the user can start a new conversation and reach a rep"], failed
        assert not [s for s in steps if s["result"]["status"] == "skipped"]
        assert "after" not in cucumber[case_name(results, cell)]
