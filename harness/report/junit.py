"""`junit.xml`: one test case per cell, built from the run records so it stays whole under pytest-xdist."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.report.results import Cell, Results, Verdict

# Which verdicts a CI reading junit.xml should see as failures, per `--fail-on` threshold.
FAILING: dict[str, frozenset[Verdict]] = {
    "blocked": frozenset({Verdict.BLOCKED}),
    "degraded": frozenset({Verdict.BLOCKED, Verdict.DEGRADED, Verdict.NEEDS_REP}),
    "never": frozenset(),
}


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


def render_junit(results: Results, fail_on: str = "blocked") -> str:
    failing = FAILING[fail_on]
    root = ET.Element("testsuites", name="miaw-harness")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for app in results.apps:
        cells = results.cells_for(app)
        suite = ET.SubElement(root, "testsuite", name=f"session-based-chat.{app}")
        tally = {"tests": len(cells), "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="app_strategy", value=app)
        ET.SubElement(props, "property", name="seed", value=str(results.seed))
        for cell in cells:
            scenario = results.scenario(cell.scenario_id)
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{scenario.name} [{cell.sdk}]",
                classname=f"{app}.{cell.sdk}.{scenario.id.replace('/', '.')}",
                file=scenario.feature_file,
                line=str(scenario.line),
            )
            message = f"{cell.verdict.value}: {cell.reason}" if cell.reason else cell.verdict.value
            if cell.verdict is Verdict.ERROR:
                ET.SubElement(
                    case, "error", message=message, type=cell.reason_code or "harness_error"
                ).text = _evidence_text(cell)
                tally["errors"] += 1
            elif cell.verdict in failing:
                ET.SubElement(
                    case, "failure", message=message, type=cell.reason_code or cell.verdict.value
                ).text = _evidence_text(cell)
                tally["failures"] += 1
            elif cell.verdict in (Verdict.NOT_APPLICABLE, Verdict.NEEDS_REP):
                ET.SubElement(case, "skipped", message=message)
                tally["skipped"] += 1
            elif cell.verdict is not Verdict.PASS:
                ET.SubElement(case, "system-out").text = _evidence_text(cell)
        for key, value in tally.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
