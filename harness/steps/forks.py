"""The SDK variant axis in a pytest session: a scenario item re-runs under other values of the unknown SDK flags it
consulted (`harness.run.variants.ForkPlan`), and pytest sees the run with the worst verdict.

Every run writes its own record (the plugin's `pytest_runtest_makereport`); the reports fold them into one cell, like
the runtime variants. Registered by `harness.steps.options.configure` only in a session that runs the suite.
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from harness.run.cells import Cell
from harness.run.judge import SEVERITY, Verdict
from harness.run.variants import ForkPlan, consulted_unknowns
from harness.sdk.profiles import recording_reads
from harness.steps.runtime import STATE

FINAL = SEVERITY[Verdict.BLOCKED]  # once a run is this bad, no other assumption can make the cell worse


def _cell(item: pytest.Item) -> Cell | None:
    callspec = getattr(item, "callspec", None)
    cell = callspec.params.get("miaw_cell") if callspec is not None else None
    return cell if isinstance(cell, Cell) and cell.profile is not None else None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    base = _cell(item)
    if base is None or not base.profile or not base.profile.open_flags():
        return None  # nothing unknown about this client: pytest's own protocol runs it once
    callspec: Any = getattr(item, "callspec", None)
    plan = ForkPlan(base.profile)
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    worst: tuple[int, list[pytest.TestReport]] | None = None
    try:
        while (assignment := plan.next()) is not None:
            cell = base.assuming(assignment)
            callspec.params["miaw_cell"] = cell
            if STATE in item.stash:
                del item.stash[STATE]  # a fork that fails before its scenario starts must not read the last one's
            with recording_reads() as reads:
                reports = runtestprotocol(item, nextitem=nextitem, log=False)
            state = item.stash.get(STATE, None)
            if state is None or state.result is None:  # the run never reached a verdict: report it as it is
                worst = (SEVERITY[Verdict.ERROR], reports)
                break
            severity = SEVERITY[state.result.verdict]
            notes = [str(e.get("summary", "")) for e in state.timeline.to_json()]
            consulted = consulted_unknowns(cell.profile, reads, notes, fixed=dict(assignment))
            plan.ran(assignment, [a.flag for a in consulted], final=severity >= FINAL)
            if worst is None or severity > worst[0]:
                worst = (severity, reports)
    finally:
        callspec.params["miaw_cell"] = base
    if worst is not None:
        for report in worst[1]:
            ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
