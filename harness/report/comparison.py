"""A comparison (two runs, or two SDK profiles of one run) as CI reads it: regressions, the why, three formats."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.report.compare import Change, Direction, compare_runs, compare_versions, is_regression
from harness.report.results import Capability, Cell, Results, Verdict

COMPARE_SCHEMA = "miaw-harness/compare@1"
FORMATS = ("text", "md", "json")
MD_ROWS = 25  # rows per Markdown table: a pull-request comment stays readable
ORDER = (
    Direction.WORSE,
    Direction.BETTER,
    Direction.NEW_COVERAGE,
    Direction.NO_LONGER_APPLIES,
    Direction.ADDED,
    Direction.REMOVED,
)
ARROW = "\u2192"

# Run-specific tokens (ids, hashes, numbers) that differ between any two runs and say nothing about behaviour.
_NOISE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9A-Za-z]{15,18}\b|\d+")


def failing_verdicts(fail_on: str) -> frozenset[Verdict]:
    """What `--fail-on` counts as failing: the threshold's verdicts, and errors unless it is `never`."""
    from harness.report.junit import FAILING

    failing = FAILING[fail_on]
    return failing if fail_on == "never" else failing | {Verdict.ERROR}


@dataclass(frozen=True, slots=True)
class FlagDiff:
    """A capability whose value differs between the two SDK profiles of a comparison."""

    name: str
    before: Capability | None
    after: Capability | None

    @property
    def source(self) -> str:
        """Where the newer value comes from (the older one's when the newer profile lacks the flag)."""
        cap = self.after if self.after is not None else self.before
        return "" if cap is None else cap.source


@dataclass(frozen=True, slots=True)
class Item:
    change: Change
    scenario: str  # the scenario's readable name
    regression: bool
    first_difference: str  # where the two deciding timelines part ("" when unknown)


@dataclass(frozen=True, slots=True)
class Comparison:
    kind: str  # "runs" | "sdk"
    before: str
    after: str
    fail_on: str
    items: tuple[Item, ...]
    flags: tuple[FlagDiff, ...]

    @property
    def regressions(self) -> list[Item]:
        return [i for i in self.items if i.regression]

    @property
    def failed(self) -> bool:
        return bool(self.regressions)

    def count(self, direction: Direction) -> int:
        return sum(1 for i in self.items if i.change.direction is direction)

    @property
    def summary(self) -> str:
        parts = [
            f"{self.count(d)} {d.value}" for d in ORDER if self.count(d) or d in (Direction.BETTER, Direction.WORSE)
        ]
        return f"{self.before} {ARROW} {self.after}: " + ", ".join(parts)

    @property
    def verdict_line(self) -> str:
        """The one line CI prints last: did the comparison find a regression at or above `--fail-on`?"""
        regressions = self.regressions
        if not regressions:
            return f"OK: no cell got worse at or above --fail-on {self.fail_on}."
        sample = "; ".join(i.change.label for i in regressions[:3])
        more = f"; and {len(regressions) - 3} more" if len(regressions) > 3 else ""
        noun = "cell" if len(regressions) == 1 else "cells"
        return f"FAILED: {len(regressions)} {noun} got worse at or above --fail-on {self.fail_on}: {sample}{more}"


def compare_run_files(before: Results, after: Results, before_name: str, after_name: str, fail_on: str) -> Comparison:
    changes = compare_runs(before, after)
    return _build("runs", before_name, after_name, fail_on, changes, before, after, ())


def compare_sdk_profiles(results: Results, older: str, newer: str, fail_on: str) -> Comparison:
    changes = compare_versions(results, older, newer)
    return _build("sdk", older, newer, fail_on, changes, results, results, flag_differences(results, older, newer))


def flag_differences(results: Results, older: str, newer: str) -> tuple[FlagDiff, ...]:
    a, b = results.profile(older).capabilities, results.profile(newer).capabilities
    return tuple(
        FlagDiff(name, a.get(name), b.get(name))
        for name in sorted(a.keys() | b.keys())
        if _value(a.get(name)) != _value(b.get(name))
    )


def _value(cap: Capability | None) -> Any:
    return None if cap is None else cap.value


def _build(
    kind: str,
    before_name: str,
    after_name: str,
    fail_on: str,
    changes: Sequence[Change],
    before: Results,
    after: Results,
    flags: tuple[FlagDiff, ...],
) -> Comparison:
    failing = failing_verdicts(fail_on)
    old, new = before.cell_map(), after.cell_map()
    names = {s.id: s.name for s in (*before.scenarios, *after.scenarios)}
    items = []
    for change in sorted(changes, key=lambda c: ORDER.index(c.direction)):
        a = old.get((change.scenario_id, change.before_sdk, change.app))
        b = new.get((change.scenario_id, change.after_sdk, change.app))
        items.append(
            Item(
                change,
                names.get(change.scenario_id, change.scenario_id),
                is_regression(change, failing),
                _parting(a, b),
            )
        )
    return Comparison(kind, before_name, after_name, fail_on, tuple(items), flags)


def _norm(step: Mapping[str, Any]) -> str:
    return _NOISE.sub("#", f"{step.get('actor')}: {step.get('summary')}")


def _parting(before: Cell | None, after: Cell | None) -> str:
    """The first evidence step where the deciding timelines of the two cells differ, ids and numbers aside."""
    if before is None or after is None:
        return ""
    run_b = after.deciding_run
    run_a = next((r for r in before.runs if r.variant == run_b.variant), before.deciding_run)
    steps_a, steps_b = [_norm(s) for s in run_a.evidence], [_norm(s) for s in run_b.evidence]
    for index, (x, y) in enumerate(zip(steps_a, steps_b, strict=False)):
        if x != y:
            was, now = _summary(run_a.evidence[index]), _summary(run_b.evidence[index])
            return f"step {index + 1} [{run_b.variant}]: {was} {ARROW} {now}"
    if len(steps_a) != len(steps_b):
        index = min(len(steps_a), len(steps_b))
        longer = run_b.evidence if len(steps_b) > len(steps_a) else run_a.evidence
        side = "only after" if len(steps_b) > len(steps_a) else "only before"
        return f"step {index + 1} [{run_b.variant}] {side}: {_summary(longer[index])}"
    return ""


def _summary(step: Mapping[str, Any]) -> str:
    return f"{step.get('actor')}: {step.get('summary')}"


# --- grids: rows are scenarios (and SDK when two runs are compared), columns are app strategies ---------------------


def grid(items: Sequence[Item]) -> tuple[list[str], list[tuple[str, str, dict[str, Item]]]]:
    """The changed cells side by side: (apps, rows of (scenario, sdk, {app: item}))."""
    apps = sorted({i.change.app for i in items})
    rows: dict[tuple[str, str], dict[str, Item]] = {}
    for item in items:
        c = item.change
        sdk = c.after_sdk if c.before_sdk == c.after_sdk else f"{c.before_sdk} {ARROW} {c.after_sdk}"
        rows.setdefault((item.scenario, sdk), {})[c.app] = item
    return apps, [(scenario, sdk, row) for (scenario, sdk), row in rows.items()]


def transition(item: Item) -> str:
    c = item.change
    before = c.before.value if c.before else "absent"
    after = c.after.value if c.after else "absent"
    return f"{before} {ARROW} {after}"


def _flag_text(cap: Capability | None) -> str:
    if cap is None:
        return "absent"
    return f"{json.dumps(cap.value)} ({cap.evidence})"


# --- Markdown ------------------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_md(comparison: Comparison) -> str:
    lines = [f"### SDK comparison: {comparison.before} {ARROW} {comparison.after}"]
    if comparison.kind == "runs":
        lines = [f"### Conformance: {comparison.before} {ARROW} {comparison.after}"]
    lines += ["", f"**{comparison.verdict_line}**", "", comparison.summary + ".", ""]
    if comparison.flags:
        lines += [f"#### Why: {len(comparison.flags)} capabilities differ", ""]
        lines += [f"| Capability | {comparison.before} | {comparison.after} | Evidence |", "|---|---|---|---|"]
        for flag in comparison.flags:
            source = flag.source
            lines.append(
                f"| `{flag.name}` | {_md(_flag_text(flag.before))} | {_md(_flag_text(flag.after))} | {_md(source)} |"
            )
        lines.append("")
    sections = (
        ("Regressions", [i for i in comparison.items if i.regression]),
        (
            "Also worse (below --fail-on)",
            [i for i in comparison.items if i.change.direction is Direction.WORSE and not i.regression],
        ),
        ("Improvements", [i for i in comparison.items if i.change.direction is Direction.BETTER]),
        ("New coverage", [i for i in comparison.items if i.change.direction is Direction.NEW_COVERAGE]),
    )
    for title, items in sections:
        if items:
            lines += _md_grid(f"{title} ({len(items)})", items)
    return "\n".join(lines)


def _md_grid(title: str, items: Sequence[Item]) -> list[str]:
    apps, rows = grid(items)
    lines = [f"#### {title}", "", "| Scenario | SDK | " + " | ".join(apps) + " |", "|---|---|" + "---|" * len(apps)]
    for scenario, sdk, row in rows[:MD_ROWS]:
        lines.append(
            f"| {_md(scenario)} | {sdk} | " + " | ".join(transition(row[a]) if a in row else "" for a in apps) + " |"
        )
    if len(rows) > MD_ROWS:
        lines.append(f"\n… and {len(rows) - MD_ROWS} more rows (`--format json` has them all).")
    lines.append("")
    return lines


# --- JSON ----------------------------------------------------------------------------------------------------------


def to_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "schema": COMPARE_SCHEMA,
        "kind": comparison.kind,
        "before": comparison.before,
        "after": comparison.after,
        "fail_on": comparison.fail_on,
        "failed": comparison.failed,
        "counts": {d.value: comparison.count(d) for d in ORDER} | {"regressions": len(comparison.regressions)},
        "flags": [
            {"name": f.name, "before": _cap_json(f.before), "after": _cap_json(f.after)} for f in comparison.flags
        ],
        "changes": [
            {
                "scenario_id": i.change.scenario_id,
                "scenario": i.scenario,
                "app": i.change.app,
                "before_sdk": i.change.before_sdk,
                "after_sdk": i.change.after_sdk,
                "before": i.change.before.value if i.change.before else None,
                "after": i.change.after.value if i.change.after else None,
                "direction": i.change.direction.value,
                "regression": i.regression,
                "reason": i.change.reason,
                "first_difference": i.first_difference,
            }
            for i in comparison.items
        ],
    }


def _cap_json(cap: Capability | None) -> dict[str, Any] | None:
    return None if cap is None else {"value": cap.value, "evidence": cap.evidence, "source": cap.source}


def render_json(comparison: Comparison) -> str:
    return json.dumps(to_json(comparison), indent=1, ensure_ascii=False) + "\n"


# --- text (a terminal or a CI log) ----------------------------------------------------------------------------------


def print_text(comparison: Comparison, console: Console) -> None:
    console.print(comparison.summary, soft_wrap=True)
    if comparison.flags:
        table = Table(title=f"Why: capabilities that differ ({comparison.before} {ARROW} {comparison.after})")
        for column in ("capability", comparison.before, comparison.after, "evidence"):
            table.add_column(column)
        for flag in comparison.flags:
            table.add_row(flag.name, _flag_text(flag.before), _flag_text(flag.after), flag.source)
        console.print(table)
    for direction in ORDER:
        items = [i for i in comparison.items if i.change.direction is direction]
        if not items:
            continue
        apps, rows = grid(items)
        table = Table(title=f"{direction.value} ({len(items)} cells)")
        table.add_column("scenario")
        table.add_column("SDK", no_wrap=True)
        for app in apps:
            table.add_column(app)
        for scenario, sdk, row in rows:
            table.add_row(scenario, sdk, *((_marked(row[a]) if a in row else "") for a in apps))
        console.print(table)
    regressions = comparison.regressions
    for item in regressions:
        if item.first_difference:
            console.print(
                f"  {item.change.label}: {item.first_difference}", markup=False, highlight=False, soft_wrap=True
            )
    console.print(
        comparison.verdict_line, markup=False, highlight=False, soft_wrap=True, style="bold red" if regressions else ""
    )


def _marked(item: Item) -> Text:
    return Text(transition(item), style="bold red" if item.regression else "")
