"""Send-message under load: req/s and p99 of the mock runtime as a ratio of a bare Starlette endpoint, same run.

    python bench/load.py [--connections 32 256] [--rounds 3] [--seconds 10] [--warmup 3]
                         [--server mock@../old-checkout ...] [--load wrk|python]
    python bench/load.py --sustain 10 [--segment 60]      # steady state: minute 1 vs minute 10 of one sustained load

Every server runs alone in its own process and is loaded alone (the others sit idle); rounds alternate between the
servers so that a change in the machine's load hits all of them alike, and the figures are medians over the rounds.
The mock's requests carry a real signed token to a real conversation and a unique message id each. The load comes
from wrk (Debian package `wrk`, one thread) with a Lua script; without wrk a Python keep-alive client stands in, which
shares the CPU with the servers and so reads lower -- the output says which one ran.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass

import httpx
from servers import V2, Connection, Server, end_user, load_average, message_body, raise_fd_limit, request

WRK_SCRIPT = """
local counter = 0
local salt = "{salt}"
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}
request = function()
  counter = counter + 1
  local id = string.format("%08x-0000-4000-8000-%s", counter, salt)
  local body = '{{"message":{{"id":"' .. id .. '","messageType":"StaticContentMessage","staticContent":' ..
    '{{"formatType":"Text","text":"benchmark message"}}}},"esDeveloperName":"{deployment}"}}'
  return wrk.format("POST", "{path}", headers, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


@dataclass
class Figure:
    rate: float  # req/s
    p50_ms: float
    p99_ms: float
    cpu_us: float = 0.0  # server CPU time per request: the figure the machine's load disturbs least


@dataclass
class Target:
    server: Server
    token: str
    cid: str


_rounds = iter(range(1, 1 << 40))


def run_wrk(target: Target, connections: int, seconds: float) -> Figure:
    salt = f"{next(_rounds):012x}"  # unique message ids across rounds: the counter restarts in every wrk run
    script = WRK_SCRIPT.format(
        salt=salt, token=target.token, deployment="MIAW_Harness", path=f"{V2}/conversation/{target.cid}/message"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="miaw-bench-") as f:
        f.write(script)
        f.flush()
        duration = f"-d{max(1, round(seconds))}s"
        cmd = ["wrk", "-t1", f"-c{connections}", duration, "--timeout", "10s", "-s", f.name, target.server.url]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    requests, duration_us, p50_us, p99_us, errors = (int(x) for x in line.split()[1:])
    if errors:
        raise RuntimeError(f"{target.server.name}: {errors} of {requests} requests failed or timed out")
    return Figure(requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000)


async def run_python(target: Target, connections: int, seconds: float) -> Figure:
    conns = [await Connection.open(target.server.port) for _ in range(connections)]
    salt = f"{next(_rounds):012x}"
    counter = iter(range(1 << 40))
    path = f"{V2}/conversation/{target.cid}/message"
    auth = f"Authorization: Bearer {target.token}\r\n"
    latencies: list[float] = []
    bad = 0
    stop_at = time.perf_counter() + seconds

    async def worker(conn: Connection) -> None:
        nonlocal bad
        while (sent := time.perf_counter()) < stop_at:
            raw = request("POST", path, message_body(f"{next(counter):08x}-0000-4000-8000-{salt}"), auth)
            status, _ = await conn.request(raw)
            latencies.append(time.perf_counter() - sent)
            bad += status >= 400

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        c.close()
    if bad:
        raise RuntimeError(f"{target.server.name}: {bad} of {len(latencies)} requests failed")
    ordered = sorted(latencies)
    return Figure(len(ordered) / elapsed, ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99)] * 1000)


async def load(kind: str, target: Target, connections: int, seconds: float) -> Figure:
    cpu, started = target.server.cpu_seconds(), time.perf_counter()
    if kind == "wrk":
        figure = await asyncio.to_thread(run_wrk, target, connections, seconds)
    else:
        figure = await run_python(target, connections, seconds)
    requests = figure.rate * (time.perf_counter() - started)  # the whole load, as the CPU figure spans it too
    figure.cpu_us = (target.server.cpu_seconds() - cpu) * 1e6 / requests
    return figure


async def prepare(spec: str) -> Target:
    server = Server.start(spec)
    if spec == "bare":
        return Target(server, "bare-endpoint-takes-no-token", "00000000-0000-4000-8000-000000000000")
    async with httpx.AsyncClient(base_url=server.url) as http:
        token, _, cid = await end_user(http)
    return Target(server, token, cid)


async def compare(args: argparse.Namespace, kind: str) -> None:
    specs = ["bare", *args.server]
    targets = [await prepare(s) for s in specs]
    try:
        for t in targets:
            await load(kind, t, max(args.connections), args.warmup)
        figures: dict[tuple[str, int], list[Figure]] = {(s, c): [] for s in specs for c in args.connections}
        for i in range(args.rounds):
            for c in args.connections:
                for t in targets:
                    f = await load(kind, t, c, args.seconds)
                    figures[t.server.name, c].append(f)
                    print(
                        f"  round {i + 1} c={c:<3} {t.server.name:<12} {f.rate:8,.0f} req/s  p50 {f.p50_ms:7.1f} ms"
                        f"  p99 {f.p99_ms:7.1f} ms  CPU {f.cpu_us:5.0f} us/req  (load average {load_average()})",
                        flush=True,
                    )
        print(
            f"\nsend-message, {kind}, median of {args.rounds} x {args.seconds:g} s after a {args.warmup:g} s warm-up, "
            f"load average at the end {load_average()} (2-core box: compare the ratios, not the absolute figures)"
        )
        print(
            f"{'server':<14}"
            + "".join(f"| c={c} req/s (x bare) | p99 ms (x bare) | CPU us/req " for c in args.connections)
            + "| RSS"
        )
        for t in targets:
            cells = ""
            for c in args.connections:
                mine, bare = figures[t.server.name, c], figures["bare", c]
                rate, p99 = statistics.median(f.rate for f in mine), statistics.median(f.p99_ms for f in mine)
                b_rate, b_p99 = statistics.median(f.rate for f in bare), statistics.median(f.p99_ms for f in bare)
                cpu = statistics.median(f.cpu_us for f in mine)
                cells += f"| {rate:8,.0f} ({rate / b_rate:4.2f}x) | {p99:7.1f} ({p99 / b_p99:5.1f}x) | {cpu:5.0f} "
            print(f"{t.server.name:<14}{cells}| {t.server.rss_mib():.0f} MiB")
    finally:
        for t in targets:
            t.server.stop()


async def sustain(args: argparse.Namespace, kind: str) -> None:
    spec = args.server[0] if args.server else "mock"
    target = await prepare(spec)
    c = args.connections[0]
    try:
        rows: list[Figure] = []
        print(f"sustained load on {spec}: {args.sustain} x {args.segment:g} s back to back, c={c}, {kind}")
        for minute in range(1, args.sustain + 1):
            f = await load(kind, target, c, args.segment)
            rows.append(f)
            print(
                f"  segment {minute:>2}: {f.rate:8,.0f} req/s  p50 {f.p50_ms:7.1f} ms  p99 {f.p99_ms:7.1f} ms  "
                f"CPU {f.cpu_us:4.0f} us/req  "
                f"RSS {target.server.rss_mib():6.0f} MiB  (load average {load_average()})",
                flush=True,
            )
        first, last = rows[0], rows[-1]
        print(
            f"last segment vs first: throughput {last.rate / first.rate:.2f}x, p99 {last.p99_ms / first.p99_ms:.2f}x, "
            f"CPU per request {last.cpu_us / first.cpu_us:.2f}x "
            f"(target: both within 10%), RSS {target.server.rss_mib():.0f} MiB"
        )
    finally:
        target.server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one round")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--server", action="append", default=[], help="mock (default), or mock@DIR for another checkout; repeatable"
    )
    parser.add_argument("--load", choices=["wrk", "python"], help="load generator (default: wrk when installed)")
    parser.add_argument("--sustain", type=int, metavar="SEGMENTS", help="sustained mode: this many segments")
    parser.add_argument("--segment", type=float, default=60.0, help="length of one sustained segment in seconds")
    args = parser.parse_args()
    args.server = args.server or ["mock"]
    kind = args.load
    if kind is None:
        kind = "wrk" if shutil.which("wrk") else "python"
        if kind == "python":
            print("wrk is not installed (apt-get install wrk): using the Python load generator, which competes with")
            print("the servers for CPU -- figures read lower than with wrk; the ratios to bare are still comparable")
    elif kind == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk, or pass --load python")
    raise_fd_limit()
    import uvloop

    uvloop.run(sustain(args, kind) if args.sustain else compare(args, kind))


if __name__ == "__main__":
    main()
