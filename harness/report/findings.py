"""Identical findings folded together: cells of one app strategy that fail the same way, as one row."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.report.results import Cell, Results, Verdict, platform_rank, version_key

_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Finding:
    """Cells with the same app strategy, verdict, reason code, broken-by variants and reason (numbers aside)."""

    app: str
    verdict: Verdict
    reason_code: str
    reason: str  # the reason of the first cell
    broken_by: tuple[str, ...]
    cells: tuple[Cell, ...]

    def sdk_text(self, results: Results) -> str:
        """The SDK versions, per platform, as compact as the run allows: 'ios 1.0 to 1.11 (7 versions), android 1.8'."""
        profiles = {p.name: p for p in results.profiles}
        by_platform: dict[str, set[str]] = {}
        for cell in self.cells:
            profile = profiles.get(cell.sdk)
            platform, version = (profile.platform, profile.version) if profile else (cell.sdk, "")
            by_platform.setdefault(platform, set()).add(version)
        parts = []
        for platform in sorted(by_platform, key=platform_rank):
            versions = sorted(by_platform[platform], key=version_key)
            if len(versions) == 1:
                parts.append(f"{platform} {versions[0]}".strip())
            else:
                parts.append(f"{platform} {versions[0]} to {versions[-1]} ({len(versions)} versions)")
        return ", ".join(parts)

    def scenario_ids(self) -> list[str]:
        return list(dict.fromkeys(c.scenario_id for c in self.cells))


def group_findings(cells: Iterable[Cell]) -> list[Finding]:
    """Group cells into findings, in the order their first cell comes (cells are in matrix order)."""
    groups: dict[tuple[str, Verdict, str, str, tuple[str, ...]], list[Cell]] = {}
    for cell in cells:
        key = (cell.app, cell.verdict, cell.reason_code, _NUMBER.sub("#", cell.reason), cell.broken_by)
        groups.setdefault(key, []).append(cell)
    return [
        Finding(app, verdict, code, found[0].reason, broken_by, tuple(found))
        for (app, verdict, code, _, broken_by), found in groups.items()
    ]
