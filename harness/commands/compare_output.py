"""`report --compare` / `--compare-sdk` output: `--format text|md|json`, one verdict line, exit 1 on a regression."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from harness.commands import inputs
from harness.report.comparison import (
    FORMATS,
    Comparison,
    compare_run_files,
    compare_sdk_profiles,
    print_text,
    render_json,
    render_md,
)
from harness.report.results import Results

EXIT_REGRESSED = 1


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="comparison output: text (terminal), md (a pull-request comment) or json (miaw-harness/compare@1)",
    )


def comparison_of(args: argparse.Namespace, results: Results) -> Comparison:
    if args.compare is not None:
        before = inputs.results_file(args.compare, "--compare")
        return compare_run_files(before, results, str(args.compare), str(args.results), args.fail_on)
    older, newer = args.compare_sdk
    return compare_sdk_profiles(results, older, newer, args.fail_on)


def run_comparison(args: argparse.Namespace, results: Results, console: Console) -> int:
    """Print the comparison in the chosen format; 1 when a cell got worse at or above `--fail-on`."""
    comparison = comparison_of(args, results)
    if args.format == "text":
        print_text(comparison, console)
    else:
        text = render_md(comparison) if args.format == "md" else render_json(comparison)
        console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True, end="")
        print(comparison.verdict_line, file=sys.stderr)  # stdout stays pure Markdown / JSON; the CI log sees why
    return EXIT_REGRESSED if comparison.failed else 0
