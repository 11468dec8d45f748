"""`miaw-harness run` end to end on a small selection of the bundled suite, serial and with two workers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.results import Verdict, read_results

SELECTION = ["--sdk", "android-1.10", "--app", "persist-until-closed-event", "--seed", "7"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[int]]:
    base = tmp_path_factory.mktemp("suite")
    codes = [
        main(["run", *SELECTION, "-n", "0", "--out", str(base / "serial")]),
        main(["run", *SELECTION, "-n", "2", "--out", str(base / "parallel")]),
    ]
    return base / "serial", base / "parallel", codes


def test_the_bundled_suite_runs_and_reports(runs: tuple[Path, Path, list[int]]) -> None:
    serial, _, codes = runs
    results = read_results(serial / "results.json")
    sdk_cells = [c for c in results.cells if c.sdk == "android-1.10"]
    assert sdk_cells
    assert {c.app for c in sdk_cells} == {"persist-until-closed-event"}
    assert all(c.verdict is not Verdict.ERROR for c in results.cells)
    blocked = any(c.verdict is Verdict.BLOCKED for c in results.cells)
    assert codes[0] == (1 if blocked else 0)
    assert all(run.evidence for c in sdk_cells for run in c.runs)
    junit = ET.parse(serial / "junit.xml").getroot()
    assert int(junit.get("tests", "0")) == len(results.cells)
    cucumber = json.loads((serial / "cucumber.json").read_text(encoding="utf-8"))
    assert sum(len(f["elements"]) for f in cucumber) == len(results.cells)


def test_serial_and_two_workers_give_the_same_verdicts(runs: tuple[Path, Path, list[int]]) -> None:
    serial, parallel, codes = runs
    assert codes[0] == codes[1]
    one, two = read_results(serial / "results.json"), read_results(parallel / "results.json")
    assert [(c.key, c.verdict, c.reason) for c in one.cells] == [(c.key, c.verdict, c.reason) for c in two.cells]
    assert (serial / "report.md").read_bytes() == (parallel / "report.md").read_bytes()
    for directory in (serial, parallel):  # built from the records, so whole under xdist too
        junit = ET.parse(directory / "junit.xml").getroot()
        assert int(junit.get("tests", "0")) == len(one.cells)
        cucumber = json.loads((directory / "cucumber.json").read_text(encoding="utf-8"))
        assert sum(len(f["elements"]) for f in cucumber) == len(one.cells)
