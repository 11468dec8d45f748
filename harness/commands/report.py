"""`miaw-harness report`: re-render a results file, or show what changed between two runs or two SDK versions."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.errors import UserError
from harness.report.compare import Change, Direction, compare_runs, compare_versions
from harness.report.directory import prepare, render_files
from harness.report.junit import FAILING
from harness.report.readiness import assess, read_install_base
from harness.report.results import Results, read_results

HELP = "Re-render the report from results.json, or compare it with another run (--compare) or SDK (--compare-sdk)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", type=Path, metavar="RESULTS.json", help="a results.json written by `run`")
    parser.add_argument("--compare", type=Path, metavar="OTHER.json", help="an earlier results.json to compare with")
    parser.add_argument(
        "--compare-sdk", nargs=2, metavar=("OLDER", "NEWER"), help="compare two SDK profiles within RESULTS.json"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="re-render into DIR (default ./miaw-report)")
    parser.add_argument("--install-base", type=Path, metavar="CSV", help="platform,sdk_version,active_users rows")
    parser.add_argument("--fail-on", choices=sorted(FAILING), default="blocked", help="what junit.xml counts as failed")


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    console = console or Console()
    results = _read(args.results, "RESULTS.json")
    install = None if args.install_base is None else read_install_base(args.install_base)
    comparing = args.compare is not None or args.compare_sdk is not None
    if args.compare is not None and args.compare_sdk is not None:
        raise UserError("give --compare or --compare-sdk, not both")
    out = args.out if args.out is not None or not comparing else None
    staging = prepare(out) if out is not None else None  # `--out` is checked and reserved before any work
    try:
        if args.compare is not None:
            before = _read(args.compare, "--compare")
            changes = compare_runs(before, results)
            print_changes(changes, f"{args.compare} -> {args.results}", console)
        elif args.compare_sdk is not None:
            older, newer = args.compare_sdk
            print_changes(compare_versions(results, older, newer), f"{older} -> {newer}", console)
        if staging is not None:
            written = staging.commit(render_files(results, install, args.fail_on))
            readiness = assess(results, install)
            console.print(readiness.headline, soft_wrap=True)
            console.print(readiness.blocks_line, soft_wrap=True)
            console.print(f"report: {written / 'index.html'}", soft_wrap=True)
    finally:
        if staging is not None:
            staging.discard()  # no-op once the report was swapped in
    return 0


def _read(path: Path, what: str) -> Results:
    """A results file, where a binary or non-UTF-8 file is a usage error naming it."""
    try:
        return read_results(path)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{what} {path} is not UTF-8 text (byte {exc.start}): give a results.json written by `run`"
        ) from None


def print_changes(changes: list[Change], title: str, console: Console) -> None:
    worse = sum(1 for c in changes if c.direction is Direction.WORSE)
    better = sum(1 for c in changes if c.direction is Direction.BETTER)
    console.print(
        f"{title}: {better} cells better, {worse} worse, {len(changes) - better - worse} added or removed",
        soft_wrap=True,
    )
    if not changes:
        return
    table = Table(title=f"What changed ({title})")
    for column in ("change", "scenario", "SDK", "app strategy", "before", "after", "reason"):
        table.add_column(column)
    for change in changes:
        sdk = (
            change.after_sdk if change.before_sdk == change.after_sdk else f"{change.before_sdk} -> {change.after_sdk}"
        )
        table.add_row(
            change.direction.value,
            change.scenario_id,
            sdk,
            change.app,
            change.before.value if change.before else "-",
            change.after.value if change.after else "-",
            change.reason,
        )
    console.print(table)
