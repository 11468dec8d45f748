"""What changed between two runs and between two SDK versions."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.report.compare import Direction, compare_runs, compare_versions, version_steps
from harness.report.results import Verdict, aggregate

from .report_records import fake_profiles, make_run, matrix_records


@pytest.mark.parametrize(
    ("before", "after", "direction"),
    [
        ("pass", "blocked", Direction.WORSE),
        ("blocked", "degraded", Direction.BETTER),
        ("error", "pass", Direction.BETTER),
        ("pass", "not_applicable", Direction.NO_LONGER_APPLIES),
        ("not_applicable", "degraded", Direction.WORSE),
        ("not_applicable", "pass", Direction.NEW_COVERAGE),
        ("pass", "pass", None),
    ],
)
def test_compare_runs(before: str, after: str, direction: Direction | None) -> None:
    old = aggregate([make_run(verdict=before)], 1)
    new = aggregate([make_run(verdict=after)], 2)
    changes = compare_runs(old, new)
    assert [c.direction for c in changes] == ([direction] if direction else [])


def test_cells_only_in_one_run_are_added_or_removed() -> None:
    old = aggregate([make_run(sdk="ios-1.9")], 1)
    new = aggregate([make_run(sdk="ios-1.10", verdict="blocked")], 1)
    changes = compare_runs(old, new)
    assert [(c.direction, c.before_sdk, c.before, c.after) for c in changes] == [
        (Direction.ADDED, "ios-1.10", None, Verdict.BLOCKED),
        (Direction.REMOVED, "ios-1.9", Verdict.PASS, None),
    ]
    assert changes[0].label.endswith("absent -> blocked")


def test_compare_versions_within_one_run() -> None:
    results = aggregate(matrix_records(), 1, fake_profiles())
    changes = compare_versions(results, "ios-1.9", "ios-1.10")
    assert {c.direction for c in changes} == {Direction.BETTER}
    assert {(c.before, c.after) for c in changes} == {(Verdict.BLOCKED, Verdict.DEGRADED)}
    assert changes[0].label.startswith("session-based-chat/a-rep-ends-the-session [ios-1.9 -> ios-1.10")
    assert [(a, b) for a, b, _ in version_steps(results)] == [("ios-1.9", "ios-1.10"), ("android-1.8", "android-1.10")]


def test_compare_versions_names_unknown_profiles() -> None:
    results = aggregate(matrix_records(), 1, fake_profiles())
    with pytest.raises(UserError, match=r"'ios-9\.9' is not in these results"):
        compare_versions(results, "ios-9.9", "ios-1.10")
