"""The journey, unchanged, drives the demo chat through the browser adapter and reaches the simulated web verdicts.

Scenario: the journey most scenarios share. The user writes until a rep answers; the rep ends the session under
Session-Based Chat (the close event follows); the journey runs its bounded recovery; the judge decides. The same
scenario on the simulated `web` profile with the same app strategy must give the same verdict.
"""

from __future__ import annotations

import httpx
import pytest
from faker import Faker

from harness.clients.browser import BrowserAdapter
from harness.clients.demo_app import demo_browser_config
from harness.run.cells import Cell
from harness.run.control import ControlClient
from harness.run.journey import Journey
from harness.run.judge import Observations, VerdictResult, judge
from harness.run.oracle import ControlOracle
from harness.run.rig import Rig, Target
from harness.run.variants import CLOSE_EVENT
from harness.sdk.profiles import load_profiles
from harness.sdk.strategies import load_strategies
from harness.server import RunningServer
from harness.timeline import Kind, Timeline

pytestmark = pytest.mark.anyio


async def closing_journey(journey: Journey, control: ControlClient) -> VerdictResult:
    await journey.open_chat()
    await control.end_session(str(journey.first_conversation_id), "Agent")
    await journey.settle()
    await journey.recover()
    await journey.audit_messages()
    return judge(journey.obs)


async def in_the_browser(server: RunningServer, policy: str) -> tuple[VerdictResult, Timeline]:
    faker = Faker()
    faker.seed_instance(7)
    timeline = Timeline()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as http:
        control = ControlClient(http)
        await control.configure("MIAW_Web", {"session_based_chat": True, "emit_close_event_on_sbc_end": True})
        config = demo_browser_config(server.base_url, policy)
        async with BrowserAdapter(config, control=control, timeline=timeline) as app:
            journey = Journey(app, ControlOracle(control), timeline, lambda: faker.sentence(6), Observations())
            return await closing_journey(journey, control), timeline


async def simulated(policy: str) -> VerdictResult:
    profile = {p.name: p for p in load_profiles()}["web"]
    strategy = {s.name: s for s in load_strategies()}[policy]
    rig = await Rig.start(Cell(profile, strategy, CLOSE_EVENT), 7, Timeline(), Observations(), Target())
    try:
        await rig.configure(session_based_chat=True)
        assert rig.control is not None
        return await closing_journey(rig.journey, rig.control)
    finally:
        await rig.aclose()


@pytest.mark.parametrize(
    ("policy", "verdict", "recovered_by"),
    [
        ("pick-first-open-from-list", "pass", "tap 'start a new conversation'"),
        ("persist-forever", "blocked", None),
    ],
)
async def test_the_demo_chat_gets_the_simulated_web_verdict(
    demo_server: RunningServer, control: ControlClient, policy: str, verdict: str, recovered_by: str | None
) -> None:
    found, timeline = await in_the_browser(demo_server, policy)
    expected = await simulated(policy)
    assert found.verdict == expected.verdict
    assert found.verdict.value == verdict, found.reason
    if recovered_by is not None:
        assert found.reason.endswith(f"after: type in the chat, {recovered_by}")
    else:
        assert "relaunch the app (2)" in found.reason
    actions = [s.summary for s in timeline.of(Kind.ACTION)]
    assert actions[0] == "launch the app (open the web chat)"
