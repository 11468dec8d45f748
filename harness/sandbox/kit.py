"""What a scenario run against a real org (a target without control API) is given instead of the mock's control.

A guarded HTTP client for the app (one host, paced, bounded), the public-API oracle, a `SandboxControl` (the
channel is checked by probing, the rep is a person in `--interactive` mode or nobody), and a cleanup that closes
every conversation the run's end users opened, the probe's included, when the run ends or is interrupted.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.sandbox.budget import CLEANUP_RESERVE, Budget, guarded_client
from harness.sandbox.cleanup import Cleanup, CleanupReport
from harness.sandbox.config import SandboxConfig, ssl_context
from harness.sandbox.control import SandboxControl
from harness.sandbox.interactive import Console, InteractiveRep, TerminalConsole
from harness.sandbox.probe import DEFAULT_WAIT_S, ProbeResult, probe_channel
from harness.sandbox.public_oracle import Credentials, PublicOracle
from harness.sandbox.waiter import Waiter
from harness.timeline import Kind, Timeline

__all__ = ["RUN_BUDGET", "SandboxKit", "target_verify"]

RUN_BUDGET = 2000  # requests per scenario run; the SSE stream counts once per (re)connection
RUN_RATE = 20.0  # requests per second per scenario run toward a real org
LOOPBACK_RATE = 500.0  # a runtime on this machine (the sandbox-like mock) needs no pacing to speak of


def target_verify(ca_bundle: str | None) -> object:
    """The `verify=` for an httpx client toward `--target`: an SSL context (a path string is deprecated in httpx)."""
    return ssl_context(ca_bundle) if ca_bundle else True


@dataclass
class SandboxKit:
    config: SandboxConfig
    http: httpx.AsyncClient
    budget: Budget
    timeline: Timeline
    interactive: bool
    console: Console | None = None
    nonce: int = field(default_factory=lambda: secrets.randbits(31))
    oracle: PublicOracle | None = None
    control: SandboxControl | None = None
    cleanup: Cleanup | None = None
    probe_tokens: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        base_url: str,
        org_id: str,
        deployment: str,
        ca_bundle: str | None,
        *,
        timeline: Timeline,
        interactive: bool = False,
        console: Console | None = None,
    ) -> SandboxKit:
        config = SandboxConfig(base_url.rstrip("/"), org_id, deployment, Path(ca_bundle) if ca_bundle else None)
        budget = Budget(RUN_BUDGET, LOOPBACK_RATE if config.loopback else RUN_RATE)
        if interactive and console is None:
            console = TerminalConsole()
        return cls(config, guarded_client(config, budget), budget, timeline, interactive, console)

    def app_seed(self, seed: int) -> int:
        """A real org remembers every conversation id: mix a per-run nonce in, so a rerun never reuses one."""
        return seed ^ self.nonce

    def attach(self, credentials: Credentials) -> PublicOracle:
        """Wire the oracle, control and cleanup to the app (`credentials()` -> its current (subject, token))."""
        oracle = PublicOracle(self.http, credentials)
        rep = InteractiveRep(oracle, self.console) if self.interactive and self.console is not None else None
        oracle.rep = rep
        self.oracle = oracle
        self.control = SandboxControl(self.config.deployment, oracle, self._probe, rep)
        self.cleanup = Cleanup(self.http, self.config.deployment, tokens=self._tokens)
        return oracle

    def _tokens(self) -> list[str]:
        known = list(self.oracle.known().values()) if self.oracle is not None else []
        return known + self.probe_tokens

    async def _probe(self) -> ProbeResult:
        wait = 0.0 if self.config.loopback else DEFAULT_WAIT_S  # a loopback runtime answers synchronously
        rng = random.Random(self.nonce)
        result, token = await probe_channel(
            self.http, self.config.org_id, self.config.deployment, rng=rng, waiter=Waiter(timeout_s=wait, poll_s=1.0)
        )
        if token:
            self.probe_tokens.append(token)
        self.timeline.add(
            Kind.NOTE,
            "harness",
            f"Session-Based Chat probe on {self.config.deployment}: {result.state.value}",
            {"probe": result.to_json()},
        )
        return result

    async def aclose(self) -> CleanupReport:
        """Close every open conversation the run's identities have (shielded from cancellation), then the client."""
        report = CleanupReport()
        try:
            if self.cleanup is not None:
                self.budget.extend(CLEANUP_RESERVE)
                report = await self.cleanup.close_all()
                if report.closed or report.failed:
                    self.timeline.add(
                        Kind.NOTE,
                        "harness",
                        f"cleanup closed {len(report.closed)} conversation(s)",
                        {"closed": report.closed, "failed": report.failed},
                    )
        finally:
            await self.http.aclose()
            if isinstance(self.console, TerminalConsole):
                self.console.close()
        return report
