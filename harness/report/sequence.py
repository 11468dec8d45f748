"""A run's evidence drawn as an SVG sequence diagram: lanes for the user, the app, the server and the agent side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

LANES = ("user", "app", "server", "agent")
LANE_TITLES = {"user": "user", "app": "app", "server": "server", "agent": "rep / bot / admin / clock"}
_ACTOR_LANE = {
    "user": "user",
    "app": "app",
    "server": "server",
    "rep": "agent",
    "bot": "agent",
    "clock": "agent",
    "admin": "agent",
}
_KIND_COLOUR = {
    "action": "#1f5fbf",
    "request": "#444444",
    "event": "#7a3db8",
    "control": "#b85c00",
    "ui": "#1a7f37",
    "note": "#8a6d00",
}

LANE_WIDTH = 190
ROW = 30
TOP = 46
MAX_LABEL = 58


def _lane_x(lane: str) -> int:
    return LANE_WIDTH // 2 + LANES.index(lane) * LANE_WIDTH


def _ends(step: Mapping[str, Any]) -> tuple[str, str] | None:
    """(from lane, to lane) for an arrow; None for a note across the diagram."""
    kind = str(step.get("kind", "note"))
    actor = _ACTOR_LANE.get(str(step.get("actor", "")))
    if kind == "action":
        return (actor or "user", "app")
    if kind == "request":
        return (actor or "app", "server")
    if kind == "event":
        return ("server", "app")
    if kind == "control":
        return (actor or "agent", "server")
    if kind == "ui":
        return ("app", "app")
    return None if actor is None else (actor, actor)


def _label(step: Mapping[str, Any]) -> str:
    text = f"{step.get('seq', '')}. {step.get('summary', '')}"
    detail = step.get("detail")
    if (
        step.get("kind") == "request"
        and isinstance(detail, Mapping)
        and "status" in detail
        and not text.endswith(str(detail["status"]))
    ):
        text += f" \u2192 {detail['status']}"
    if step.get("at_ms") is not None:
        text += f" @{step['at_ms']}ms"
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def render_svg(evidence: Sequence[Mapping[str, Any]], title: str = "") -> str:
    width = LANE_WIDTH * len(LANES)
    height = TOP + ROW * (len(evidence) + 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or "evidence")}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>',
        f'<style>text{{font:12px sans-serif}} .lane{{font-weight:bold}}</style><rect width="{width}" '
        f'height="{height}" fill="#ffffff"/>',
    ]
    for lane in LANES:
        x = _lane_x(lane)
        out.append(f'<text class="lane" x="{x}" y="20" text-anchor="middle">{escape(LANE_TITLES[lane])}</text>')
        out.append(f'<line x1="{x}" y1="28" x2="{x}" y2="{height - 6}" stroke="#bbbbbb" stroke-dasharray="4 3"/>')
    for row, step in enumerate(evidence):
        y = TOP + ROW * row + ROW // 2
        kind = str(step.get("kind", "note"))
        colour = _KIND_COLOUR.get(kind, "#444444")
        label = escape(_label(step))
        ends = _ends(step)
        attrs = f'class="step {escape(kind)}" data-seq="{escape(str(step.get("seq", row + 1)))}"'
        # the full text on hover, only where the label had to be shortened (keeps large reports small)
        hover = f"<title>{escape(str(step.get('summary', '')))}</title>" if label.endswith("\u2026") else ""
        if ends is None:
            out.append(
                f'<g {attrs}>{hover}<rect x="8" y="{y - 11}" width="{width - 16}" height="20" rx="4" fill="#fff6cc" '
                f'stroke="{colour}"/><text x="{width // 2}" y="{y + 4}" text-anchor="middle">{label}</text></g>'
            )
            continue
        start, end = _lane_x(ends[0]), _lane_x(ends[1])
        if start == end:
            out.append(
                f'<g {attrs}>{hover}<rect x="{start - 6}" y="{y - 10}" width="12" height="20" fill="{colour}" '
                f'opacity="0.8"/><text x="{start + 12}" y="{y + 4}" fill="{colour}">{label}</text></g>'
            )
            continue
        mid = (start + end) // 2
        out.append(
            f'<g {attrs}>{hover}<line x1="{start}" y1="{y + 6}" x2="{end}" y2="{y + 6}" stroke="{colour}" '
            f'stroke-width="1.5" marker-end="url(#arrow)"/>'
            f'<text x="{mid}" y="{y + 1}" text-anchor="middle" fill="{colour}">{label}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
