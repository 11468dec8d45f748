"""The run matrix: which cells a scenario's tags select, and stable per-run seeds."""

from __future__ import annotations

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
        "web/web-storage/close-event",
        "web/web-storage/no-close-event",
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
