"""The kit a run gets against a target without control API, wired into the rig: oracle, control face, cleanup."""

from __future__ import annotations

import pytest

from harness.run.cells import Cell
from harness.run.judge import NeedsRep, Observations
from harness.run.rig import Rig, Target
from harness.run.variants import DEFAULT
from harness.sandbox import kit as kit_module
from harness.sandbox.control import SandboxControl
from harness.sandbox.public_oracle import PublicOracle
from harness.sdk.profiles import load_profiles
from harness.sdk.strategies import load_strategies
from harness.timeline import Timeline

from .conftest import Sandbox
from .test_interrupt import _runtime

pytestmark = pytest.mark.anyio


class QuietConsole:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def show(self, line: str) -> None:
        self.lines.append(line)

    def close(self) -> None:
        self.lines.append("(closed)")


def _web_cell() -> Cell:
    profile = next(p for p in load_profiles() if p.platform == "web")
    strategy = next(s for s in load_strategies() if "web" in s.platforms)
    return Cell(profile, strategy, DEFAULT)


@pytest.mark.parametrize("interactive", [False, True])
async def test_the_rig_runs_a_real_org_through_the_kit_and_cleans_up(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, interactive: bool
) -> None:
    monkeypatch.setattr(kit_module, "TerminalConsole", QuietConsole)
    timeline = Timeline()
    target = Target(sandbox.url, sandbox.org_id, "New_Channel", sandbox.ca_bundle, interactive=interactive)
    rig = await Rig.start(_web_cell(), 11, timeline, Observations(), target)
    try:
        assert rig.sandbox is not None and rig.control_http is None
        assert isinstance(rig.control, SandboxControl) and (rig.control.rep is not None) is interactive
        assert isinstance(rig.journey.oracle, PublicOracle)
        await rig.configure(session_based_chat=True)  # checked by the probe, not changed
        await rig.journey.open_chat()
        cid = str(rig.journey.first_conversation_id)
        if not interactive:
            with pytest.raises(NeedsRep, match="rerun with --interactive"):
                await rig.need_control("play the rep").end_session(cid, "Agent")
        with pytest.raises(NeedsRep, match="no control API for POST /clock/advance"):
            await rig.need_control("move the clock").advance_clock(60)
    finally:
        await rig.aclose()
    runtime = _runtime(sandbox)
    assert runtime.conversations[cid].closed, "the run's conversation was left open"
    notes = [s.summary for s in timeline.steps]
    assert "Session-Based Chat probe on New_Channel: in_effect" in notes
    assert "cleanup closed 1 conversation(s)" in notes
