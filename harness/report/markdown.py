"""`report.md`: the run's verdicts and rollout readiness as a pull-request comment."""

from __future__ import annotations

from harness.report.compare import version_steps
from harness.report.readiness import Readiness
from harness.report.results import Results, Verdict, counts

SYMBOL = {
    Verdict.PASS: "✅",
    Verdict.DEGRADED: "🟡",
    Verdict.BLOCKED: "⛔",
    Verdict.NOT_APPLICABLE: "⚪",
    Verdict.NEEDS_REP: "👤",
    Verdict.ERROR: "💥",
}
BLOCKED_LIMIT = 40


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(results: Results, readiness: Readiness) -> str:
    lines = ["# Session-Based Chat conformance", ""]
    lines += [f"**{readiness.headline}**", "", f"**{readiness.blocks_line}**", ""]
    if results.seed is not None:
        lines += [
            f"Seed: `{results.seed}` · {len(results.cells)} cells · {len(results.sdk_profiles())} SDK profiles · "
            f"{len(results.scenarios)} scenarios · {len(results.matrix_apps())} app strategies",
            "",
        ]
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
        lines += ["## Blocked cells", "", "| Scenario | SDK | App strategy | Verdict | Broken by | Reason |"]
        lines.append("|---|---|---|---|---|---|")
        for cell in blocked[:BLOCKED_LIMIT]:
            lines.append(
                f"| {_cell_text(results.scenario(cell.scenario_id).name)} | {cell.sdk} | {cell.app} | "
                f"{SYMBOL[cell.verdict]} {cell.verdict.value} | {', '.join(cell.broken_by) or '—'} | "
                f"{_cell_text(cell.reason)} |"
            )
        if len(blocked) > BLOCKED_LIMIT:
            lines.append(f"\n… and {len(blocked) - BLOCKED_LIMIT} more (see results.json).")
        lines.append("")
    org = results.org_cells()
    if org:
        lines += ["## Org and runtime checks", "", "| Check | Verdict | Reason |", "|---|---|---|"]
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
            lines.append(f"- {older} → {newer}: {better} cells better, {worse} worse")
        lines.append("")
    return "\n".join(lines)
