"""The share of users blocked per SDK version and platform, one stacked bar per platform and app strategy.

Without an install base every version counts the same; with `--install-base` a version's segment is as wide as
its share of the platform's active users, so the blocked share is the share of real users who would be blocked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.report.readiness import InstallRow, Readiness, Standing, nearest_profile
from harness.report.results import Results


@dataclass(frozen=True, slots=True)
class Segment:
    label: str  # "ios 1.9.0"
    standing: str  # safe | degraded | unverified | blocked
    share: float  # percent of the bar


@dataclass(frozen=True, slots=True)
class Bar:
    app: str
    platform: str
    segments: tuple[Segment, ...]
    weighted: bool  # by active users (install base) or one version one share

    @property
    def blocked_pct(self) -> float:
        return round(float(sum(s.share for s in self.segments if s.standing == Standing.BLOCKED.value)), 1)


def blocked_bars(results: Results, readiness: Readiness, install: Sequence[InstallRow] | None) -> list[Bar]:
    bars: list[Bar] = []
    for app in results.matrix_apps():
        for platform in results.platforms():
            rows = [s for s in readiness.standings if s.app == app and s.profile.platform == platform]
            if not rows:
                continue
            weights = {s.profile.name: 1.0 for s in rows}
            weighted = False
            if install is not None:
                users = dict.fromkeys(weights, 0.0)
                for row in install:
                    profile = nearest_profile(results.profiles, row.platform, row.version)
                    if row.platform == platform and profile is not None and profile.name in users:
                        users[profile.name] += row.users
                if sum(users.values()) > 0:
                    weights, weighted = users, True
            total = sum(weights.values())
            segments = tuple(
                Segment(s.profile.label, s.standing.value, round(100.0 * weights[s.profile.name] / total, 1))
                for s in rows
                if weights[s.profile.name] > 0
            )
            bars.append(Bar(app, platform, segments, weighted))
    return bars
