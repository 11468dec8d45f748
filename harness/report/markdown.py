"""`report.md`: the run's verdicts and rollout readiness as a pull-request comment."""

from __future__ import annotations

from harness.report.compare import version_steps
from harness.report.findings import group_findings
from harness.report.readiness import Readiness
from harness.report.results import Cell, Results, Verdict, counts, recovery_in_app

SYMBOL = {
    Verdict.PASS: "✅",
    Verdict.DEGRADED: "🟡",
    Verdict.BLOCKED: "⛔",
    Verdict.NOT_APPLICABLE: "⚪",
    Verdict.NEEDS_REP: "👤",
    Verdict.ERROR: "💥",
}
BLOCKED_LIMIT = 40  # findings listed
SCENARIOS_SHOWN = 4  # scenario names per finding


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _findings(results: Results, cells: list[Cell]) -> list[str]:
    """Blocked and errored cells, identical findings folded into one row each."""
    findings = group_findings(cells)
    lines = [
        "## Blocked cells",
        "",
        f"{len(cells)} cells in {len(findings)} findings (cells of one app strategy that fail the same way).",
        "",
        "| App strategy | Verdict | Reason | SDK versions | Scenarios | Broken by |",
        "|---|---|---|---|---|---|",
    ]
    for finding in findings[:BLOCKED_LIMIT]:
        ids = finding.scenario_ids()
        names = [results.scenario(sid).name for sid in ids[:SCENARIOS_SHOWN]]
        more = f" and {len(ids) - SCENARIOS_SHOWN} more" if len(ids) > SCENARIOS_SHOWN else ""
        lines.append(
            f"| {finding.app} | {SYMBOL[finding.verdict]} {finding.verdict.value} ({len(finding.cells)} cells) | "
            f"{_cell_text(finding.reason)} | {finding.sdk_text(results)} | "
            f"{len(ids)}: {_cell_text('; '.join(names))}{more} | {', '.join(finding.broken_by) or '—'} |"
        )
    if len(findings) > BLOCKED_LIMIT:
        lines.append(f"\n… and {len(findings) - BLOCKED_LIMIT} more findings (see index.html or results.json).")
    lines.append("")
    return lines


def _ways_back(results: Results) -> list[str]:
    """Per app strategy: in how many cells the user got back inside the app, only by a relaunch, or never."""
    rows = []
    for app in results.matrix_apps():
        tried = [c for c in results.cells if c.app == app and c.recovery is not None]
        if not tried:
            continue
        in_app = sum(1 for c in tried if recovery_in_app(c.recovery))
        relaunch = sum(1 for c in tried if c.recovery == "relaunch")
        never = sum(1 for c in tried if c.recovery == "none")
        rows.append(f"| {app} | {in_app} | {relaunch} | {never} |")
    if not rows:
        return []
    return [
        "## How users got back",
        "",
        "Cells whose scenario ends with the user trying to reach a rep again. Pass needs a way out inside the app "
        "(type, a new-conversation button, reopen the chat); a way out only by killing and relaunching the app is "
        "degraded (`relaunch_required`).",
        "",
        "| App strategy | in the app | only by relaunch | never |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def pins_line(results: Results) -> str:
    """The header line every report prints: SDK behaviour a team pinned with `--assume` instead of running both ways."""
    pins = results.pins()
    if not pins:
        return "Pinned SDK assumptions: none (every unknown SDK behaviour a scenario consulted ran under each value)."
    return "Pinned SDK assumptions (`--assume`): " + ", ".join(f"`{p}`" for p in pins) + "."


def render_markdown(results: Results, readiness: Readiness) -> str:
    lines = ["# Session-Based Chat conformance", ""]
    if results.clients():
        lines += [
            f"**Client under test: {', '.join(results.clients())}** (a real client driven through its adapter; "
            "each scenario ran once per runtime variant)",
            "",
        ]
    lines += [f"**{readiness.headline}**", "", f"**{readiness.blocks_line}**", ""]
    if results.seed is not None:
        lines += [
            f"Seed: `{results.seed}` · {len(results.cells)} cells · {len(results.sdk_profiles())} SDK profiles · "
            f"{len(results.scenarios)} scenarios · {len(results.matrix_apps())} app strategies",
            "",
        ]
    lines += [pins_line(results), ""]
    if results.platforms():  # a real client's run has no SDK versions
        lines += [
            "## Minimum SDK version that blocks no user",
            "",
            "| App strategy | " + " | ".join(results.platforms()) + " |",
        ]
        lines.append("|---|" + "---|" * len(results.platforms()))
        for app in results.matrix_apps():
            row = []
            for platform in results.platforms():
                found = [m for m in readiness.minimums if m.app == app and m.platform == platform]
                row.append(found[0].text if found else "—")
            lines.append(f"| {app} | " + " | ".join(row) + " |")
        lines.append("")
    if readiness.install is not None:
        lines += [f"## Your install base ({readiness.total_users} active users)", ""]
        lines += ["| App strategy | blocked | degraded | unverified | not covered |", "|---|---|---|---|---|"]
        for share in readiness.install:
            lines.append(
                f"| {share.app} | {share.blocked_pct}% | {share.degraded_pct}% | {share.unverified_pct}% | "
                f"{share.uncovered_pct}% |"
            )
        lines.append("")
    if readiness.advice:
        lines += ["## What to change in the app", ""]
        for advice in readiness.advice:
            lines.append(f"- **{advice.reason_code}** ({advice.cells} cells; {', '.join(advice.apps)}): {advice.text}")
        lines.append("")
    lines += _ways_back(results)
    lines += ["## Verdicts per SDK profile", ""]
    legend = " · ".join(f"{SYMBOL[v]} {v.value}" for v in Verdict)
    lines += [legend, ""]
    header = "| App strategy | SDK | " + " | ".join(SYMBOL[v] for v in Verdict) + " |"
    lines += [header, "|---|---|" + "---|" * len(Verdict)]
    for app in results.apps:
        for profile in results.profiles:
            tally = counts(c for c in results.cells if c.app == app and c.sdk == profile.name)
            if sum(tally.values()):
                lines.append(f"| {app} | {profile.name} | " + " | ".join(str(tally[v]) for v in Verdict) + " |")
    lines.append("")
    blocked = [c for c in results.cells if c.verdict in (Verdict.BLOCKED, Verdict.ERROR)]
    if blocked:
        lines += _findings(results, blocked)
    org = results.org_cells()
    if org:
        title = f"Scenarios with {', '.join(results.clients())}" if results.clients() else "Org and runtime checks"
        lines += [f"## {title}", "", "| Check | Verdict | Reason |", "|---|---|---|"]
        for cell in org:
            lines.append(
                f"| {_cell_text(results.scenario(cell.scenario_id).name)} | {SYMBOL[cell.verdict]} "
                f"{cell.verdict.value} | {_cell_text(cell.reason)} |"
            )
        lines.append("")
    steps = version_steps(results)
    if steps:
        lines += ["## What changed from one SDK version to the next", ""]
        for older, newer, changes in steps:
            better = sum(1 for c in changes if c.direction == "better")
            worse = sum(1 for c in changes if c.direction == "worse")
            new = sum(1 for c in changes if c.direction == "new coverage")
            extra = f", {new} newly covered" if new else ""
            lines.append(f"- {older} → {newer}: {better} cells better, {worse} worse{extra}")
        lines.append("")
    return "\n".join(lines)
