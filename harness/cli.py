"""`miaw-harness` command line: a dispatcher over one module per sub-command (harness/commands/)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness.errors import UserError

# name -> module under harness.commands exposing `add_arguments(parser)`, `run(args) -> int` and `HELP`.
COMMANDS: dict[str, str] = {
    "serve": "harness.commands.serve",
    "run": "harness.commands.run",
    "report": "harness.commands.report",
    "profiles": "harness.commands.profiles",
    "validate": "harness.commands.validate",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miaw-harness",
        description="Conformance harness and SDK simulator for Salesforce Session-Based Chat.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        cmd = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    try:
        return int(run(args))
    except UserError as exc:
        print(f"miaw-harness {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"miaw-harness {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
