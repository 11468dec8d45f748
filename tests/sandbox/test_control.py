"""SandboxControl: the channel is checked by probing, never changed; a mismatch is not applicable or a Setup task."""

from __future__ import annotations

import random

import pytest

from harness.run.judge import NeedsRep, NotApplicable
from harness.sandbox.control import SandboxControl
from harness.sandbox.interactive import InteractiveRep
from harness.sandbox.probe import ProbeResult, probe_channel
from harness.sandbox.public_oracle import PublicOracle
from harness.sandbox.waiter import Waiter
from harness.server.state import Runtime

from .conftest import InProcess
from .test_interactive import Person

pytestmark = pytest.mark.anyio


def _control(env: InProcess, deployment: str, person: Person | None = None) -> tuple[SandboxControl, list[int]]:
    probes: list[int] = []
    oracle = PublicOracle(env.http, lambda: (None, None))

    async def probe() -> ProbeResult:
        probes.append(1)
        result, _ = await probe_channel(
            env.http, env.config.org_id, deployment, rng=random.Random(len(probes)), waiter=Waiter(timeout_s=0)
        )
        return result

    rep = None
    if person is not None:
        rep = InteractiveRep(oracle, person, Waiter(timeout_s=30, poll_s=1, pause=person.pause, clock=lambda: 0.0))
    return SandboxControl(deployment, oracle, probe, rep), probes


@pytest.mark.parametrize(("deployment", "wanted"), [("New_Channel", True), ("Existing_Channel", False)])
async def test_a_matching_channel_passes_the_check_with_one_probe(
    in_process: InProcess, deployment: str, wanted: bool
) -> None:
    control, probes = _control(in_process, deployment)
    await control.configure(deployment, {"session_based_chat": wanted})
    await control.configure(deployment, {"session_based_chat": wanted})
    assert probes == [1]
    assert in_process.runtime.deployments[deployment].published.session_based_chat is wanted  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("deployment", "wanted", "fragment"),
    [
        ("New_Channel", False, "has Session-Based Chat on; this scenario needs it off"),
        ("Existing_Channel", True, "has Session-Based Chat off; this scenario needs it on"),
    ],
)
async def test_a_mismatch_is_not_applicable_without_a_person(
    in_process: InProcess, deployment: str, wanted: bool, fragment: str
) -> None:
    control, _ = _control(in_process, deployment)
    with pytest.raises(NotApplicable, match=fragment):
        await control.put_deployment(deployment, {"session_based_chat": wanted})


async def test_a_person_is_asked_to_change_setup_and_the_probe_confirms_it(in_process: InProcess) -> None:
    def turn_on(runtime: Runtime, line: str) -> None:
        runtime.save_settings("Existing_Channel", {"session_based_chat": True})
        runtime.publish("Existing_Channel")

    person = Person(in_process.runtime, turn_on)
    control, probes = _control(in_process, "Existing_Channel", person)
    await control.configure("Existing_Channel", {"session_based_chat": True})
    assert "select the box, save, then publish Existing_Channel" in person.lines[0]
    assert len(probes) == 3  # the check, a poll before the person acted, a poll after
    assert await control.session_based_chat() == "in_effect"


async def test_a_probe_that_cannot_decide_needs_a_person(in_process: InProcess) -> None:
    control, _ = _control(in_process, "No_Such_Channel")
    with pytest.raises(NeedsRep, match="cannot tell whether Session-Based Chat is in effect"):
        await control.put_deployment("No_Such_Channel", {"session_based_chat": True})
