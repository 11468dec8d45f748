"""The run matrix: which cells a scenario's tags select, and stable per-run seeds."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest

from harness.errors import UserError
from harness.run.cells import Cell, Selection, cell_seed
from harness.run.variants import (
    AUTO_END_CLOSES,
    AUTO_END_KEEPS_OPEN,
    CLOSE_EVENT,
    DEFAULT,
    NO_CLOSE_EVENT,
    variants_for,
)
from harness.sdk.profiles import Capability, load_profiles


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (set(), (DEFAULT,)),
        ({"closing"}, (CLOSE_EVENT, NO_CLOSE_EVENT)),
        ({"closing", "needs_rep"}, (CLOSE_EVENT, NO_CLOSE_EVENT)),
        ({"auto_end", "closing"}, (AUTO_END_CLOSES, AUTO_END_KEEPS_OPEN)),
    ],
)
def test_variants_by_tag(tags: set[str], expected: tuple[object, ...]) -> None:
    assert variants_for(tags) == expected


def test_the_closed_send_status_runs_only_where_the_profile_reacts_to_it_differently() -> None:
    """miaw-api.md §11.1: 403 is the default; 400 and 401 run as variants for each profile whose SDK does something
    else with them (its send_refusal_* flags), on top of the variant where clients send into the closed conversation."""
    profiles = {p.name: p for p in load_profiles()}
    names = [v.name for v in variants_for({"closing"}, profiles["ios-1.0"])]
    assert names == ["close-event", "no-close-event", "no-close-event+closed-send-401"]
    extra = variants_for({"closing"}, profiles["web"])[-1]
    assert dict(extra.settings) == {"emit_close_event_on_sbc_end": False, "closed_send_status": 401}
    auto_end = variants_for({"auto_end", "closing"}, profiles["android-1.10"])[-1]
    assert auto_end.name == "auto-end-closes+closed-send-401" and auto_end.settings["auto_end_closes_conversation"]
    caps = dict(profiles["ios-1.10"].capabilities)
    for status in (400, 401):
        caps[f"send_refusal_{status}"] = Capability("treat_as_closed", "unknown", "what-if")
    what_if = dataclasses.replace(profiles["ios-1.10"], capabilities=MappingProxyType(caps))
    assert [v.name for v in variants_for({"closing"}, what_if)][2:] == [
        "no-close-event+closed-send-400",
        "no-close-event+closed-send-401",
    ]
    assert variants_for(set(), profiles["web"]) == (DEFAULT,)


def test_pairs_respect_platforms() -> None:
    selection = Selection.load()
    pairs = selection.pairs()
    assert pairs
    for profile, strategy in pairs:
        assert profile.platform in strategy.platforms
    assert any(p.platform == "web" for p, _ in pairs)


def test_cells_for_tags() -> None:
    selection = Selection.load(["android-1.10", "web"], ["persist-forever", "web-storage"])
    closing = selection.cells_for({"closing"})
    assert {c.id for c in closing} == {
        "android-1.10/persist-forever/close-event",
        "android-1.10/persist-forever/no-close-event",
        "android-1.10/persist-forever/no-close-event+closed-send-401",
        "web/web-storage/close-event",
        "web/web-storage/no-close-event",
        "web/web-storage/no-close-event+closed-send-401",
    }
    assert [c.id for c in selection.cells_for({"web"})] == ["web/web-storage/default"]
    assert [c.id for c in selection.cells_for({"org"})] == ["org/default"]


def test_unknown_pattern_is_a_user_error() -> None:
    with pytest.raises(UserError, match="nokia"):
        Selection.load(["nokia-*"])


def test_seed_depends_on_base_scenario_and_cell() -> None:
    cell = Cell(None, None, DEFAULT)
    other = Cell(None, None, CLOSE_EVENT)
    seeds = {
        cell_seed(1, "a/b", cell),
        cell_seed(2, "a/b", cell),
        cell_seed(1, "a/c", cell),
        cell_seed(1, "a/b", other),
    }
    assert len(seeds) == 4
    assert cell_seed(1, "a/b", cell) == cell_seed(1, "a/b", Cell(None, None, DEFAULT))
