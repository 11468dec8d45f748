"""Benchmark of sandbox validation mode against a sandbox-like runtime on loopback (TLS, no control API).

Prints medians over several rounds (the machines are shared and noisy):
  * `validate` end to end (preflight + probe + cleanup) with pacing off: wall ms and requests per run, for a
    channel with Session-Based Chat on and one with it off; and what the default pace (5 requests/s) makes of it;
  * the request guard's cost: sequential requests/s through a plain httpx transport vs the guarded one;
  * redaction throughput on a report-sized text (MB/s).

    python bench/sandbox.py [--rounds 5] [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx

from harness.sandbox.budget import Budget, GuardedTransport
from harness.sandbox.config import SandboxConfig
from harness.sandbox.preflight import run_validation
from harness.sandbox.redact import Redactor
from harness.sandbox.waiter import Waiter
from harness.server import DeploymentSettings, RunningServer, ServerConfig, start_in_thread

UNPACED = 1e9


def _config() -> ServerConfig:
    return ServerConfig(
        deployments={
            "Channel_On": DeploymentSettings(channel_type="EmbeddedWeb", session_based_chat=True),
            "Channel_Off": DeploymentSettings(channel_type="EmbeddedWeb"),
        }
    )


async def validate_once(server: RunningServer, deployment: str) -> tuple[float, int]:
    assert server.cert_path is not None
    config = SandboxConfig(server.base_url, server.org_id, deployment, server.cert_path)
    budget = Budget(1000, UNPACED)
    started = time.perf_counter()
    validation = await run_validation(config, budget, waiter=Waiter(timeout_s=0))
    elapsed = (time.perf_counter() - started) * 1000
    assert validation.ok, validation.to_text()
    return elapsed, validation.requests


async def requests_per_second(server: RunningServer, count: int, guarded: bool) -> float:
    assert server.cert_path is not None
    verify = SandboxConfig(server.base_url, server.org_id, "Channel_On", server.cert_path).verify()
    transport: httpx.AsyncBaseTransport = httpx.AsyncHTTPTransport(verify=verify)
    if guarded:
        transport = GuardedTransport(transport, Budget(count + 1, UNPACED), "127.0.0.1")
    params = {"orgId": server.org_id, "esConfigName": "Channel_On"}
    async with httpx.AsyncClient(base_url=server.base_url, transport=transport) as http:
        await http.get("/embeddedservice/v1/embedded-service-config", params=params)  # connection warm-up
        started = time.perf_counter()
        for _ in range(count - 1):
            response = await http.get("/embeddedservice/v1/embedded-service-config", params=params)
            assert response.status_code == 200
        return (count - 1) / (time.perf_counter() - started)


def redaction_mb_per_s(rounds: int) -> float:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2Mi9pYW1lc3NhZ2UifQ.c2lnbmF0dXJlLWJ5dGVz"
    line = '{"summary": "POST /iamessage/api/v2/conversation -> 201", "detail": {"status": 201}}\n'
    text = (line * 20_000) + token
    redactor = Redactor(["a-known-secret-value"])
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        cleaned = redactor.text(text)
        samples.append(len(text) / (time.perf_counter() - started) / 1e6)
        assert token not in cleaned
    return statistics.median(samples)


async def main_async(rounds: int, count: int) -> None:
    with start_in_thread(_config(), tls=True, control=False) as server:
        for deployment in ("Channel_On", "Channel_Off"):
            runs = [await validate_once(server, deployment) for _ in range(rounds)]
            median_ms = statistics.median(ms for ms, _ in runs)
            used = runs[0][1]
            paced_s = (used - 1) / 5.0
            print(
                f"validate {deployment:<11}  median {median_ms:7.1f} ms unpaced, {used} requests "
                f"(at the default 5 req/s the pace alone is {paced_s:.1f} s)"
            )
        plain = statistics.median([await requests_per_second(server, count, False) for _ in range(rounds)])
        guarded = statistics.median([await requests_per_second(server, count, True) for _ in range(rounds)])
        print(
            f"request guard: plain {plain:7.0f} req/s, guarded {guarded:7.0f} req/s over TLS loopback "
            f"(ratio {guarded / plain:.2f})"
        )
    print(f"redaction: {redaction_mb_per_s(rounds):.1f} MB/s on a 1.7 MB report-like text")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.requests))


if __name__ == "__main__":
    main()
