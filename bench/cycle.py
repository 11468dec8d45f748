"""The whole cycle of a simulated app against the mock runtime, with many apps at once.

    python bench/cycle.py [--apps 300] [--rounds 3] [--seconds 10] [--server mock@../old-checkout ...]
    python bench/cycle.py --rate 185 [--seconds 10]      # open loop: echo latency at a fixed rate of new cycles

One cycle is what an app does from start to finish under Session-Based Chat: get an unauthenticated token, open its
SSE stream, create a conversation, send a message (unique id), wait for that message's echo on the stream, the rep
ends the session (control API: under Session-Based Chat this closes the conversation), send again to the closed
conversation (must be refused with a 4xx), close the stream. Every cycle is a new app on new connections.

Closed loop (default): `--apps` apps each run cycles back to back; the figures are cycles/s, the echo latency
(message sent -> its frame read from the stream) p50/p99, and RSS kept per finished cycle. Open loop (`--rate`):
cycles start at a fixed rate whatever the server's pace, so the echo latency is the one an app sees at that rate.
The apps are spread over `--clients` load-generator processes, so that the client is not the bottleneck.
Several servers (e.g. this checkout and `mock@DIR`, an older one) alternate round by round in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

import httpx
from servers import DEPLOYMENT, ORG_ID, V2, Connection, Server, load_average, message_body, raise_fd_limit, request

from harness.wire import new_uuid


@dataclass
class Tally:
    cycles: int = 0
    failed: int = 0
    echoes_ms: list[float] = field(default_factory=list)


class CycleError(RuntimeError):
    pass


async def _expect(conn: Connection, raw: bytes, status: int | None = None) -> dict[str, object]:
    got, body = await conn.request(raw)
    if (status is None and got >= 400) or (status is not None and got != status):
        raise CycleError(f"answered {got}: {body[:200]!r}")
    return json.loads(body) if body else {}


async def one_cycle(port: int, tally: Tally) -> None:
    rest = await Connection.open(port)
    stream_reader, stream_writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        token_body = json.dumps({"orgId": ORG_ID, "esDeveloperName": DEPLOYMENT}).encode()
        answer = await _expect(rest, request("POST", f"{V2}/authorization/unauthenticated/access-token", token_body))
        auth = f"Authorization: Bearer {answer['accessToken']}\r\n"
        stream_writer.write(
            (
                f"GET /eventrouter/v1/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{auth}"
                f"X-Org-Id: {ORG_ID[:15]}\r\n\r\n"  # the 15-character id, as the SDKs send it
            ).encode()
        )
        head = await stream_reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head[:16]:
            raise CycleError(f"stream refused: {head[:60]!r}")
        cid = new_uuid()
        create = json.dumps({"conversationId": cid, "esDeveloperName": DEPLOYMENT}).encode()
        await _expect(rest, request("POST", f"{V2}/conversation", create, auth), 201)
        message_id = new_uuid()
        wanted = message_id.encode()

        async def echo() -> float:
            seen = b""
            while wanted not in seen:
                chunk = await stream_reader.read(65536)
                if not chunk:
                    raise CycleError("stream ended before the echo")
                seen = seen[-64:] + chunk
            return time.perf_counter()

        waiting = asyncio.ensure_future(echo())
        sent = time.perf_counter()
        await _expect(rest, request("POST", f"{V2}/conversation/{cid}/message", message_body(message_id), auth), 202)
        echoed = await asyncio.wait_for(waiting, 30)
        await _expect(rest, request("POST", f"/control/conversations/{cid}/session/end", b'{"by":"Agent"}'), 200)
        again = message_body(new_uuid())
        got, _ = await rest.request(request("POST", f"{V2}/conversation/{cid}/message", again, auth))
        if not 400 <= got < 500:
            raise CycleError(f"a send to the closed conversation answered {got}, expected a 4xx")
        tally.cycles += 1
        tally.echoes_ms.append((echoed - sent) * 1000)
    finally:
        rest.close()
        stream_writer.close()


async def counted(port: int, tally: Tally) -> None:
    """One cycle; a connection the server dropped or a wrong answer counts as a failed cycle (reported)."""
    try:
        await one_cycle(port, tally)
    except (TimeoutError, CycleError, OSError, asyncio.IncompleteReadError):
        tally.failed += 1


async def closed_loop(port: int, apps: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    stop_at = time.perf_counter() + seconds

    async def app() -> None:
        while time.perf_counter() < stop_at:
            await counted(port, tally)

    started = time.perf_counter()
    await asyncio.gather(*(app() for _ in range(apps)))
    return tally, time.perf_counter() - started


async def open_loop(port: int, rate: float, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the load generator, not waiting for an event
        tasks.append(asyncio.ensure_future(counted(port, tally)))
    await asyncio.gather(*tasks)
    return tally, time.perf_counter() - started


async def configure(server: Server) -> None:
    """Session-Based Chat on the default deployment: the rep ending the session closes the conversation."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        r = await http.put(f"/control/deployments/{DEPLOYMENT}", json={"session_based_chat": True})
        r.raise_for_status()
        (await http.post(f"/control/deployments/{DEPLOYMENT}/publish")).raise_for_status()


def run_client(port: int, apps: int, rate: float | None, seconds: float) -> tuple[Tally, float]:
    """One load-generator process: its share of the apps (or of the rate)."""
    import uvloop

    raise_fd_limit()
    return uvloop.run(open_loop(port, rate, seconds) if rate else closed_loop(port, apps, seconds))


async def spread(pool: Executor, clients: int, port: int, apps: int, rate: float | None, seconds: float) -> Tally:
    loop = asyncio.get_running_loop()
    share_rate = rate / clients if rate else None
    parts = await asyncio.gather(
        *(loop.run_in_executor(pool, run_client, port, apps // clients, share_rate, seconds) for _ in range(clients))
    )
    tally = Tally()
    for part, _ in parts:
        tally.cycles += part.cycles
        tally.failed += part.failed
        tally.echoes_ms += part.echoes_ms
    return tally


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def main_async(args: argparse.Namespace) -> None:
    servers = [Server.start(s) for s in args.server]
    pool = ProcessPoolExecutor(args.clients, mp_context=multiprocessing.get_context("spawn"))
    try:
        for s in servers:
            await configure(s)
            await spread(pool, args.clients, s.port, min(args.apps, 50), None, args.warmup)
        rows: dict[str, list[tuple[float, float, float]]] = {s.name: [] for s in servers}
        rss_before = {s.name: s.rss_mib() for s in servers}
        cycles_total = dict.fromkeys(rss_before, 0)
        mode = f"open loop at {args.rate:g} cycles/s" if args.rate else f"closed loop, {args.apps} apps"
        for i in range(args.rounds):
            for s in servers:
                cpu = s.cpu_seconds()
                started = time.perf_counter()
                tally = await spread(pool, args.clients, s.port, args.apps, args.rate, args.seconds)
                elapsed = time.perf_counter() - started
                busy = (s.cpu_seconds() - cpu) / elapsed
                cycles_total[s.name] += tally.cycles
                rate = tally.cycles / elapsed
                p50, p99 = _pct(tally.echoes_ms, 0.5), _pct(tally.echoes_ms, 0.99)
                rows[s.name].append((rate, p50, p99))
                print(
                    f"  round {i + 1} {s.name:<12} {rate:7.1f} cycles/s  echo p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                    f"server CPU {busy:4.0%}  failed {tally.failed}  (load average {load_average()})",
                    flush=True,
                )
        print(f"\nwhole cycle, {mode}, median of {args.rounds} x {args.seconds:g} s, load average {load_average()}")
        for s in servers:
            rate, p50, p99 = (statistics.median(r[k] for r in rows[s.name]) for k in range(3))
            kept = (s.rss_mib() - rss_before[s.name]) * 1024 / max(1, cycles_total[s.name])
            print(
                f"{s.name:<14} {rate:7.1f} cycles/s  echo p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
                f"RSS {s.rss_mib():.0f} MiB ({kept:.1f} KiB kept per finished cycle)"
            )
    finally:
        pool.shutdown()
        for s in servers:
            s.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--apps", type=int, default=300, help="concurrent apps in the closed loop")
    parser.add_argument("--rate", type=float, help="open loop: new cycles per second")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes sharing the apps")
    parser.add_argument("--server", action="append", default=[], help="mock (default) or mock@DIR; repeatable")
    args = parser.parse_args()
    args.server = args.server or ["mock"]
    raise_fd_limit()
    import uvloop

    uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
