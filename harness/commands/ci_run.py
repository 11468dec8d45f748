"""`run` options for CI: `--shard K/N` (a deterministic slice of the cells) and `--summary-json FILE` (the headline)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from harness.errors import UserError
from harness.report.readiness import InstallRow, assess
from harness.report.results import Results
from harness.report.summary import is_summary, summary, write_summary
from harness.shard import Shard


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_ci_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="run only the K-th of N deterministic slices of the cells; `report merge` joins the slices' results",
    )
    parser.add_argument(
        "--summary-json", type=Path, metavar="FILE", help="also write the headline, counts and exit code as JSON"
    )


def shard_options(args: argparse.Namespace) -> list[str]:
    """The pytest options that make the suite run only this shard's cells."""
    shard: Shard | None = getattr(args, "shard", None)
    return [] if shard is None else ["-p", "harness.shard", "--miaw-shard", shard.text]


def mark_shard(args: argparse.Namespace, results: Results) -> Results:
    shard: Shard | None = getattr(args, "shard", None)
    return results if shard is None else dataclasses.replace(results, shard=(shard.index, shard.total))


def check_summary_path(args: argparse.Namespace) -> None:
    path: Path | None = getattr(args, "summary_json", None)
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"--summary-json {path} is a directory; give a file name")
    if path.exists() and not is_summary(path):
        raise UserError(
            f"--summary-json {path} exists and is not a summary this harness wrote: it is left alone (give a new name)"
        )


def write_run_summary(
    args: argparse.Namespace, results: Results, install: Sequence[InstallRow] | None, out: Path, code: int
) -> None:
    path: Path | None = getattr(args, "summary_json", None)
    if path is not None:
        data = summary(results, assess(results, install), args.fail_on, code, out / "index.html")
        write_summary(path, data)
