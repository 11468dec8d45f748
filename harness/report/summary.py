"""`summary.json`: the headline of a run for CI (`run --summary-json FILE`), without parsing results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.report.readiness import Readiness
from harness.report.results import Results, Verdict, counts

SUMMARY_SCHEMA = "miaw-harness/summary@1"


def summary(
    results: Results, readiness: Readiness, fail_on: str, exit_code: int, report: Path | None
) -> dict[str, Any]:
    tally = counts(results.cells)
    return {
        "schema": SUMMARY_SCHEMA,
        "seed": results.seed,
        "shard": None if results.shard is None else f"{results.shard[0]}/{results.shard[1]}",
        "cells": len(results.cells),
        "verdicts": {v.value: tally[v] for v in Verdict},
        "fail_on": fail_on,
        "failed": exit_code != 0,
        "exit_code": exit_code,
        "headline": readiness.headline,
        "blocks": readiness.blocks_line,
        "minimum_sdk": [{"app": m.app, "platform": m.platform, "minimum": m.text} for m in readiness.minimums],
        "blocked": [
            {"scenario_id": c.scenario_id, "sdk": c.sdk, "app": c.app, "reason_code": c.reason_code}
            for c in results.cells
            if c.verdict is Verdict.BLOCKED
        ],
        "report": None if report is None else str(report),
    }


def is_summary(path: Path) -> bool:
    """Whether `path` holds a summary written by `write_summary` (the only file `--summary-json` may replace)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("schema") == SUMMARY_SCHEMA


def write_summary(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
