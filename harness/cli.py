"""`miaw-harness` command line: a dispatcher over one module per sub-command (harness/commands/)."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import sys
from collections.abc import Sequence

import harness
from harness.commands.signals import Terminated
from harness.errors import UserError

# name -> module under harness.commands exposing `add_arguments(parser)`, `run(args) -> int` and `HELP`.
COMMANDS: dict[str, str] = {
    "serve": "harness.commands.serve",
    "run": "harness.commands.run",
    "report": "harness.commands.report",
    "profiles": "harness.commands.profiles",
    "validate": "harness.commands.validate",
    "steps": "harness.commands.steps",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="miaw-harness",
        description="Conformance harness and SDK simulator for Salesforce Session-Based Chat.",
    )
    parser.add_argument("--version", action="version", version=f"miaw-harness {version()}")
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


def version() -> str:
    try:
        return importlib.metadata.version("miaw-harness")
    except importlib.metadata.PackageNotFoundError:
        return harness.__version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(given)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    args.argv = given[given.index(args.command) + 1 :]  # the sub-command's own options, as typed
    try:
        return int(run(args))
    except UserError as exc:
        print(f"miaw-harness {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"miaw-harness {args.command}: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"miaw-harness {args.command}: stopped by {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
