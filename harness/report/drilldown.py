"""Every cell's drill-down (its runs and the deciding run's evidence) as one compact, de-duplicated JSON document."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.report.results import Results, Run
from harness.report.sequence import ends, kind, label, layout

# Characters that could end or confuse a <script> element, written as JSON escapes instead.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class _Table:
    """Values numbered in first-seen order, so identical results always give identical numbers."""

    def __init__(self) -> None:
        self.numbers: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        return self.numbers.setdefault(value, len(self.numbers))

    def values(self) -> list[Any]:
        return list(self.numbers)


class _Drilldown:
    def __init__(self) -> None:
        self.string = _Table()
        self.step = _Table()
        self.evidence = _Table()

    def encode_step(self, step: Mapping[str, Any]) -> int:
        """A step without its sequence number: [kind, from lane, to lane, label] (+ summary if the label differs)."""
        lanes = ends(step) or (-1, -1)
        text = label(step)
        summary = str(step.get("summary", ""))
        row = (self.string(kind(step)), *lanes, self.string(text))
        return self.step(row if summary == text else (*row, self.string(summary)))

    def encode_evidence(self, evidence: Sequence[Mapping[str, Any]]) -> int:
        """A list of step numbers; a step whose `seq` is not its position + 1 is [step, seq]."""
        items: list[int | tuple[int, Any]] = []
        for position, step in enumerate(evidence):
            number = self.encode_step(step)
            seq = step.get("seq")
            items.append(number if seq == position + 1 and isinstance(seq, int) else (number, seq))
        return self.evidence(tuple(items))

    def encode_run(self, run: Run) -> list[Any]:
        settings = "".join(f"{k}={v} " for k, v in run.settings.items())
        return [self.string(run.variant), self.string(settings), self.string(run.verdict.value),
                self.string(run.reason), run.seed]  # fmt: skip


def drilldown(results: Results) -> dict[str, Any]:
    """cells[i] (i = the data-cell of the matrix cell) is [scenario name, SDK, app, verdict, reason code, reason,
    [broken by], [[variant, settings, verdict, reason, seed]], deciding run position, evidence]; names and text
    are numbers into `strings`, evidence is a number into `evidence`, whose items are numbers into `steps`."""
    table = _Drilldown()
    names = {s.id: s.name for s in results.scenarios}
    cells = []
    for cell in results.cells:
        deciding = cell.deciding_run
        cells.append(
            [
                table.string(names.get(cell.scenario_id, cell.scenario_id)),
                table.string(cell.sdk),
                table.string(cell.app),
                table.string(cell.verdict.value),
                table.string(cell.reason_code),
                table.string(cell.reason),
                [table.string(b) for b in cell.broken_by],
                [table.encode_run(run) for run in cell.runs],
                next(i for i, run in enumerate(cell.runs) if run is deciding),
                table.encode_evidence(deciding.evidence),
            ]
        )
    return {
        "layout": layout(),
        "strings": table.string.values(),
        "steps": table.step.values(),
        "evidence": table.evidence.values(),
        "cells": cells,
    }


def script_json(document: Mapping[str, Any]) -> str:
    """Compact JSON that is safe inside <script type="application/json">."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)
