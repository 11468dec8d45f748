"""`report --compare` as a CI gate: exit 1 on a regression at or above --fail-on, the why, text / md / json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report import report_records as RECORDS

from harness.cli import main
from harness.report.comparison import COMPARE_SCHEMA
from harness.report.directory import write_report
from harness.report.results import aggregate


def _write(tmp_path: Path, name: str, records: list[dict[str, object]]) -> Path:
    return write_report(aggregate(records, 42, RECORDS.fake_profiles()), tmp_path / name) / "results.json"


def _pair(tmp_path: Path, before: str, after: str, sdk: str = "ios-1.9") -> tuple[Path, Path]:
    old = _write(tmp_path, "old", [RECORDS.make_run(sdk=sdk, verdict=before), RECORDS.make_run(sdk="web")])
    new = _write(tmp_path, "new", [RECORDS.make_run(sdk=sdk, verdict=after), RECORDS.make_run(sdk="web")])
    return old, new


def test_a_regression_to_blocked_fails_the_comparison_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _pair(tmp_path, "pass", "blocked")
    assert main(["report", str(new), "--compare", str(old)]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAILED:")]
    assert len(failed) == 1
    assert "1 cell got worse at or above --fail-on blocked" in failed[0]
    assert "a-rep-ends-the-session [ios-1.9, persist-forever]: pass -> blocked" in failed[0]


@pytest.mark.parametrize(("fail_on", "code"), [("blocked", 0), ("degraded", 1), ("never", 0)])
def test_fail_on_sets_the_threshold(tmp_path: Path, fail_on: str, code: int) -> None:
    old, new = _pair(tmp_path, "pass", "degraded")
    assert main(["report", str(new), "--compare", str(old), "--fail-on", fail_on]) == code


def test_a_cell_that_starts_to_apply_and_passes_is_new_coverage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = _pair(tmp_path, "not_applicable", "pass")
    assert main(["report", str(new), "--compare", str(old), "--fail-on", "degraded", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["new coverage"] == 1
    assert data["counts"]["worse"] == 0 and data["counts"]["regressions"] == 0
    assert [c["direction"] for c in data["changes"]] == ["new coverage"]


def test_json_output_is_pure_json_with_a_stable_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair(tmp_path, "pass", "blocked")
    assert main(["report", str(new), "--compare", str(old), "--format", "json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["schema"] == COMPARE_SCHEMA
    assert set(data) == {"schema", "kind", "before", "after", "fail_on", "failed", "counts", "flags", "changes"}
    assert data["failed"] is True and data["kind"] == "runs"
    change = data["changes"][0]
    assert (change["before"], change["after"], change["regression"]) == ("pass", "blocked", True)
    assert captured.err.startswith("FAILED:")


def test_markdown_has_the_summary_and_the_regressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _pair(tmp_path, "pass", "blocked")
    assert main(["report", str(new), "--compare", str(old), "--format", "md"]) == 1
    text = capsys.readouterr().out
    assert "**FAILED: 1 cell got worse" in text
    assert "#### Regressions (1)" in text
    assert "| A rep ends the session | ios-1.9 | pass → blocked |" in text


def test_compare_sdk_says_why_next_to_the_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _write(tmp_path, "run", RECORDS.matrix_records())
    assert main(["report", str(results), "--compare-sdk", "ios-1.9", "ios-1.10", "--format", "md"]) == 0
    text = capsys.readouterr().out
    assert "#### Why: 1 capabilities differ" in text
    assert "| `typed_close_entry` | false (documented) | true (documented) | sdk-versions.md 4.2 |" in text
    # side by side: one row per scenario, one column per app strategy
    assert "| Scenario | SDK | persist-forever |" in text
    assert "| A rep ends the session | ios-1.9 → ios-1.10 | blocked → degraded |" in text


def test_compare_sdk_regression_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _write(tmp_path, "run", RECORDS.matrix_records())
    assert main(["report", str(results), "--compare-sdk", "ios-1.10", "ios-1.9"]) == 1
    out = capsys.readouterr().out
    assert "Why: capabilities that differ" in out
    assert "typed_close_entry" in out
    assert out.rstrip().splitlines()[-1].startswith("FAILED: 2 cells got worse")
