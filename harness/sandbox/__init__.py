"""Sandbox validation mode: the same client against a real org, with nothing harness-only on the server side."""

from __future__ import annotations

from harness.sandbox.budget import Budget, BudgetExceeded, GuardedTransport, guarded_client
from harness.sandbox.cleanup import Cleanup, CleanupReport
from harness.sandbox.config import SandboxConfig, is_loopback_host, load_config
from harness.sandbox.interactive import InteractiveControl, InteractiveRep, TerminalConsole
from harness.sandbox.preflight import Check, Validation, preflight
from harness.sandbox.probe import ProbeResult, SbcState, probe_session_based_chat
from harness.sandbox.public_oracle import PublicOracle
from harness.sandbox.redact import RedactingFilter, Redactor
from harness.sandbox.waiter import Waiter

__all__ = [
    "Budget",
    "BudgetExceeded",
    "Check",
    "Cleanup",
    "CleanupReport",
    "GuardedTransport",
    "InteractiveControl",
    "InteractiveRep",
    "ProbeResult",
    "PublicOracle",
    "RedactingFilter",
    "Redactor",
    "SandboxConfig",
    "SbcState",
    "TerminalConsole",
    "Validation",
    "Waiter",
    "guarded_client",
    "is_loopback_host",
    "load_config",
    "preflight",
    "probe_session_based_chat",
]
