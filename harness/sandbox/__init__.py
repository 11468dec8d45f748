"""Sandbox validation mode: the same client against a real org, with nothing harness-only on the server side."""

from __future__ import annotations

from harness.sandbox.budget import Budget, BudgetExceeded, GuardedTransport, guarded_client
from harness.sandbox.cleanup import Cleanup, CleanupReport
from harness.sandbox.config import SandboxConfig, is_loopback_host, load_config
from harness.sandbox.control import SandboxControl
from harness.sandbox.interactive import InteractiveRep, TerminalConsole
from harness.sandbox.kit import SandboxKit
from harness.sandbox.preflight import Check, Validation, preflight, run_validation
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
    "InteractiveRep",
    "ProbeResult",
    "PublicOracle",
    "RedactingFilter",
    "Redactor",
    "SandboxConfig",
    "SandboxControl",
    "SandboxKit",
    "SbcState",
    "TerminalConsole",
    "Validation",
    "Waiter",
    "guarded_client",
    "is_loopback_host",
    "load_config",
    "preflight",
    "probe_session_based_chat",
    "run_validation",
]
