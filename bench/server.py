"""Benchmark of the mock runtime over loopback: send-message req/s vs a bare Starlette endpoint, SSE delivery latency.

Usage: python bench/server.py [--rounds 3] [--seconds 3] [--connections 32] [--streams 1000] [--sse-seconds 3]
                              [--only send|sse]

Each server runs in its own process (one uvicorn worker, uvloop + httptools); the load generator is a raw asyncio
HTTP/1.1 client with keep-alive connections, so that the client costs as little CPU as possible. Figures are medians
over the rounds. SSE latency is measured from the moment a control request asks a rep to write until the event's
frame arrives on the end user's stream, at one event per stream per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from servers import ORG_ID, V2, Connection, Server, end_user, message_body, raise_fd_limit, request


def _message_id(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


async def throughput(port: int, make_request: Callable[[int], bytes], connections: int, seconds: float) -> float:
    """Requests per second with `connections` keep-alive connections, each sending as fast as answers come."""
    conns = [await Connection.open(port) for _ in range(connections)]
    counter = iter(range(1 << 40))
    done = 0
    bad = 0
    stop_at = time.perf_counter() + seconds

    async def worker(conn: Connection) -> None:
        nonlocal done, bad
        while time.perf_counter() < stop_at:
            status, _ = await conn.request(make_request(next(counter)))
            done += 1
            bad += status >= 400

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        c.close()
    if bad:
        raise RuntimeError(f"{bad} of {done} requests failed")
    return done / elapsed


async def send_message_rounds(args: argparse.Namespace) -> None:
    mock, bare = Server.start("mock"), Server.start("bare")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{mock.port}") as http:
            users = [await end_user(http) for _ in range(args.connections)]
        # one conversation per connection would need per-connection templates; one shared user is the hot path
        token, _, cid = users[0]
        auth = f"Authorization: Bearer {token}\r\n"

        def mock_request(n: int) -> bytes:
            return request("POST", f"{V2}/conversation/{cid}/message", message_body(_message_id(n)), auth)

        def bare_request(n: int) -> bytes:
            return request("POST", f"{V2}/conversation/{cid}/message", message_body(_message_id(n)), auth)

        await throughput(mock.port, mock_request, args.connections, 0.5)  # warm-up
        await throughput(bare.port, bare_request, args.connections, 0.5)
        mock_rates, bare_rates = [], []
        for i in range(args.rounds):
            mock_rates.append(await throughput(mock.port, mock_request, args.connections, args.seconds))
            bare_rates.append(await throughput(bare.port, bare_request, args.connections, args.seconds))
            print(
                f"  round {i + 1}: send-message {mock_rates[-1]:,.0f} req/s, bare Starlette {bare_rates[-1]:,.0f} req/s"
            )
        m, b = statistics.median(mock_rates), statistics.median(bare_rates)
        print(f"send-message (median of {args.rounds}): {m:,.0f} req/s")
        print(f"bare Starlette endpoint (median of {args.rounds}): {b:,.0f} req/s")
        print(f"ratio: {m / b:.0%} of bare (target >= 50%; floor 5,000 req/s)")
    finally:
        mock.stop()
        bare.stop()


# -- SSE latency ------------------------------------------------------------------------------------------------------
_STAMP = re.compile(rb"T(\d+)T")


async def open_stream(port: int, token: str, latencies: list[float], ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"GET /eventrouter/v1/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
            f"Authorization: Bearer {token}\r\nX-Org-Id: {ORG_ID[:15]}\r\n\r\n"
        ).encode()
    )
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head[:16]:
            raise RuntimeError(f"stream refused: {head[:60]!r}")
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            if not ready.is_set() and b"event: ping" in chunk:
                ready.set()
            now = time.monotonic_ns()
            for match in _STAMP.finditer(chunk):
                latencies.append((now - int(match.group(1))) / 1e6)
    finally:
        writer.close()


@dataclass
class Pacing:
    start: float
    per_second: int
    numbers: Iterator[int]


async def trigger(conn: Connection, pacing: Pacing, cids: list[str]) -> None:
    """Ask reps to write, one event per stream per second, stamping each text with the send time."""
    for n in pacing.numbers:
        delay = pacing.start + n / pacing.per_second - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the load generator, not waiting for an event
        body = json.dumps({"role": "Agent", "text": f"T{time.monotonic_ns()}T"}).encode()
        status, _ = await conn.request(request("POST", f"/control/conversations/{cids[n % len(cids)]}/messages", body))
        if status != 200:
            raise RuntimeError(f"control message answered {status}")


async def sse_rounds(args: argparse.Namespace) -> None:
    mock = Server.start("mock")
    try:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{mock.port}", limits=limits) as http:
            sem = asyncio.Semaphore(16)

            async def one() -> tuple[str, str, str]:
                async with sem:
                    return await end_user(http)

            users = await asyncio.gather(*(one() for _ in range(args.streams)))
        latencies: list[float] = []
        readies = [asyncio.Event() for _ in users]
        streams = [
            asyncio.create_task(open_stream(mock.port, t, latencies, r))
            for (t, _, _), r in zip(users, readies, strict=True)
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        triggers = [await Connection.open(mock.port) for _ in range(8)]
        p50s, p99s = [], []
        for i in range(args.rounds):
            latencies.clear()
            total = int(args.streams * args.sse_seconds)
            pacing = Pacing(time.perf_counter(), args.streams, iter(range(total)))
            cids = [cid for _, _, cid in users]
            await asyncio.wait_for(
                asyncio.gather(*(trigger(c, pacing, cids) for c in triggers)), args.sse_seconds * 5 + 30
            )
            deadline = time.perf_counter() + 10
            while len(latencies) < total and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)  # the bench polls its own counter; tests never do this
            if len(latencies) < total:
                raise RuntimeError(f"only {len(latencies)} of {total} events arrived")
            ordered = sorted(latencies)
            p50s.append(ordered[len(ordered) // 2])
            p99s.append(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))])
            print(
                f"  round {i + 1}: {total} events over {args.streams} streams, "
                f"p50 {p50s[-1]:.1f} ms, p99 {p99s[-1]:.1f} ms"
            )
        print(
            f"SSE delivery, {args.streams} concurrent streams, 1 event/stream/s (median of {args.rounds}): "
            f"p50 {statistics.median(p50s):.1f} ms, p99 {statistics.median(p99s):.1f} ms (target p99 <= 100 ms)"
        )
        for c in triggers:
            c.close()
        for s in streams:
            s.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    finally:
        mock.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one throughput round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--sse-seconds", type=float, default=3.0, help="length of one SSE round")
    parser.add_argument("--only", choices=["send", "sse"], help="run one of the two measurements")
    args = parser.parse_args()
    raise_fd_limit()
    import uvloop

    uvloop.run(_both(args))


async def _both(args: argparse.Namespace) -> None:
    if args.only != "sse":
        await send_message_rounds(args)
    if args.only != "send":
        await sse_rounds(args)


if __name__ == "__main__":
    main()
