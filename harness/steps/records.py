"""Where run records go: one JSON line per run, one file per xdist worker (`--miaw-results DIR`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.run.records import RunRecord


def _target(config: pytest.Config) -> tuple[Path, str] | None:
    out = config.getoption("miaw_results", None)
    if not out:
        return None
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    return path, worker


def write(config: pytest.Config, record: RunRecord) -> None:
    target = _target(config)
    if target is None:
        return
    directory, worker = target
    with (directory / f"runs-{worker}.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")


def write_collected(config: pytest.Config, collected: int) -> None:
    target = _target(config)
    if target is None:
        return
    directory, worker = target
    (directory / f"collected-{worker}.json").write_text(json.dumps({"collected": collected}), encoding="utf-8")
