"""Benchmark of the simulated SDK + app against the in-process runtime: wall time of one scenario run.

Usage: python bench/sdk.py [--runs 200] [--exchanges 10] [--pair android-1.10:persist-until-closed-event]

One scenario: launch the app, `exchanges` rounds of (user sends, rep answers, settle), the rep ends the session
under Session-Based Chat, one send on the closed conversation, reopen, one send. The runtime is built fresh for
every run (as the harness does per cell); the figure is the median and p90 over the runs, plus the cost per
exchange. The first run (imports, key setup) is left out as warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import httpx

from harness.run.control import ControlClient
from harness.sdk import DeviceStorage, SimulatedApp, load_profiles, load_strategies, select_profiles, select_strategies
from harness.server import ServerConfig, StreamingASGITransport, create_app
from harness.timeline import Timeline


async def scenario(profile_name: str, strategy_name: str, exchanges: int, seed: int) -> tuple[float, int]:
    profile = select_profiles(load_profiles(), [profile_name])[0]
    strategy = select_strategies(load_strategies(), [strategy_name])[0]
    config = ServerConfig.default()
    started = time.perf_counter()
    asgi = StreamingASGITransport(create_app(config))
    async with httpx.AsyncClient(transport=asgi, base_url="http://miaw.test") as http:
        control = ControlClient(http)
        await control.configure(config.default_deployment, {"session_based_chat": True})
        timeline = Timeline()
        app = SimulatedApp(
            profile=profile,
            strategy=strategy,
            http=http,
            org_id=config.org_id,
            deployment=config.default_deployment,
            storage=DeviceStorage(),
            timeline=timeline,
            rng=random.Random(seed),
            control=control,
        )
        await app.launch()
        for i in range(exchanges):
            await app.send(f"question {i}")
            await control.send_message(app.conversation_id or "", "Agent", f"answer {i}")
            await app.settle()
        await control.end_session(app.conversation_id or "", "Agent")
        await app.settle()
        await app.send("still there?")
        await app.reopen_chat()
        await app.send("new conversation")
        await app.settle()
        await app.aclose()
    return time.perf_counter() - started, len(timeline.steps)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--exchanges", type=int, default=10)
    parser.add_argument("--pair", default="android-1.10:persist-until-closed-event")
    args = parser.parse_args()
    profile_name, strategy_name = args.pair.split(":")
    await scenario(profile_name, strategy_name, args.exchanges, 0)  # warm-up
    times: list[float] = []
    steps = 0
    for run in range(args.runs):
        elapsed, steps = await scenario(profile_name, strategy_name, args.exchanges, run)
        times.append(elapsed * 1000)
    times.sort()
    median = statistics.median(times)
    p90 = times[int(len(times) * 0.9) - 1]
    exchanges = args.exchanges * 2 + 3
    print(f"pair {args.pair}: {args.runs} runs, {exchanges} exchanges and {steps} timeline steps per run")
    print(f"scenario median {median:.2f} ms, p90 {p90:.2f} ms, {median / exchanges:.3f} ms per exchange")


if __name__ == "__main__":
    asyncio.run(main())
