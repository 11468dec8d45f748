"""Report speed: fold run records into cells and render every report file, on a matrix the size of the bundled one."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.report.directory import render_files, write_report
from harness.report.results import aggregate, dumps, from_json

VERDICTS = ["pass", "pass", "pass", "degraded", "blocked", "not_applicable"]
KINDS = [("action", "user"), ("request", "app"), ("event", "server"), ("control", "rep"), ("ui", "app")]


def records(profiles: int, scenarios: int, apps: int, variants: int, steps: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for s in range(scenarios):
        for p in range(profiles):
            platform = ("ios", "android", "web")[p % 3]
            for a in range(apps):
                for v in range(variants):
                    verdict = rng.choice(VERDICTS)
                    out.append(
                        {
                            "scenario_id": f"area{s % 7}/scenario-{s}",
                            "scenario": f"Scenario {s}",
                            "feature": f"Feature {s % 7}",
                            "feature_file": f"area{s % 7}/f.feature",
                            "feature_line": 1,
                            "scenario_line": 3 + s,
                            "tags": ["closing"],
                            "article": [],
                            "sdk": {"name": f"{platform}-1.{p}", "platform": platform, "version": f"1.{p}.0"},
                            "app": f"app-{a}",
                            "variant": {"name": f"variant-{v}", "settings": {"flag": bool(v)}},
                            "verdict": verdict,
                            "reason_code": "recovered" if verdict == "pass" else "reused_closed_id",
                            "reason": f"{verdict} for a reason",
                            "seed": rng.randrange(2**31),
                            "evidence": [
                                {"seq": i + 1, "kind": k, "actor": actor, "summary": f"step {i} of the run",
                                 "detail": {"status": 200} if k == "request" else {}, "at_ms": i * 10}
                                for i, (k, actor) in enumerate(rng.choice(KINDS) for _ in range(steps))
                            ],
                            "steps": [{"keyword": "Given", "name": "x", "line": 4 + s, "status": "passed",
                                       "duration_ms": 0.1, "error": None}],
                            "nodeid": f"suite::test_{s}[{p}-{a}-{v}]",
                            "duration_ms": 1.0,
                            "worker": "gw0",
                        }
                    )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=15)
    parser.add_argument("--scenarios", type=int, default=40)
    parser.add_argument("--apps", type=int, default=7)
    parser.add_argument("--variants", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30, help="evidence steps per run")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = records(args.profiles, args.scenarios, args.apps, args.variants, args.steps, seed=1)
    timings: dict[str, list[float]] = {"aggregate": [], "render (5 files)": [], "write + swap": [], "read back": []}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            results = aggregate(data, 7)
            t1 = time.perf_counter()
            files = render_files(results)
            t2 = time.perf_counter()
            write_report(results, Path(tmp) / "out")
            t3 = time.perf_counter()
            from_json(json.loads(dumps(results)))
            t4 = time.perf_counter()
            for name, value in (("aggregate", t1 - t0), ("render (5 files)", t2 - t1), ("write + swap", t3 - t2),
                                ("read back", t4 - t3)):  # fmt: skip
                timings[name].append(value)
            sizes = {name: len(text.encode()) for name, text in files.items()}
    print(f"{len(data)} run records -> {len(results.cells)} cells ({args.steps} evidence steps per run)")
    for name, values in timings.items():
        print(f"  {name:<18} median {statistics.median(values) * 1000:8.1f} ms over {len(values)} rounds")
    for name, size in sizes.items():
        print(f"  {name:<18} {size / 1e6:8.2f} MB")


if __name__ == "__main__":
    main()
