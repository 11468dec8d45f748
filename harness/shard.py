"""`--shard K/N`: a deterministic slice of the run matrix, so N machines can share one run and merge the results.

A pytest plugin of its own (`-p harness.shard`): the runtime variants of one cell (scenario, SDK profile, app
strategy) always land in the same shard, so every shard's results hold whole cells. Cells are sorted by a stable key
and dealt round-robin, so every shard of a matrix gets about the same number of cells and the split depends only on
what was collected (never on workers or timing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from harness.errors import UserError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 1-based
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SPEC.match(text)
        if match is None:
            raise UserError(f"--shard must be K/N (e.g. 2/3), got {text!r}")
        index, total = int(match[1]), int(match[2])
        if total < 1 or not 1 <= index <= total:
            raise UserError(f"--shard {text}: K must be between 1 and N, and N at least 1")
        return cls(index, total)

    @property
    def text(self) -> str:
        return f"{self.index}/{self.total}"

    def select(self, keys: list[str]) -> set[str]:
        """The keys of this shard: sorted, dealt round-robin."""
        ordered = sorted(set(keys))
        return {key for position, key in enumerate(ordered) if position % self.total == self.index - 1}


def cell_key(item: pytest.Item) -> str:
    """The cell an item runs: its scenario and (SDK profile, app strategy), without the runtime variant."""
    callspec = getattr(item, "callspec", None)
    cell: Any = callspec.params.get("miaw_cell") if callspec is not None else None
    base = item.nodeid.split("[", 1)[0]
    if cell is None:
        return item.nodeid
    profile = getattr(getattr(cell, "profile", None), "name", "")
    strategy = getattr(getattr(cell, "strategy", None), "name", "")
    return f"{base}|{profile}|{strategy}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("miaw-harness").addoption(
        "--miaw-shard", default=None, metavar="K/N", help="Run only the K-th of N deterministic slices of the cells."
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    spec = config.getoption("miaw_shard", None)
    if not spec:
        return
    try:
        shard = Shard.parse(str(spec))
    except UserError as exc:
        raise pytest.UsageError(str(exc)) from exc
    mine = shard.select([cell_key(item) for item in items])
    others = [item for item in items if cell_key(item) not in mine]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if cell_key(item) in mine]
