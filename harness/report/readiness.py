"""Rollout readiness: which SDK versions and app strategies can turn Session-Based Chat on, and what to change."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from harness.errors import UserError
from harness.report.results import Profile, Results, Verdict, version_key
from harness.sdk.profiles import CAPABILITIES


class Standing(StrEnum):
    """How one SDK profile fares with one app strategy over every scenario of the run."""

    SAFE = "safe"
    DEGRADED = "degraded"
    UNVERIFIED = "unverified"  # a harness error or a scenario that needed a rep: not a pass, not a failure
    BLOCKED = "blocked"


# What to change in the app, keyed by the reason code of a failing cell.
ADVICE: dict[str, str] = {
    "reused_closed_id": "Clear the stored conversation id when the conversation closes, and open the next chat "
    "with a fresh UUID.",
    "relaunch_required": "Give the closed view a way forward inside the app: a 'Start a new conversation' action, or "
    "a fresh UUID when the chat is reopened (users do not know to force-quit the app).",
    "conversation_split": "Start a new conversation only when the current one is closed: after a failed send in an "
    "open conversation, retry there instead of leaving it open for a rep nobody writes to.",
    "ui_lied": "Turn the composer read-only as soon as the conversation is closed, so users never type into a "
    "conversation that refuses their messages.",
    "message_lost": "Show failed sends to the user and re-send them on the new conversation instead of dropping "
    "them silently.",
    "no_way_out": "Offer a 'Start a new conversation' action on the closed view (the SDK does not start one itself).",
    "lost_identity": "Keep the end user's identity and stored token when starting the new conversation, so the "
    "user and their history are not lost.",
    "needs_rep": "Re-run these scenarios where a rep (or the embedded mock) can play the agent side.",
    "harness_error": "The harness failed on these cells: fix or report the error, their verdict is unknown.",
}
_UNKNOWN_ADVICE = "Read the evidence of these cells: the reason code is not one this version knows."


@dataclass(frozen=True, slots=True)
class ProfileStanding:
    app: str
    profile: Profile
    standing: Standing
    failing: tuple[str, ...]  # scenario ids that are not pass / not applicable
    blocked: tuple[str, ...] = ()  # scenario ids whose cell is blocked
    degraded: tuple[str, ...] = ()  # scenario ids whose cell is degraded


@dataclass(frozen=True, slots=True)
class MinimumVersion:
    """The oldest version from which no newer bundled version blocks a user (or leaves a verdict unknown)."""

    app: str
    platform: str
    profile: Profile | None  # None: even the newest bundled version blocks users
    degraded: bool = False  # some version from `profile` up recovers only with a lost message or a lying UI
    clean: Profile | None = None  # the oldest version from which every newer one passes every scenario
    tested: tuple[str, ...] = ()  # unknown SDK flags the verdicts rest on, each run under every plausible value
    pinned: tuple[str, ...] = ()  # flags fixed by `--assume` in the versions this line covers
    assumed: tuple[str, ...] = ()  # unknown flags that open no axis (delays, counts, texts): taken as profiled

    @property
    def unknowns_text(self) -> str:
        """What a "safe" claim was tested under, in parentheses (nothing when no unknown SDK flag is involved)."""
        parts = []
        if self.tested:
            parts.append("unknown SDK behaviour run both ways: " + ", ".join(self.tested))
        if self.pinned:
            parts.append("pinned: " + ", ".join(self.pinned))
        if self.assumed:
            parts.append("assumed as profiled: " + ", ".join(self.assumed))
        return f" ({'; '.join(parts)})" if parts else ""

    @property
    def text(self) -> str:
        if self.profile is None:
            return "none"
        if not self.degraded:
            return f"{self.profile.version}+"
        if self.clean is None:
            return f"{self.profile.version}+ (degraded)"
        return f"{self.profile.version}+ (degraded below {self.clean.version})"


@dataclass(frozen=True, slots=True)
class Advice:
    reason_code: str
    text: str
    apps: tuple[str, ...]
    cells: int


@dataclass(frozen=True, slots=True)
class InstallShare:
    app: str
    blocked_pct: float
    degraded_pct: float
    unverified_pct: float
    uncovered_pct: float  # users on a platform or version older than anything in the run


@dataclass(frozen=True, slots=True)
class InstallRow:
    platform: str
    version: str
    users: int


@dataclass(frozen=True, slots=True)
class Readiness:
    standings: tuple[ProfileStanding, ...]
    minimums: tuple[MinimumVersion, ...]
    advice: tuple[Advice, ...]
    install: tuple[InstallShare, ...] | None
    total_users: int | None
    install_rows: tuple[InstallRow, ...] | None = None  # the install base the shares were computed from

    @property
    def safe_for(self) -> list[str]:
        return [
            f"{m.app} on {m.platform} {m.profile.version}+"
            + (" (with degraded recovery)" if m.degraded else "")
            + m.unknowns_text
            for m in self.minimums
            if m.profile is not None
        ]

    @property
    def blocks(self) -> list[str]:
        lines = []
        for app in dict.fromkeys(s.app for s in self.standings):
            blocked = [s for s in self.standings if s.app == app and s.standing is Standing.BLOCKED]
            if blocked:
                stuck = {sid for s in blocked for sid in s.blocked}
                degraded = {sid for s in blocked for sid in s.degraded} - stuck
                labels = ", ".join(s.profile.label for s in blocked)
                counted = f"{len(stuck)} scenario{'s' if len(stuck) != 1 else ''} blocked"
                if degraded:
                    counted += f"; {len(degraded)} more degraded"
                lines.append(f"{app} on {labels} ({counted})")
        return lines

    @property
    def headline(self) -> str:
        safe = "; ".join(self.safe_for) or "no SDK version and app strategy in this run"
        return f"Safe to enable Session-Based Chat for: {safe}."

    @property
    def blocks_line(self) -> str:
        return "Blocks users: " + ("; ".join(self.blocks) or "none in this run") + "."


def standing_of(verdicts: Sequence[Verdict]) -> Standing:
    if Verdict.BLOCKED in verdicts:
        return Standing.BLOCKED
    if Verdict.ERROR in verdicts or Verdict.NEEDS_REP in verdicts:
        return Standing.UNVERIFIED
    if Verdict.DEGRADED in verdicts:
        return Standing.DEGRADED
    return Standing.SAFE


def assess(results: Results, install_base: Sequence[InstallRow] | None = None) -> Readiness:
    standings: list[ProfileStanding] = []
    cells = results.cell_map()
    for app in results.matrix_apps():
        for profile in results.sdk_profiles():
            mine = [cells[k] for s in results.scenarios if (k := (s.id, profile.name, app)) in cells]
            if not mine:
                continue
            failing = tuple(c.scenario_id for c in mine if c.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE))
            blocked = tuple(c.scenario_id for c in mine if c.verdict is Verdict.BLOCKED)
            degraded = tuple(c.scenario_id for c in mine if c.verdict is Verdict.DEGRADED)
            standing = standing_of([c.verdict for c in mine])
            standings.append(ProfileStanding(app, profile, standing, failing, blocked, degraded))
    minimums = [
        _with_unknowns(
            results, _minimum(app, platform, [s for s in standings if s.app == app and s.profile.platform == platform])
        )
        for app in results.matrix_apps()
        for platform in results.platforms()
        if any(s.app == app and s.profile.platform == platform for s in standings)
    ]
    install = None if install_base is None else _install_shares(results, standings, install_base)
    total = None if install_base is None else sum(r.users for r in install_base)
    rows = None if install_base is None else tuple(install_base)
    return Readiness(tuple(standings), tuple(minimums), _advice(results), install, total, rows)


def _minimum(app: str, platform: str, rows: Sequence[ProfileStanding]) -> MinimumVersion:
    """The oldest version from which every newer bundled version of the platform lets users through."""
    ordered = sorted(rows, key=lambda s: s.profile.sort_key)
    minimum: Profile | None = None
    clean: Profile | None = None
    degraded = False
    for row in reversed(ordered):
        if row.standing not in (Standing.SAFE, Standing.DEGRADED):
            break
        minimum = row.profile
        degraded = degraded or row.standing is Standing.DEGRADED
        if not degraded:
            clean = row.profile
    return MinimumVersion(app, platform, minimum, degraded, clean)


def _with_unknowns(results: Results, minimum: MinimumVersion) -> MinimumVersion:
    """The unknowns behind a minimum-version line: what its cells forked on, what was pinned, what was assumed."""
    if minimum.profile is None:
        return minimum
    low = minimum.profile.sort_key
    covered = [p for p in results.sdk_profiles() if p.platform == minimum.platform and p.sort_key >= low]
    names = {p.name for p in covered}
    tried: dict[str, set[str]] = {}
    for cell in results.cells:
        if cell.app != minimum.app or cell.sdk not in names:
            continue
        for run in cell.runs:
            for a in run.assumptions:
                if a.get("evidence") == "unknown":
                    tried.setdefault(str(a.get("flag")), set()).add(_shown(a.get("value")))
    tested = tuple(f"{flag} ({', '.join(sorted(values))})" for flag, values in sorted(tried.items()))
    pinned = tuple(pin for pin in results.pins() if pin.split("=", 1)[0].rsplit(".", 1)[0] in names)
    assumed = sorted(
        {
            flag
            for p in covered
            for flag, cap in p.capabilities.items()
            if cap.evidence == "unknown" and flag not in tried and not _is_axis(flag)
        }
    )
    return replace(minimum, tested=tested, pinned=pinned, assumed=tuple(assumed))


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _is_axis(flag: str) -> bool:
    spec = CAPABILITIES.get(flag)
    return spec is None or bool(spec.axis_values())


def _advice(results: Results) -> tuple[Advice, ...]:
    apps: dict[str, set[str]] = {}
    count: dict[str, int] = {}
    for cell in results.cells:
        if cell.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
            continue
        code = cell.reason_code or "harness_error"
        apps.setdefault(code, set()).add(cell.app)
        count[code] = count.get(code, 0) + 1
    order = list(ADVICE)
    codes = sorted(apps, key=lambda c: (order.index(c) if c in order else len(order), c))
    return tuple(Advice(c, ADVICE.get(c, _UNKNOWN_ADVICE), tuple(sorted(apps[c])), count[c]) for c in codes)


# --- install base ------------------------------------------------------------------------------------------------


def read_install_base(path: Path) -> list[InstallRow]:
    """`platform,sdk_version,active_users` rows; anything else is one clear UserError naming the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UserError(f"cannot read install base {path}: {reason}") from None
    reader = csv.DictReader(text.splitlines())
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    needed = ("platform", "sdk_version", "active_users")
    if any(f not in fields for f in needed):
        raise UserError(f"{path}: the header must name the columns platform,sdk_version,active_users (got {fields})")
    reader.fieldnames = fields
    rows: list[InstallRow] = []
    for number, raw in enumerate(reader, start=2):
        platform = (raw.get("platform") or "").strip().lower()
        version = (raw.get("sdk_version") or "").strip()
        users_text = (raw.get("active_users") or "").strip().replace("_", "")
        if not platform and not version and not users_text:
            continue
        if not platform:
            raise UserError(f"{path}:{number}: empty platform")
        if version_key(version) == (-1,):
            raise UserError(f"{path}:{number}: sdk_version {version!r} is not a version number")
        try:
            users = int(users_text)
        except ValueError:
            raise UserError(f"{path}:{number}: active_users {users_text!r} is not a whole number") from None
        if users < 0:
            raise UserError(f"{path}:{number}: active_users must not be negative")
        rows.append(InstallRow(platform, version, users))
    if not rows or sum(r.users for r in rows) == 0:
        raise UserError(f"{path}: no active users listed")
    return rows


def nearest_profile(profiles: Sequence[Profile], platform: str, version: str) -> Profile | None:
    """The newest bundled profile of the platform at or below `version` (None if the version predates them all)."""
    key = version_key(version)
    candidates = [p for p in profiles if p.platform == platform and version_key(p.version) <= key]
    return max(candidates, key=lambda p: p.sort_key) if candidates else None


def _install_shares(
    results: Results, standings: Sequence[ProfileStanding], rows: Sequence[InstallRow]
) -> tuple[InstallShare, ...]:
    total = sum(r.users for r in rows)
    shares = []
    for app in results.matrix_apps():
        by_profile = {s.profile.name: s.standing for s in standings if s.app == app}
        tally = dict.fromkeys(["blocked", "degraded", "unverified", "uncovered"], 0)
        for row in rows:
            profile = nearest_profile(results.profiles, row.platform, row.version)
            standing = by_profile.get(profile.name) if profile else None
            if standing is None:
                tally["uncovered"] += row.users
            elif standing is not Standing.SAFE:
                tally[standing.value] += row.users
        shares.append(
            InstallShare(
                app,
                *(round(100.0 * tally[k] / total, 1) for k in ("blocked", "degraded", "unverified", "uncovered")),
            )
        )
    return tuple(shares)
