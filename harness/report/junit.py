"""`junit.xml`: one test case per cell, built from the run records so it stays whole under pytest-xdist.

A cell's verdict becomes a pass, a failure, an error or a skip by `harness.report.outcomes` (the one mapping every
output follows); a cell that passes with a warning carries a `warning` property. One test suite per SDK profile
and app strategy, named for both ("ios SDK 1.9.0 · app persist-forever").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from harness.report.outcomes import FAILING as FAILING  # re-exported: the commands' `--fail-on` choices
from harness.report.outcomes import Outcome, outcome, verdict_text
from harness.report.results import Cell, Results, Verdict


def _evidence_text(cell: Cell) -> str:
    lines = [cell.reason, ""]
    if cell.broken_by:
        lines.append(f"broken by runtime variant(s): {', '.join(cell.broken_by)}")
    for run in cell.runs:
        lines.append(f"[{run.variant}] {run.verdict.value} ({run.reason_code}) seed={run.seed}: {run.reason}")
    lines.append("")
    for step in cell.deciding_run.evidence:
        lines.append(f"{step.get('seq')}. {step.get('kind')}/{step.get('actor')}: {step.get('summary')}")
    return "\n".join(lines)


def cell_seconds(cell: Cell) -> float | None:
    """Wall-clock seconds of every run of the cell; None when a run's time is unknown (re-rendered results)."""
    durations = [run.duration_ms for run in cell.runs]
    if any(d is None for d in durations):
        return None
    return sum(d for d in durations if d is not None) / 1000


def suite_name(results: Results, cell: Cell) -> str:
    rows = {p.name: p for p in results.sdk_profiles()}
    profile = rows.get(cell.sdk)
    sdk = f"{profile.platform} SDK {profile.version}" if profile is not None else cell.sdk
    return sdk if cell.app in ("", "-") else f"{sdk} · app {cell.app}"


def case_name(results: Results, cell: Cell) -> str:
    """'A rep ends the session [ios-1.9, persist-forever]'; an org-level check (no SDK, no app) by its name alone.
    cucumber.json names its scenarios the same way."""
    name = results.scenario(cell.scenario_id).name
    return name if cell.app in ("", "-") else f"{name} [{cell.sdk}, {cell.app}]"


def class_name(results: Results, cell: Cell) -> str:
    """The feature file as a dotted name ('session_based_chat.session_end'): CI servers read the part before the
    last dot as a package and the rest as a class."""
    scenario = results.scenario(cell.scenario_id)
    path = scenario.feature_file.removesuffix(".feature") or scenario.id.split("/", 1)[0]
    return path.replace(".", "_").replace("/", ".")


def _suites(results: Results) -> Iterator[list[Cell]]:
    # cells are ordered by app, then SDK profile: each run of one (app, profile) is one suite
    group: list[Cell] = []
    for cell in results.cells:
        if group and (group[0].app, group[0].sdk) != (cell.app, cell.sdk):
            yield group
            group = []
        group.append(cell)
    if group:
        yield group


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def render_junit(results: Results, fail_on: str = "blocked") -> str:
    root = ET.Element("testsuites", name="miaw-harness")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time: float | None = 0.0
    for cells in _suites(results):
        first = cells[0]
        suite = ET.SubElement(root, "testsuite", name=suite_name(results, first))
        tally = {"tests": len(cells), "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="sdk_profile", value=first.sdk)
        ET.SubElement(props, "property", name="app_strategy", value=first.app)
        ET.SubElement(props, "property", name="seed", value=str(results.seed))
        ET.SubElement(props, "property", name="fail_on", value=fail_on)
        ET.SubElement(props, "property", name="pins", value=", ".join(results.pins()) or "none")
        suite_time: float | None = 0.0
        for cell in cells:
            seconds = cell_seconds(cell)
            suite_time = None if seconds is None or suite_time is None else suite_time + seconds
            counted = _add_case(suite, results, cell, fail_on, seconds)
            if counted is not None:
                tally[counted] += 1
        for key, value in tally.items():
            suite.set(key, str(value))
            totals[key] += value
        if suite_time is not None:
            suite.set("time", _seconds(suite_time))
        total_time = None if suite_time is None or total_time is None else total_time + suite_time
    for key, value in totals.items():
        root.set(key, str(value))
    if total_time is not None:
        root.set("time", _seconds(total_time))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _add_case(suite: ET.Element, results: Results, cell: Cell, fail_on: str, seconds: float | None) -> str | None:
    """Append the cell's test case; the tally it counts under besides 'tests' (None for a pass)."""
    scenario = results.scenario(cell.scenario_id)
    case = ET.SubElement(
        suite,
        "testcase",
        name=case_name(results, cell),
        classname=class_name(results, cell),
        file=scenario.feature_file,
        line=str(scenario.line),
    )
    if seconds is not None:
        case.set("time", _seconds(seconds))
    result = outcome(cell.verdict, fail_on)
    message = verdict_text(cell.verdict, cell.reason_code, cell.reason)
    props = ET.SubElement(case, "properties")
    ET.SubElement(props, "property", name="verdict", value=cell.verdict.value)
    if cell.reason_code:
        ET.SubElement(props, "property", name="reason_code", value=cell.reason_code)
    if cell.recovery is not None:
        ET.SubElement(props, "property", name="recovery", value=cell.recovery)
    if cell.broken_by:
        ET.SubElement(props, "property", name="broken_by", value=", ".join(cell.broken_by))
    if result is Outcome.WARNING:
        ET.SubElement(props, "property", name="warning", value=message)
    if result is Outcome.ERROR:
        error = ET.SubElement(case, "error", message=message, type=cell.reason_code or "harness_error")
        error.text = _evidence_text(cell)
        return "errors"
    if result is Outcome.FAILED:
        failure = ET.SubElement(case, "failure", message=message, type=cell.reason_code or cell.verdict.value)
        failure.text = _evidence_text(cell)
        return "failures"
    if result is Outcome.SKIPPED:
        ET.SubElement(case, "skipped", message=message)
        return "skipped"
    if cell.verdict is not Verdict.PASS:
        ET.SubElement(case, "system-out").text = _evidence_text(cell)
    return None
