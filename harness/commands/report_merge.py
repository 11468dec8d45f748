"""`miaw-harness report merge SHARD.json... --out DIR`: the shards of one run, rendered as the report of the whole."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from harness.commands import inputs
from harness.errors import UserError
from harness.report.directory import check_out_dir, write_report
from harness.report.merge import merge
from harness.report.readiness import assess, read_install_base

MERGE = Path("merge")
DEFAULT_OUT = Path("miaw-report")


def is_merge(args: argparse.Namespace) -> bool:
    return bool(args.results) and Path(args.results[0]) == MERGE


def single_results(args: argparse.Namespace) -> Path:
    """The one RESULTS.json of `report RESULTS.json ...` (several only go with `report merge`)."""
    files: list[Path] = list(args.results)
    if len(files) != 1:
        raise UserError(f"give one results file, or `report merge` followed by the shards' files (got {len(files)})")
    return files[0]


def run_merge(args: argparse.Namespace, console: Console) -> int:
    files: list[Path] = list(args.results[1:])
    if not files:
        raise UserError("report merge needs the shards' results.json files (e.g. shard-*/results.json)")
    if args.compare is not None or args.compare_sdk is not None:
        raise UserError("merge first, then compare the merged results.json")
    out = (args.out if args.out is not None else DEFAULT_OUT).resolve()
    check_out_dir(out)
    install = None if args.install_base is None else read_install_base(args.install_base)
    merged = merge([(path, inputs.results_file(path, "shard")) for path in files])
    written = write_report(merged, out, install, args.fail_on)
    readiness = assess(merged, install)
    console.print(f"merged {len(files)} results files: {len(merged.cells)} cells, seed {merged.seed}")
    console.print(readiness.headline, soft_wrap=True)
    console.print(readiness.blocks_line, soft_wrap=True)
    console.print(f"report: {written / 'index.html'}", soft_wrap=True)
    return 0
