"""`report merge`: the results of N shards of one run, folded back into the results of the whole run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.errors import UserError
from harness.report.results import Cell, Profile, Results, Scenario, assemble


def merge(parts: Sequence[tuple[Path, Results]]) -> Results:
    """One Results from every shard of a run: the same seed, each slice K of N exactly once, no cell twice.

    The merged results equal those of an unsharded run of the same seed and selection: cells are independent (each
    run's seed derives from the base seed and the cell), and the order of everything is re-derived from the content.
    """
    if not parts:
        raise UserError("report merge needs at least one results.json")
    seeds = {results.seed for _, results in parts}
    if len(seeds) != 1:
        listed = ", ".join(f"{path}: {results.seed}" for path, results in parts)
        raise UserError(f"these results come from runs with different seeds ({listed}); merge shards of one run")
    _check_slices(parts)
    profiles: dict[str, Profile] = {}
    scenarios: dict[str, Scenario] = {}
    apps: set[str] = set()
    cells: dict[tuple[str, str, str], Cell] = {}
    owner: dict[tuple[str, str, str], Path] = {}
    for path, results in parts:
        for profile in results.profiles:
            if profiles.setdefault(profile.name, profile) != profile:
                raise UserError(f"{path}: SDK profile {profile.name} differs from the other shards' (another run?)")
        for scenario in results.scenarios:
            if scenarios.setdefault(scenario.id, scenario) != scenario:
                raise UserError(f"{path}: scenario {scenario.id} differs from the other shards' (another run?)")
        apps.update(results.apps)
        for cell in results.cells:
            if cell.key in cells:
                raise UserError(f"cell {cell.key} is in both {owner[cell.key]} and {path}: the shards overlap")
            cells[cell.key] = cell
            owner[cell.key] = path
    return assemble(seeds.pop(), profiles.values(), scenarios.values(), apps, cells.values())


def _check_slices(parts: Sequence[tuple[Path, Results]]) -> None:
    slices = [(path, results.shard) for path, results in parts]
    unsharded = [str(path) for path, shard in slices if shard is None]
    if unsharded and len(parts) > 1:
        raise UserError(f"{unsharded[0]} is not a shard (it was not written by `run --shard K/N`)")
    totals = {shard[1] for _, shard in slices if shard is not None}
    if len(totals) > 1:
        raise UserError(f"these shards split runs into different numbers of slices ({sorted(totals)})")
    if not totals:
        return
    total = totals.pop()
    seen: dict[int, Path] = {}
    for path, shard in slices:
        assert shard is not None
        if shard[0] in seen:
            raise UserError(f"{seen[shard[0]]} and {path} are both shard {shard[0]}/{total}")
        seen[shard[0]] = path
    missing = [f"{k}/{total}" for k in range(1, total + 1) if k not in seen]
    if missing:
        raise UserError(f"shard {', '.join(missing)} is missing: merge every slice of the run")
