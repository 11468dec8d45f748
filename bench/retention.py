"""Memory of a long-running mock runtime: server RSS per finished conversation cycle, and what retention keeps.

Usage: python bench/retention.py [--cycles 6000] [--clients 16] [--every 1000]

The runtime runs in its own process on loopback (so its RSS is measured alone, from /proc). Each cycle is what a
real app does in a short chat: an unauthenticated token, a new conversation, one message, an SSE stream opened until
its first ping and dropped, then End Chat (DELETE). `--clients` apps run cycles concurrently. The figures: RSS after
every `--every` cycles, the growth per cycle over the second half of the run (after warm-up), and, when the runtime
has it, the retention view (`GET /control/retention`).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

ORG_ID = "00DHA0000001HRNAAA"
DEPLOYMENT = "MIAW_Harness"
V2 = "/iamessage/api/v2"


def serve_child() -> None:
    """Child process: serve the default runtime on a free loopback port, print it, run until stdin closes."""
    from harness.server import ServerConfig, start_in_thread

    with start_in_thread(ServerConfig.default()) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


async def cycle(http: httpx.AsyncClient) -> None:
    r = await http.post(
        f"{V2}/authorization/unauthenticated/access-token",
        json={"orgId": ORG_ID, "esDeveloperName": DEPLOYMENT, "capabilitiesVersion": "1", "platform": "Web"},
    )
    r.raise_for_status()
    headers = {"Authorization": f"Bearer {r.json()['accessToken']}"}
    cid = str(uuid.uuid4())
    r = await http.post(
        f"{V2}/conversation", json={"conversationId": cid, "esDeveloperName": DEPLOYMENT}, headers=headers
    )
    r.raise_for_status()
    message = {"id": str(uuid.uuid4()), "messageType": "StaticContentMessage", "staticContent": {"text": "hello"}}
    r = await http.post(f"{V2}/conversation/{cid}/message", json={"message": message}, headers=headers)
    r.raise_for_status()
    sse_headers = {**headers, "X-Org-Id": ORG_ID, "Last-Event-Id": "0"}
    async with http.stream("GET", "/eventrouter/v1/sse", headers=sse_headers) as stream:
        async for _ in stream.aiter_bytes():
            break  # the first chunk (a ping, then the replay) is enough: the app drops the stream
    r = await http.delete(f"{V2}/conversation/{cid}", headers=headers)
    r.raise_for_status()


async def run(base_url: str, pid: int, cycles: int, clients: int, every: int) -> None:
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as http:
        done = 0
        samples: list[tuple[int, int]] = [(0, rss_kib(pid))]
        print(f"{'cycles':>8} {'server RSS MiB':>15}")
        print(f"{0:>8} {samples[0][1] / 1024:>15.1f}")
        while done < cycles:
            batch = min(every, cycles - done)
            queue = iter(range(batch))

            async def worker(queue: object = queue) -> None:
                for _ in queue:  # type: ignore[attr-defined]
                    await cycle(http)

            await asyncio.gather(*(worker() for _ in range(clients)))
            done += batch
            samples.append((done, rss_kib(pid)))
            print(f"{done:>8} {samples[-1][1] / 1024:>15.1f}")
        half = [s for s in samples if s[0] >= cycles // 2]
        (c0, r0), (c1, r1) = half[0], half[-1]
        slope = (r1 - r0) / (c1 - c0) if c1 > c0 else 0.0
        print(f"growth over cycles {c0}-{c1}: {slope:.2f} KiB per finished cycle")
        print(f"total: {samples[0][1] / 1024:.1f} -> {samples[-1][1] / 1024:.1f} MiB over {cycles} cycles")
        r = await http.get("/control/retention")
        print(f"retention view: {r.json() if r.status_code == 200 else f'not served ({r.status_code})'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        serve_child()
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        base_url = child.stdout.readline().strip()
        if not base_url:
            raise SystemExit("the runtime process did not start")
        asyncio.run(run(base_url, child.pid, args.cycles, args.clients, args.every))
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
