"""Benchmark of the browser client adapter: the shared closing journey, driven in headless Chromium on the demo chat.

For each policy, several runs of the journey most scenarios share ("a rep ends the session under Session-Based
Chat, then the user gets back to a rep"): a fresh browser opens the demo chat served by the mock over loopback HTTP,
the user writes until a rep answers, the rep ends the session (the close event follows), the journey runs its
bounded recovery and the judge gives a verdict. Prints the median time per scenario (browser start included, and
the browser start alone), and the verdict next to the simulated `web` profile's verdict for the same strategy.

    python bench/browser_client.py [--runs 5] [--policies web-storage,pick-first-open-from-list]

With `--via-run`, it runs `miaw-harness run --client browser:<the demo chat's TOML>` instead, over the bundled
closing scenarios of `--areas` (default: session_based_chat,web), once per policy, and prints the median
test duration from junit.xml (per scenario run: one per runtime variant), the wall time of the whole command and
the verdicts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import httpx
from faker import Faker

from harness.clients.browser import BrowserAdapter
from harness.clients.demo_app import DEMO_BROWSER_TOML, add_demo_client, demo_browser_config
from harness.paths import features_dir
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


def via_run(policy: str, areas: list[str]) -> None:
    """`miaw-harness run --client browser:...` over the bundled feature folders `areas`: per-scenario median from
    junit.xml, wall time."""
    with tempfile.TemporaryDirectory(prefix="miaw-bench-client-") as tmp:
        features = Path(tmp) / "features"
        for area in areas:
            shutil.copytree(features_dir() / area, features / area)
        toml = Path(tmp) / "demo.toml"
        toml.write_text(
            DEMO_BROWSER_TOML.read_text(encoding="utf-8").replace("policy=web-storage", f"policy={policy}"),
            encoding="utf-8",
        )
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "harness", "run", "-q", "--fail-on", "never", "--serve-port", "0"]
        command += ["--client", f"browser:{toml}", "--out", str(out)]
        command += ["--features", str(features)]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        lines = {s["id"]: (s["feature_file"], s["line"]) for s in results["scenarios"]}
        runs = {lines[c["scenario_id"]]: len(c["runs"]) for c in results["cells"]}
        times = [  # junit.xml times a cell (all its runs): per scenario run, divided by its runs
            float(case.get("time") or 0) / runs[(str(case.get("file")), int(case.get("line") or 0))]
            for case in ET.parse(out / "junit.xml").getroot().iter("testcase")
            for _ in range(runs[(str(case.get("file")), int(case.get("line") or 0))])
        ]
        verdicts = Counter(
            line.split("|")[2].strip()
            for line in (out / "report.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and line.count("|") == 4 and not line.startswith("| Check")
        )
    print(
        f"run --client browser (demo chat, {policy}): {len(times)} scenario runs, "
        f"median {statistics.median(times):.2f} s per scenario run (min {min(times):.2f} s, max {max(times):.2f} s); "
        f"whole command {wall:.1f} s; "
        f"cells: {dict(verdicts)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--via-run", action="store_true", help="time `miaw-harness run --client` instead")
    parser.add_argument(
        "--areas", default="session_based_chat,web", help="with --via-run: bundled feature folders (comma-separated)"
    )
    args = parser.parse_args()
    if args.via_run:
        for policy in args.policies.split(","):
            via_run(policy, args.areas.split(","))
        return
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
