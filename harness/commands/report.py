"""`miaw-harness report`: re-render a results file, or show what changed between two runs or two SDK versions."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from harness.commands import inputs
from harness.commands.compare_output import add_compare_arguments, run_comparison
from harness.commands.report_merge import DEFAULT_OUT, is_merge, run_merge, single_results
from harness.errors import UserError
from harness.report.directory import prepare, render_files
from harness.report.junit import FAILING
from harness.report.readiness import assess, read_install_base

HELP = "Re-render the report from results.json, or compare it with another run (--compare) or SDK (--compare-sdk)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        type=Path,
        nargs="+",
        metavar="RESULTS.json",
        help="a results.json written by `run`; or `merge SHARD.json...` to join the shards of one run",
    )
    parser.add_argument("--compare", type=Path, metavar="OTHER.json", help="an earlier results.json to compare with")
    parser.add_argument(
        "--compare-sdk", nargs=2, metavar=("OLDER", "NEWER"), help="compare two SDK profiles within RESULTS.json"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="re-render into DIR (default ./miaw-report)")
    parser.add_argument("--install-base", type=Path, metavar="CSV", help="platform,sdk_version,active_users rows")
    parser.add_argument(
        "--fail-on",
        choices=sorted(FAILING),
        default="blocked",
        help="what junit.xml counts as failed, and which regressions make a comparison exit 1 (default blocked)",
    )
    add_compare_arguments(parser)


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console()
    if is_merge(args):
        return run_merge(args, console)
    args.results = single_results(args)
    results = inputs.results_file(args.results, "RESULTS.json")
    install = None if args.install_base is None else read_install_base(args.install_base)
    comparing = args.compare is not None or args.compare_sdk is not None
    if args.compare is not None and args.compare_sdk is not None:
        raise UserError("give --compare or --compare-sdk, not both")
    out = args.out if args.out is not None or comparing else DEFAULT_OUT  # a comparison writes only with --out
    staging = prepare(out) if out is not None else None  # `--out` is checked and reserved before any work
    try:
        code = run_comparison(args, results, console) if comparing else 0
        if staging is not None:
            written = staging.commit(render_files(results, install, args.fail_on))
            readiness = assess(results, install)
            if comparing and args.format != "text":  # keep stdout pure Markdown / JSON
                console = Console(stderr=True)
            console.print(readiness.headline, soft_wrap=True)
            console.print(readiness.blocks_line, soft_wrap=True)
            console.print(f"report: {written / 'index.html'}", soft_wrap=True)
    finally:
        if staging is not None:
            staging.discard()  # no-op once the report was swapped in
    return code
