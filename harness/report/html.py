"""`index.html`: the matrix, the readiness verdict and every cell's evidence in one self-contained page."""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from harness.report.chart import blocked_bars
from harness.report.compare import Change, Direction, version_steps
from harness.report.drilldown import drilldown, script_json
from harness.report.readiness import Readiness
from harness.report.results import Profile, Results, Verdict
from harness.report.wording import reason_text, strategy_descriptions

# Text glyphs every system font has (emoji fonts are often missing on CI machines and in headless browsers).
GLYPH = {
    Verdict.PASS: "\u2713",
    Verdict.DEGRADED: "~",
    Verdict.BLOCKED: "\u2715",
    Verdict.NOT_APPLICABLE: "\u2013",
    Verdict.NEEDS_REP: "?",
    Verdict.ERROR: "!",
}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.report", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def _evidence_counts(profile: Profile) -> dict[str, int]:
    tally: dict[str, int] = {}
    for cap in profile.capabilities.values():
        tally[cap.evidence] = tally.get(cap.evidence, 0) + 1
    return dict(sorted(tally.items()))


def _tally(changes: list[Change]) -> str:
    counted = [(d, sum(1 for c in changes if c.direction is d)) for d in Direction]
    return ", ".join(f"{n} {d.value}" for d, n in counted if n)


def render_html(results: Results, readiness: Readiness) -> str:
    cells = results.cell_map()
    index = {cell.key: i for i, cell in enumerate(results.cells)}
    symbol = {v.value: s for v, s in GLYPH.items()}
    document = drilldown(results)
    document["layout"]["glyphs"] = symbol
    groups = [
        (platform, [p for p in results.sdk_profiles() if p.platform == platform]) for platform in results.platforms()
    ]
    rows = {p.name for p in results.sdk_profiles()}
    used = {(c.app, c.scenario_id) for c in results.cells if c.sdk in rows}
    columns = {app: [s for s in results.scenarios if (app, s.id) in used] for app in results.matrix_apps()}
    steps = version_steps(results)
    template = _ENV.get_template("index.html.j2")
    return template.render(
        results=results,
        readiness=readiness,
        cells=cells,
        index=index,
        drilldown=Markup(script_json(document)),
        groups=groups,
        symbol=symbol,
        verdicts=list(Verdict),
        evidence_counts=_evidence_counts,
        steps=steps,
        step_counts=[_tally(changes) for _, _, changes in steps],
        bars=blocked_bars(results, readiness, readiness.install_rows),
        descriptions=strategy_descriptions(),
        reason_text=reason_text,
        apps=results.matrix_apps(),
        columns=columns,
        org_cells=results.org_cells(),
        clients=results.clients(),
    )
