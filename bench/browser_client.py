"""Benchmark of the browser client adapter: the shared closing journey, driven in headless Chromium on the demo chat.

For each policy, several runs of the journey most scenarios share ("a rep ends the session under Session-Based
Chat, then the user gets back to a rep"): a fresh browser opens the demo chat served by the mock over loopback HTTP,
the user writes until a rep answers, the rep ends the session (the close event follows), the journey runs its
bounded recovery and the judge gives a verdict. Prints the median time per scenario (browser start included, and
the browser start alone), and the verdict next to the simulated `web` profile's verdict for the same strategy.

    python bench/browser_client.py [--runs 5] [--policies web-storage,pick-first-open-from-list]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from faker import Faker

from harness.clients.browser import BrowserAdapter
from harness.clients.demo_app import add_demo_client, demo_browser_config
from harness.run.cells import Cell
from harness.run.control import ControlClient
from harness.run.journey import Journey
from harness.run.judge import Observations, judge
from harness.run.oracle import ControlOracle
from harness.run.rig import Rig, Target
from harness.run.variants import CLOSE_EVENT
from harness.sdk.profiles import load_profiles
from harness.sdk.strategies import load_strategies
from harness.server import start_in_thread
from harness.server.config import DeploymentSettings, ServerConfig
from harness.timeline import Timeline

POLICIES = ("web-storage", "pick-first-open-from-list", "persist-forever", "new-per-launch")


def sbc_config() -> ServerConfig:
    settings = DeploymentSettings(session_based_chat=True, emit_close_event_on_sbc_end=True)
    return ServerConfig(deployments={"MIAW_Harness": settings})


async def browser_run(base_url: str, policy: str, seed: int) -> tuple[float, float, str, str]:
    """(ms for the whole scenario, ms for the browser start alone, verdict, its detail)."""
    faker = Faker()
    faker.seed_instance(seed)
    obs = Observations()
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as http:
        control = ControlClient(http)
        await control.reset()
        started = time.perf_counter()
        async with BrowserAdapter(demo_browser_config(base_url, policy), control=control) as app:
            await app._launch_chromium()  # measured apart: most of a scenario's time on a small machine
            browser_ms = (time.perf_counter() - started) * 1000
            journey = Journey(
                app=app, oracle=ControlOracle(control), timeline=Timeline(), text=lambda: faker.sentence(6), obs=obs
            )
            await journey.open_chat()
            await control.end_session(str(journey.first_conversation_id), "Agent")
            await journey.settle()
            await journey.recover()
            await journey.audit_messages()
        total_ms = (time.perf_counter() - started) * 1000
    verdict = judge(obs)
    return total_ms, browser_ms, str(verdict.verdict.value), verdict.reason


async def simulated_verdict(policy: str, seed: int) -> str:
    profile = {p.name: p for p in load_profiles()}["web"]
    strategy = {s.name: s for s in load_strategies()}[policy]
    obs = Observations()
    rig = await Rig.start(Cell(profile, strategy, CLOSE_EVENT), seed, Timeline(), obs, Target())
    try:
        await rig.configure(session_based_chat=True)
        await rig.journey.open_chat()
        assert rig.control is not None
        await rig.control.end_session(str(rig.journey.first_conversation_id), "Agent")
        await rig.journey.settle()
        await rig.journey.recover()
        await rig.journey.audit_messages()
    finally:
        await rig.aclose()
    return str(judge(obs).verdict.value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--policies", default=",".join(POLICIES))
    args = parser.parse_args()
    with start_in_thread(sbc_config(), extend=add_demo_client) as server:
        for policy in args.policies.split(","):
            results = [asyncio.run(browser_run(server.base_url, policy, seed)) for seed in range(args.runs)]
            totals = [r[0] for r in results]
            starts = [r[1] for r in results]
            verdicts = sorted({r[2] for r in results})
            simulated = asyncio.run(simulated_verdict(policy, 0))
            print(
                f"{policy}: {args.runs} runs, median {statistics.median(totals) / 1000:.2f} s per scenario "
                f"(browser start {statistics.median(starts) / 1000:.2f} s; min {min(totals) / 1000:.2f} s, "
                f"max {max(totals) / 1000:.2f} s); verdict {'/'.join(verdicts)} "
                f"(simulated web profile: {simulated}); detail: {results[0][3]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
