"""`miaw-harness run`: the conformance suite as a pytest subprocess, then every report rendered and swapped in."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from harness.errors import UserError
from harness.report.directory import check_out_dir, write_report
from harness.report.junit import FAILING
from harness.report.readiness import InstallRow, assess, read_install_base
from harness.report.results import Results, Verdict, aggregate, count_collected, count_finished, counts, load_runs
from harness.run.cells import DEFAULT_SEED
from harness.sandbox.config import load_config
from harness.sdk.profiles import SdkProfile, load_profiles, select_profiles
from harness.sdk.strategies import compatible, load_strategies, select_strategies
from harness.steps.options import suite_command

HELP = "Run the Session-Based Chat conformance suite (embedded mock by default) and write the report directory."

DEFAULT_OUT = Path("miaw-report")
EXIT_FAILED = 1  # a cell reached the --fail-on threshold
EXIT_CRASHED = 3  # the pytest session itself failed (not a verdict)
BLOCKED_SHOWN = 15
CLEANUP_GRACE_S = 30.0  # how long an interrupted session may take to close what it opened
REFRESH_SECONDS = 0.2  # how often the progress bar re-reads the record files while waiting for pytest to exit


@dataclass(frozen=True, slots=True)
class Plan:
    """What a run will do, checked before anything starts."""

    profiles: tuple[SdkProfile, ...]
    install_base: tuple[InstallRow, ...] | None
    out: Path


CommandFactory = Callable[[argparse.Namespace, Path], Sequence[str]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sdk", action="append", default=[], metavar="PATTERN", help="SDK profiles (fnmatch; repeat)")
    parser.add_argument(
        "--app", action="append", default=[], metavar="PATTERN", help="app strategies (fnmatch; repeat)"
    )
    parser.add_argument("--features", type=Path, metavar="PATH", help="feature file or folder (default: bundled)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"run seed (default {DEFAULT_SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help="report directory")
    parser.add_argument(
        "-n",
        dest="workers",
        type=int,
        default=None,
        metavar="N",
        help="parallel workers (pytest-xdist); 0 runs serially; default: one per CPU core, at most 4",
    )
    parser.add_argument(
        "--fail-on",
        choices=sorted(FAILING),
        default="blocked",
        help="exit 1 when a cell is at least this bad (default blocked; errors always count)",
    )
    parser.add_argument(
        "--profiles-dir", type=Path, action="append", default=[], metavar="DIR", help="extra SDK profile TOML files"
    )
    parser.add_argument(
        "--apps-dir", type=Path, action="append", default=[], metavar="DIR", help="extra app strategy TOML files"
    )
    parser.add_argument("--install-base", type=Path, metavar="CSV", help="platform,sdk_version,active_users rows")
    parser.add_argument("--target", metavar="URL", help="a real org's MIAW base URL instead of the embedded mock")
    parser.add_argument("--org-id", metavar="ID", help="the org id (with --target)")
    parser.add_argument("--deployment", metavar="NAME", help="the deployment's developer name (with --target)")
    parser.add_argument("--ca-bundle", metavar="FILE", help="PEM bundle of the CA that signed --target's certificate")
    parser.add_argument(
        "--interactive", action="store_true", help="with --target: a person plays the rep, told what to do on the tty"
    )


def run(args: argparse.Namespace) -> int:
    return execute(args, pytest_command)


def workers_of(args: argparse.Namespace) -> int:
    """`-n` as given; else serial against a real org (paced requests, a person at the console), and one worker
    per core (at most 4) against the embedded mock: the results are the same either way, only sooner."""
    if args.workers is not None:
        return int(args.workers)
    if getattr(args, "target", None) or getattr(args, "interactive", False):
        return 0
    return min(os.cpu_count() or 1, 4)


def pytest_command(args: argparse.Namespace, results_dir: Path) -> list[str]:
    """The pytest session that runs the suite and writes run records into `results_dir`."""
    command = suite_command(results_dir, "--miaw-seed", str(args.seed))
    for pattern in args.sdk:
        command += ["--miaw-sdk", pattern]
    for pattern in args.app:
        command += ["--miaw-app", pattern]
    if args.features is not None:
        command += ["--miaw-features", str(args.features.resolve())]
    for directory in args.profiles_dir:
        command += ["--miaw-profiles-dir", str(directory.resolve())]
    for directory in args.apps_dir:
        command += ["--miaw-apps-dir", str(directory.resolve())]
    if args.target:
        command += ["--miaw-target", args.target, "--miaw-org-id", args.org_id, "--miaw-deployment", args.deployment]
        if args.ca_bundle:
            command += ["--miaw-ca-bundle", str(Path(args.ca_bundle).resolve())]
        if args.interactive:
            command += ["--miaw-interactive"]
    if workers_of(args) > 1:
        command += ["-n", str(workers_of(args))]
    return command


def plan(args: argparse.Namespace) -> Plan:
    """Every check that can fail on the user's input, before the suite starts."""
    if args.seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.workers is not None and args.workers < 0:
        raise UserError(f"-n must be 0 (serial) or a number of workers, got {args.workers}")
    for option, directories in (("--profiles-dir", args.profiles_dir), ("--apps-dir", args.apps_dir)):
        for directory in directories:
            if not directory.is_dir():
                raise UserError(f"{option} {directory} is not a directory")
    if args.features is not None and not args.features.exists():
        raise UserError(f"--features {args.features} does not exist")
    target = (args.target, args.org_id, args.deployment)
    if any(target) and not all(target):
        raise UserError("--target, --org-id and --deployment go together: give all three or none")
    if args.target and not str(args.target).startswith(("https://", "http://")):
        raise UserError(f"--target must be an http(s) URL, got {args.target!r}")
    if args.target:  # the same one-line checks as `validate` (https off loopback, org id, deployment, CA bundle)
        load_config(
            scrt_url=args.target,
            org_id=args.org_id,
            deployment=args.deployment,
            ca_bundle=args.ca_bundle,
            env={},
            url_flag="--target",
        )
    elif args.ca_bundle or args.interactive:
        raise UserError("--ca-bundle and --interactive go with --target")
    profiles = select_profiles(load_profiles(args.profiles_dir), args.sdk or ["*"])
    strategies = select_strategies(load_strategies(args.apps_dir), args.app or ["*"])
    if not any(compatible(p, s) for p in profiles for s in strategies):
        raise UserError(
            "no selected app strategy runs on the selected SDK profiles' platforms "
            f"({', '.join(sorted({p.platform for p in profiles}))}); widen --sdk or --app"
        )
    install = None if args.install_base is None else tuple(read_install_base(args.install_base))
    out = args.out.resolve()
    check_out_dir(out)
    return Plan(tuple(profiles), install, out)


def execute(args: argparse.Namespace, command: CommandFactory, console: Console | None = None) -> int:
    console = console or Console()
    checked = plan(args)
    console.print(f"seed {args.seed}")
    with tempfile.TemporaryDirectory(prefix="miaw-results-") as tmp:
        results_dir = Path(tmp)
        log = results_dir / "pytest.log"
        code = run_suite(command(args, results_dir), results_dir, log, console)
        if code == 5:
            raise UserError("no scenario was collected: check --features, --sdk and --app")
        if code not in (0, 1):
            _print_tail(log, console)
            console.print(f"[red]the pytest session crashed (exit code {code}); no report was written[/red]")
            return EXIT_CRASHED
        records = load_runs(results_dir)
        if not records:
            _print_tail(log, console)
            console.print("[red]the suite finished without writing any run record; no report was written[/red]")
            return EXIT_CRASHED
    results = aggregate(records, args.seed, checked.profiles)
    out = write_report(results, checked.out, checked.install_base, args.fail_on)
    print_summary(results, console)
    readiness = assess(results, checked.install_base)
    console.print(readiness.headline, soft_wrap=True)
    console.print(readiness.blocks_line, soft_wrap=True)
    console.print(f"report: {out / 'index.html'}   seed {args.seed}", soft_wrap=True)
    return exit_code(results, args.fail_on)


def run_suite(command: Sequence[str], results_dir: Path, log: Path, console: Console) -> int:
    """Run the pytest session, drawing a progress bar from the record files it appends to; its exit code."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)  # the command is the whole configuration
    env.pop("PYTEST_XDIST_WORKER", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(list(command), cwd=results_dir, stdout=sink, stderr=subprocess.STDOUT, env=env)
        progress = Progress(
            TextColumn("[bold]scenarios"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        task = progress.add_task("run", total=None)
        try:
            with progress:
                while True:
                    try:
                        return process.wait(timeout=REFRESH_SECONDS)
                    except subprocess.TimeoutExpired:
                        progress.update(task, total=count_collected(results_dir), completed=count_finished(results_dir))
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes], grace_s: float = CLEANUP_GRACE_S) -> None:
    """Let an interrupted session finish its teardown (it closes what it opened on a real org) before ending it.

    A Ctrl-C at the terminal reaches the pytest process too; it is given `grace_s` to tear down, then one SIGINT of
    its own (in case only this process was interrupted) and as long again, and only then a SIGTERM.
    """
    for nudge in (None, signal.SIGINT, signal.SIGTERM):
        if process.poll() is not None:
            return
        if nudge is not None:
            process.send_signal(nudge)
        try:
            process.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()


def _print_tail(log: Path, console: Console, lines: int = 25) -> None:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    except OSError:
        return
    for line in tail:
        console.print(line, markup=False, highlight=False)


def exit_code(results: Results, fail_on: str) -> int:
    failing = FAILING[fail_on] | ({Verdict.ERROR} if fail_on != "never" else set())
    return EXIT_FAILED if any(cell.verdict in failing for cell in results.cells) else 0


def summary_table(results: Results) -> Table:
    table = Table(title="Cells per SDK profile (all app strategies)")
    table.add_column("SDK profile", no_wrap=True)
    for verdict in Verdict:
        table.add_column(verdict.value, justify="right")
    for profile in results.profiles:
        tally = counts(c for c in results.cells if c.sdk == profile.name)
        table.add_row(profile.name, *(str(tally[v]) if tally[v] else "·" for v in Verdict))
    total = counts(results.cells)
    table.add_row("[bold]total", *(f"[bold]{total[v]}" for v in Verdict))
    return table


def print_summary(results: Results, console: Console) -> None:
    console.print(summary_table(results))
    bad = [c for c in results.cells if c.verdict in (Verdict.BLOCKED, Verdict.ERROR)]
    if not bad:
        return
    console.print(f"[bold red]{len(bad)} blocked or errored cells[/bold red]")
    for cell in bad[:BLOCKED_SHOWN]:
        variants = f" (broken by {', '.join(cell.broken_by)})" if cell.broken_by else ""
        console.print(
            f"  {cell.verdict.value}: {cell.scenario_id} [{cell.sdk}, {cell.app}]{variants}: {cell.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if len(bad) > BLOCKED_SHOWN:
        console.print(f"  ... and {len(bad) - BLOCKED_SHOWN} more in report.md")
