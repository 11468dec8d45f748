"""The sequence diagram of a run's evidence: its lanes, colours and geometry, and where each step's arrow runs."""

from __future__ import annotations

from collections.abc import Mapping
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
KIND_COLOUR = {
    "action": "#1f5fbf",
    "request": "#444444",
    "event": "#7a3db8",
    "control": "#b85c00",
    "ui": "#1a7f37",
    "note": "#8a6d00",
}
DEFAULT_COLOUR = "#444444"

LANE_WIDTH = 190
ROW = 30
TOP = 46
MAX_LABEL = 58


def layout() -> dict[str, Any]:
    """What the page's drawing code needs besides the steps: lane titles, colours by kind and the geometry."""
    return {
        "lanes": [LANE_TITLES[lane] for lane in LANES],
        "colours": KIND_COLOUR,
        "default_colour": DEFAULT_COLOUR,
        "lane_width": LANE_WIDTH,
        "row": ROW,
        "top": TOP,
        "max_label": MAX_LABEL,
    }


def kind(step: Mapping[str, Any]) -> str:
    return str(step.get("kind", "note"))


def ends(step: Mapping[str, Any]) -> tuple[int, int] | None:
    """(from lane, to lane) as indexes into LANES for an arrow; the same lane twice for a mark; None for a note."""
    actor = _ACTOR_LANE.get(str(step.get("actor", "")))
    pair: tuple[str, str] | None
    match kind(step):
        case "action":
            pair = (actor or "user", "app")
        case "request":
            pair = (actor or "app", "server")
        case "event":
            pair = ("server", "app")
        case "control":
            pair = (actor or "agent", "server")
        case "ui":
            pair = ("app", "app")
        case _:
            pair = None if actor is None else (actor, actor)
    return None if pair is None else (LANES.index(pair[0]), LANES.index(pair[1]))


def label(step: Mapping[str, Any]) -> str:
    """The step's label without its sequence number: the summary, the response status if not in it, the time."""
    text = str(step.get("summary", ""))
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
    return text
