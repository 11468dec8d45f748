"""`cucumber.json`: the Cucumber JSON report built from the run records' steps (whole under pytest-xdist too).

One scenario element per cell (scenario, SDK profile, app strategy): its steps are those of the run that decided
the verdict, and its description lists every runtime variant's verdict. The cell's verdict reads as the mapping in
`harness.report.outcomes` says: a failure is a failed step (the one where the evidence shows it), a skip a skipped
step with the reason, a warning an `output` line on the step that showed it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from harness.report.junit import case_name
from harness.report.outcomes import Outcome, deciding_step, outcome, verdict_text
from harness.report.results import Cell, Results, Run, Scenario

_STATUS = {"passed": "passed", "failed": "failed", "skipped": "skipped", "pending": "pending", "undefined": "undefined"}
# the status the deciding step takes for each outcome (None: as the step ran)
_DECIDING_STATUS: dict[Outcome, str | None] = {
    Outcome.PASSED: None,
    Outcome.WARNING: None,
    Outcome.FAILED: "failed",
    Outcome.ERROR: "failed",
    Outcome.SKIPPED: "skipped",
}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


def _tags(names: tuple[str, ...], line: int) -> list[dict[str, Any]]:
    return [{"name": f"@{n}", "line": max(line - 1, 1)} for n in names]


def _variants(cell: Cell) -> str:
    parts = [f"{run.variant}: {verdict_text(run.verdict, run.reason_code, '')}, seed {run.seed}" for run in cell.runs]
    return "runtime variants: " + "; ".join(parts) + f". Steps of {cell.deciding_run.variant}."


def _steps(scenario: Scenario, cell: Cell, run: Run, fail_on: str) -> list[dict[str, Any]]:
    result = outcome(cell.verdict, fail_on)
    deciding = deciding_step(run.steps, cell.verdict)
    message = verdict_text(cell.verdict, cell.reason_code, cell.reason)
    if cell.broken_by:
        message += f" (broken by runtime variant(s): {', '.join(cell.broken_by)})"
    steps = []
    for position, step in enumerate(run.steps):
        status = str(step.get("status", "undefined"))
        entry: dict[str, Any] = {
            "keyword": f"{step.get('keyword', 'Step')} ",
            "name": str(step.get("name", "")),
            "line": int(step.get("line") or scenario.line or 1),
            "match": {"location": scenario.feature_file},
            "result": _result(status, step.get("error")),
        }
        if status in ("passed", "failed") and position < len(run.step_ms) and run.step_ms[position] is not None:
            entry["result"]["duration"] = round((run.step_ms[position] or 0.0) * 1_000_000)  # nanoseconds
        if position == deciding:
            forced = _DECIDING_STATUS[result]
            if forced is not None:
                entry["result"] |= {"status": forced, "error_message": _with_error(message, step.get("error"))}
            elif result is Outcome.WARNING:
                entry["output"] = [f"warning: {message}"]
        steps.append(entry)
    return steps


def _with_error(message: str, error: Any) -> str:
    """The verdict's message, and the step's exception when it says more ('NotApplicable: x' adds nothing to x)."""
    if not error or str(error).split(": ", 1)[-1] in message:
        return message
    return f"{message}\n{error}"


def _element(
    results: Results, feature: Mapping[str, Any], scenario: Scenario, cell: Cell, fail_on: str
) -> dict[str, Any]:
    name = case_name(results, cell)
    return {
        "id": f"{feature['id']};{_slug(name)}",
        "keyword": "Scenario",
        "type": "scenario",
        "name": name,
        "line": max(scenario.line, 1),
        "description": _variants(cell),
        "tags": _tags(scenario.tags, scenario.line),
        "steps": _steps(scenario, cell, cell.deciding_run, fail_on),
    }


def to_cucumber(results: Results, fail_on: str = "blocked") -> list[dict[str, Any]]:
    features: dict[str, dict[str, Any]] = {}
    for cell in results.cells:
        scenario = results.scenario(cell.scenario_id)
        uri = scenario.feature_file or scenario.id.split("/", 1)[0]
        feature = features.get(uri)
        if feature is None:
            feature = {
                "uri": uri,
                "id": _slug(scenario.feature or uri),
                "keyword": "Feature",
                "name": scenario.feature or uri,
                "line": max(scenario.feature_line, 1),
                "description": "",
                "tags": [],
                "elements": [],
            }
            features[uri] = feature
        feature["elements"].append(_element(results, feature, scenario, cell, fail_on))
    return [features[uri] for uri in sorted(features)]


def _result(status: str, error: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"status": _STATUS.get(status, "undefined")}
    if error:
        result["error_message"] = str(error)
    return result


def render_cucumber(results: Results, fail_on: str = "blocked") -> str:
    # one feature per line: compact enough for large matrices, still diffable feature by feature
    return "[\n" + ",\n".join(json.dumps(f, ensure_ascii=False) for f in to_cucumber(results, fail_on)) + "\n]\n"
