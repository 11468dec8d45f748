"""`cucumber.json`: the Cucumber JSON report built from the run records' steps (whole under pytest-xdist too)."""

from __future__ import annotations

import json
import re
from typing import Any

from harness.report.junit import FAILING
from harness.report.results import Results, Verdict

_STATUS = {"passed": "passed", "failed": "failed", "skipped": "skipped", "pending": "pending", "undefined": "undefined"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


def _tags(names: tuple[str, ...], line: int) -> list[dict[str, Any]]:
    return [{"name": f"@{n}", "line": max(line - 1, 1)} for n in names]


def to_cucumber(results: Results, fail_on: str = "blocked") -> list[dict[str, Any]]:
    failing = FAILING[fail_on] | {Verdict.ERROR}
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
        for run in cell.runs:
            name = f"{scenario.name} [{cell.sdk}, {cell.app}, {run.variant}]"
            steps = [
                {
                    "keyword": f"{step.get('keyword', 'Step')} ",
                    "name": str(step.get("name", "")),
                    "line": int(step.get("line") or scenario.line or 1),
                    "match": {"location": scenario.feature_file},
                    "result": _result(str(step.get("status", "undefined")), step.get("error")),
                }
                for step in run.steps
            ]
            verdict_status = "failed" if run.verdict in failing else "passed"
            verdict_result: dict[str, Any] = {"status": verdict_status}
            if verdict_status == "failed" or run.verdict is not Verdict.PASS:
                verdict_result["error_message"] = f"verdict {run.verdict.value} ({run.reason_code}): {run.reason}"
            feature["elements"].append(
                {
                    "id": f"{feature['id']};{_slug(name)}",
                    "keyword": "Scenario",
                    "type": "scenario",
                    "name": name,
                    "line": max(scenario.line, 1),
                    "description": f"seed {run.seed}",
                    "tags": _tags(scenario.tags, scenario.line),
                    "steps": steps,
                    "after": [{"match": {"location": "miaw-harness verdict"}, "result": verdict_result}],
                }
            )
    return [features[uri] for uri in sorted(features)]


def _result(status: str, error: Any) -> dict[str, Any]:
    # durations are wall-clock measurements and are left out, so two runs of one seed give one file
    result: dict[str, Any] = {"status": _STATUS.get(status, "undefined")}
    if error:
        result["error_message"] = str(error)
    return result


def render_cucumber(results: Results, fail_on: str = "blocked") -> str:
    # one feature per line: compact enough for large matrices, still diffable feature by feature
    return "[\n" + ",\n".join(json.dumps(f, ensure_ascii=False) for f in to_cucumber(results, fail_on)) + "\n]\n"
