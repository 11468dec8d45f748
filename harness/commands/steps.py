"""`miaw-harness steps`: every bundled step a team's scenarios can use, read from the step definitions."""

from __future__ import annotations

import argparse
import sys

from harness.steps.catalogue import as_markdown, as_text

HELP = "List every bundled Given/When/Then step: its text, parameters, meaning and an example."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--markdown", action="store_true", help="print the catalogue as Markdown (the text of docs/steps.md)"
    )


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(as_markdown() if args.markdown else as_text())
    return 0
