"""Every cell's drill-down (its runs and the deciding run's evidence) as one compact, de-duplicated JSON document."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.report.results import Results, Run, Verdict
from harness.report.sequence import ends, kind, label, layout
from harness.report.wording import reason_text, recovery_text

# Characters that could end or confuse a <script> element, written as JSON escapes instead.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
# Conversation and message ids are taken out of step text, so runs that differ only in ids share their steps.
_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HOLE = "\ue000"


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
        self.id = _Table()

    def template(self, text: str, ids: list[int]) -> tuple[int, int]:
        """(string number, ids taken out): each id becomes a HOLE and its number is appended to `ids`."""
        found = [] if HOLE in text else _ID.findall(text)
        ids.extend(self.id(i) for i in found)
        return self.string(_ID.sub(HOLE, text) if found else text), len(found)

    def encode_step(self, step: Mapping[str, Any], ids: list[int]) -> int:
        """A step without its sequence number or ids: [kind, from lane, to lane, label, holes in the label], and
        [summary, holes in it] after those when the summary is not the label."""
        lanes = ends(step) or (-1, -1)
        text = label(step)
        summary = str(step.get("summary", ""))
        row = (self.string(kind(step)), *lanes, *self.template(text, ids))
        return self.step(row if summary == text else (*row, *self.template(summary, ids)))

    def encode_evidence(self, evidence: Sequence[Mapping[str, Any]]) -> tuple[int, list[int]]:
        """(step list number, id numbers to fill its holes in order); a step list is step numbers, with [step, seq]
        for a step whose `seq` is not its position + 1."""
        items: list[int | tuple[int, Any]] = []
        ids: list[int] = []
        for position, step in enumerate(evidence):
            number = self.encode_step(step, ids)
            seq = step.get("seq")
            items.append(number if seq == position + 1 and isinstance(seq, int) else (number, seq))
        return self.evidence(tuple(items)), ids

    def encode_run(self, run: Run) -> list[Any]:
        """[variant, settings, verdict, reason, seed, evidence, [ids], setup steps, step that went wrong or -1]."""
        settings = "".join(f"{k}={v} " for k, v in run.settings.items())
        return [self.string(run.variant), self.string(settings), self.string(run.verdict.value),
                self.string(run.reason), run.seed, *self.encode_evidence(run.evidence),
                setup_length(run.evidence), went_wrong(run)]  # fmt: skip


def setup_length(evidence: Sequence[Mapping[str, Any]]) -> int:
    """How many leading steps set the org up (the admin's saves and publishes) before the scenario itself starts."""
    count = 0
    for step in evidence:
        if step.get("actor") != "admin":
            break
        count += 1
    return count if count < len(evidence) else 0


def went_wrong(run: Run) -> int:
    """The position of the step where a failing run first went wrong: the harness's first finding or the first
    refused request, whichever comes first; the last step when neither is there; -1 for a pass."""
    if run.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE) or not run.evidence:
        return -1
    for position, step in enumerate(run.evidence):
        detail = step.get("detail")
        status = detail.get("status") if isinstance(detail, Mapping) else None
        if step.get("kind") == "note" and step.get("actor") == "harness":
            return position
        if step.get("kind") == "request" and isinstance(status, int) and status >= 400:
            return position
    return len(run.evidence) - 1


def drilldown(results: Results) -> dict[str, Any]:
    """cells[i] (i = the data-cell of the matrix cell) is [scenario name, SDK, app, verdict, reason code, reason,
    [broken by], [run...], deciding run position, scenario id, reason in words, how the user got back in words
    (empty when not attempted)]; a run is [variant, settings,
    verdict, reason, seed, evidence, [ids], setup steps, step that went wrong]; names and text are numbers into
    `strings`, evidence is a number into `evidence`, whose items are numbers into `steps`; the ids (numbers into
    `ids`) fill the HOLEs of that evidence's step text in order."""
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
                table.string(cell.scenario_id),
                table.string(reason_text(cell.reason_code)),
                table.string(recovery_text(cell.recovery)),
            ]
        )
    return {
        "layout": layout(),
        "strings": table.string.values(),
        "steps": table.step.values(),
        "evidence": table.evidence.values(),
        "ids": table.id.values(),
        "hole": HOLE,
        "cells": cells,
    }


def script_json(document: Mapping[str, Any]) -> str:
    """Compact JSON that is safe inside <script type="application/json">."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)
