"""What changed between two runs, or between two SDK versions within one run: the cells that got better or worse."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum

from harness.errors import UserError
from harness.report.results import SEVERITY, Results, Verdict


class Direction(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    NEW_COVERAGE = "new coverage"  # a cell that did not apply now does, and passes: neither better nor worse
    NO_LONGER_APPLIES = "no longer applies"  # a judged cell became not applicable: coverage lost, not an improvement
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class Change:
    scenario_id: str
    app: str
    before_sdk: str
    after_sdk: str
    before: Verdict | None
    after: Verdict | None
    direction: Direction
    reason: str  # why the "after" side has its verdict (or the "before" side for a removed cell)

    @property
    def label(self) -> str:
        sdk = self.after_sdk if self.before_sdk == self.after_sdk else f"{self.before_sdk} -> {self.after_sdk}"
        before = self.before.value if self.before else "absent"
        after = self.after.value if self.after else "absent"
        return f"{self.scenario_id} [{sdk}, {self.app}]: {before} -> {after}"


def _direction(before: Verdict, after: Verdict) -> Direction | None:
    """How a cell moved. not_applicable is not on the severity scale: a cell that starts to apply and passes is new
    coverage; one that starts to apply and fails is worse (users of `after` meet it); one that stops applying is
    coverage lost, never an improvement."""
    if before is after:
        return None
    if before is Verdict.NOT_APPLICABLE:
        return Direction.NEW_COVERAGE if after is Verdict.PASS else Direction.WORSE
    if after is Verdict.NOT_APPLICABLE:
        return Direction.NO_LONGER_APPLIES
    return Direction.WORSE if SEVERITY[after] > SEVERITY[before] else Direction.BETTER


def is_regression(change: Change, failing: frozenset[Verdict]) -> bool:
    """A cell that got worse and now sits at or above the `--fail-on` threshold (`failing`)."""
    return change.direction is Direction.WORSE and change.after in failing


def compare_runs(before: Results, after: Results) -> list[Change]:
    """Every cell whose verdict differs between two results files, plus cells only one of them has."""
    old, new = before.cell_map(), after.cell_map()
    changes: list[Change] = []
    for key in sorted(old.keys() | new.keys()):
        sid, sdk, app = key
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            changes.append(Change(sid, app, sdk, sdk, None, b.verdict, Direction.ADDED, b.reason))
        elif b is None and a is not None:
            changes.append(Change(sid, app, sdk, sdk, a.verdict, None, Direction.REMOVED, a.reason))
        elif a is not None and b is not None and (d := _direction(a.verdict, b.verdict)) is not None:
            changes.append(Change(sid, app, sdk, sdk, a.verdict, b.verdict, d, b.reason))
    return changes


def compare_versions(results: Results, before_sdk: str, after_sdk: str) -> list[Change]:
    """Cells of one run whose verdict differs between two SDK profiles, per (scenario, app strategy)."""
    names = [p.name for p in results.profiles]
    for name in (before_sdk, after_sdk):
        if name not in names:
            raise UserError(f"SDK profile {name!r} is not in these results (they hold: {', '.join(names)})")
    cells = results.cell_map()
    changes: list[Change] = []
    for app in results.apps:
        for scenario in results.scenarios:
            a = cells.get((scenario.id, before_sdk, app))
            b = cells.get((scenario.id, after_sdk, app))
            if a is None or b is None:
                continue
            d = _direction(a.verdict, b.verdict)
            if d is not None:
                changes.append(Change(scenario.id, app, before_sdk, after_sdk, a.verdict, b.verdict, d, b.reason))
    return changes


def version_steps(results: Results) -> list[tuple[str, str, list[Change]]]:
    """For each platform, each pair of neighbouring SDK versions and what changed from one to the next."""
    steps: list[tuple[str, str, list[Change]]] = []
    for platform in results.platforms():
        profiles = [p for p in results.profiles if p.platform == platform]
        for older, newer in itertools.pairwise(profiles):
            changes = compare_versions(results, older.name, newer.name)
            if changes:
                steps.append((older.name, newer.name, changes))
    return steps
