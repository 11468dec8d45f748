"""Benchmark of the conformance matrix: time per scenario run in-process, and the whole bundled matrix.

Prints, over several rounds (medians, since the machines are shared and noisy):
  * one scenario run driven directly on the in-process runtime (no pytest): "a rep ends the session under
    Session-Based Chat, then the user gets back to a rep", the journey most scenarios share;
  * the pytest-bdd suite: median test duration from the run records, and the wall time of the whole bundled
    matrix serial and with `-n 2`.

    python bench/matrix.py [--rounds 3] [--direct-runs 200] [--skip-suite] [--workers 1 2 4 8]

CPU times (of this process for the in-process run, of the pytest process tree for the matrix) are printed next to
wall times: on a shared machine they move much less with its load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from harness.commands.run import names_its_plugins, suite_plugin_options
from harness.run.cells import Cell
from harness.run.judge import Observations, judge
from harness.run.rig import Rig, Target
from harness.run.variants import CLOSE_EVENT
from harness.sdk.profiles import load_profiles
from harness.sdk.strategies import load_strategies
from harness.steps.options import suite_command
from harness.timeline import Timeline


async def one_run(cell: Cell, seed: int) -> float:
    started = time.perf_counter()
    obs = Observations()
    rig = await Rig.start(cell, seed, Timeline(), obs, Target())
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
    judge(obs)
    return (time.perf_counter() - started) * 1000


async def direct(runs: int) -> tuple[list[float], float]:
    """(wall ms of each run, mean CPU ms per run): CPU time is what a loaded machine disturbs least."""
    profiles = {p.name: p for p in load_profiles()}
    strategies = {s.name: s for s in load_strategies()}
    cell = Cell(profiles["android-1.10"], strategies["persist-until-closed-event"], CLOSE_EVENT)
    for seed in range(10):  # warm-up
        await one_run(cell, seed)
    cpu = time.process_time()
    walls = [await one_run(cell, seed) for seed in range(runs)]
    return walls, (time.process_time() - cpu) * 1000 / runs


def suite(workers: int, *extra: str, named_plugins: bool = True) -> tuple[float, float, list[float], int]:
    """(wall s, CPU s of the whole process tree, per-test durations, runs) of one bundled matrix."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = suite_command(Path(tmp), *extra) + (suite_plugin_options() if named_plugins else [])
        if workers > 1:
            cmd += ["-n", str(workers)]
        env = dict(os.environ)
        if names_its_plugins(cmd):  # as `miaw-harness run` starts it
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False, env=env)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        durations = [json.loads(line)["duration_ms"] for f in Path(tmp).glob("runs-*.jsonl") for line in f.open()]
    return wall, cpu, durations, len(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--direct-runs", type=int, default=200)
    parser.add_argument("--skip-suite", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts of the bundled matrix")
    args = parser.parse_args()

    medians, cpus = [], []
    for _ in range(args.rounds):
        times, cpu = asyncio.run(direct(args.direct_runs))
        medians.append(statistics.median(times))
        cpus.append(cpu)
    direct_cpu = statistics.median(cpus)
    direct_wall = statistics.median(medians)
    print(
        f"direct scenario run (in-process, {args.direct_runs} runs x {args.rounds} rounds): "
        f"median {statistics.median(medians):.2f} ms wall, {direct_cpu:.2f} ms CPU per run "
        f"(round medians: {', '.join(f'{m:.2f}' for m in medians)}; load average {_load()})"
    )
    if args.skip_suite:
        return
    for named in (False, True):
        collect = [suite(1, "--collect-only", named_plugins=named)[:2] for _ in range(args.rounds)]
        how = "plugins named, autoload off (as `run`)" if named else "every installed plugin autoloaded"
        cpu, wall = statistics.median(c[1] for c in collect), statistics.median(c[0] for c in collect)
        print(f"start-up + collection of the bundled matrix (one process, {how}): {cpu:.2f} s CPU, {wall:.2f} s wall")
    for workers in args.workers:
        walls, cpus, per_test = [], [], []
        count = 0
        for _ in range(args.rounds):
            wall, cpu, durations, count = suite(workers)
            walls.append(wall)
            cpus.append(cpu)
            per_test.append(statistics.median(durations))
        label = "serial" if workers == 1 else f"-n {workers}"
        cpu = statistics.median(cpus)
        wall = statistics.median(walls)
        print(
            f"bundled matrix {label}: {count} runs, wall median {wall:.1f} s = {wall * 1000 / count:.1f} ms per run "
            f"({wall * 1000 / count / direct_wall:.1f}x the in-process median), "
            f"CPU {cpu:.1f} s ({cpu * 1000 / count:.1f} ms per run = {cpu * 1000 / count / direct_cpu:.1f}x the "
            f"in-process run), median test {statistics.median(per_test):.2f} ms (load average {_load()})"
        )


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
