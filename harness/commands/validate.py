"""`miaw-harness validate`: preflight a real org's deployment before rollout, with a summary of what to fix."""

from __future__ import annotations

import argparse
import json

import anyio

from harness.errors import UserError
from harness.sandbox.budget import Budget
from harness.sandbox.config import ENV_DEPLOYMENT, ENV_ORG_ID, ENV_SCRT_URL, load_config
from harness.sandbox.preflight import EXPECTATIONS, run_validation
from harness.sandbox.probe import DEFAULT_WAIT_S
from harness.sandbox.redact import RedactingFilter, Redactor
from harness.sandbox.waiter import Waiter

HELP = (
    "Preflight a real org (sandbox) before rollout: reachability, token issuance, deployment config, and whether "
    "Session-Based Chat is in effect."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scrt-url", metavar="URL", help=f"the Salesforce Messaging URL (or {ENV_SCRT_URL})")
    parser.add_argument("--org-id", metavar="ID", help=f"the org id, 00D... (or {ENV_ORG_ID})")
    parser.add_argument("--deployment", metavar="NAME", help=f"the deployment's API name (or {ENV_DEPLOYMENT})")
    parser.add_argument("--ca-bundle", metavar="FILE", help="PEM bundle of a private CA that signed the runtime's cert")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--expect",
        choices=EXPECTATIONS,
        default="any",
        help="fail unless Session-Based Chat is on / off (default any: report what is in effect)",
    )
    parser.add_argument("--max-requests", type=int, default=100, metavar="N", help="request ceiling (default 100)")
    parser.add_argument("--rate", type=float, default=5.0, metavar="PER_S", help="requests per second (default 5)")
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help=f"how long to watch for the conversation to close after the session end (default {DEFAULT_WAIT_S:g})",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed for the probe's ids (default: fresh ids, as a real org needs)"
    )


def run(args: argparse.Namespace) -> int:
    if args.max_requests < 10:
        raise UserError(f"--max-requests must be at least 10 (the preflight needs about 12), got {args.max_requests}")
    if not 0 <= args.wait <= 600:
        raise UserError(f"--wait must be between 0 and 600 seconds, got {args.wait}")
    if not 0 < args.rate <= 100:
        raise UserError(f"--rate must be between 0 and 100 requests per second, got {args.rate}")
    config = load_config(
        scrt_url=args.scrt_url, org_id=args.org_id, deployment=args.deployment, ca_bundle=args.ca_bundle
    )
    redactor = Redactor([config.customer_jwt])
    guard = RedactingFilter(redactor)
    guard.install()
    try:
        budget = Budget(args.max_requests, args.rate)
        waiter = Waiter(timeout_s=args.wait, poll_s=1.0)
        validation = anyio.run(run_validation, config, budget, args.expect, args.seed, redactor, waiter)
    except UserError as exc:
        raise UserError(redactor.text(str(exc))) from None
    finally:
        guard.uninstall()
    if args.json:
        print(json.dumps(redactor.value(validation.to_json()), indent=2, sort_keys=True))
    else:
        print(redactor.text(validation.to_text()))
    return 0 if validation.ok else 1
