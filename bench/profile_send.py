"""Where the send-message path spends its CPU: the ASGI app called in-process (no HTTP), profiled with cProfile.

    python bench/profile_send.py [--requests 20000] [--top 25] [--bare] [--gc-policy]

The app is driven exactly as uvicorn drives it (scope, receive, send), with a real signed token, a real open
conversation and a unique message id per request, so the figures are the app's own work: routing, token check,
body parsing, the state change, the SSE frame and the JSON answer. The clock is `time.process_time`, so a busy
machine moves the figures little. Printed: CPU per request without the profiler (first and last tenth, to show
whether per-request work grows with the conversation), then the top functions by own time under the profiler.
`--bare` profiles the bare baseline endpoint of `bench/servers.py` instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from typing import Any

from servers import V2, bare_app, message_body

from harness.server import ServerConfig, create_app

ORG_ID = "00DHA0000001HRNAAA"
DEPLOYMENT = "MIAW_Harness"


class Driver:
    """Calls an ASGI app the way a server does, one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(self, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent = False
        status = 0
        out: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                out.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(out)


async def prepare(bare: bool) -> tuple[Driver, str, list[tuple[bytes, bytes]]]:
    import json

    from harness.wire import new_uuid

    if bare:
        return Driver(bare_app()), f"{V2}/conversation/{new_uuid()}/message", []
    driver = Driver(create_app(ServerConfig.default()))
    body = json.dumps({"orgId": ORG_ID, "esDeveloperName": DEPLOYMENT}).encode()
    status, raw = await driver.call("POST", f"{V2}/authorization/unauthenticated/access-token", body, [])
    assert status == 200, raw
    auth = [(b"authorization", b"Bearer " + json.loads(raw)["accessToken"].encode())]
    cid = new_uuid()
    body = json.dumps({"conversationId": cid, "esDeveloperName": DEPLOYMENT}).encode()
    status, raw = await driver.call("POST", f"{V2}/conversation", body, auth)
    assert status == 201, raw
    return driver, f"{V2}/conversation/{cid}/message", auth


async def run(driver: Driver, path: str, auth: list[tuple[bytes, bytes]], start: int, count: int) -> list[float]:
    """CPU seconds of each request."""
    clock = time.process_time
    costs = []
    for n in range(start, start + count):
        began = clock()
        status, raw = await driver.call("POST", path, message_body(f"{n:08x}-0000-4000-8000-000000000000"), auth)
        costs.append(clock() - began)
        if status != 202:
            raise RuntimeError(f"send-message answered {status}: {raw[:200]!r}")
    return costs


async def main_async(args: argparse.Namespace) -> None:
    driver, path, auth = await prepare(args.bare)
    if args.gc_policy:
        from harness.server import gcpolicy

        gcpolicy.install()  # what `miaw-harness serve` runs with
    costs = await run(driver, path, auth, 0, args.requests)
    slowest = sorted(costs, reverse=True)
    print(
        f"slowest requests (CPU ms: the collector's pauses): {', '.join(f'{c * 1000:.1f}' for c in slowest[:5])}"
        f"; 99.9th percentile {slowest[len(costs) // 1000] * 1000:.2f} ms; garbage collector "
        + ("policy of `serve` installed" if args.gc_policy else "left at CPython's default (--gc-policy: as `serve`)")
    )
    tenth = max(1, len(costs) // 10)
    first, last = sum(costs[:tenth]) / tenth, sum(costs[-tenth:]) / tenth
    print(
        f"{'bare' if args.bare else 'mock'}: {sum(costs) * 1e6 / len(costs):.0f} us CPU per request over "
        f"{len(costs):,} requests to one conversation; first tenth {first * 1e6:.0f} us, last tenth "
        f"{last * 1e6:.0f} us ({last / first:.2f}x)"
    )
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    await run(driver, path, auth, args.requests, args.profiled)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(args.top)
    lines = text.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print(f"top {args.top} functions by own time, {args.profiled:,} profiled requests:")
    print("\n".join(line[:150] for line in lines[start:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="unprofiled requests (CPU per request)")
    parser.add_argument("--profiled", type=int, default=5_000, help="requests under the profiler")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--bare", action="store_true", help="profile the bare baseline endpoint instead")
    parser.add_argument("--gc-policy", action="store_true", help="install the garbage-collector policy of `serve`")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
