"""`miaw-harness run`: the conformance suite as a pytest subprocess, then every report rendered and swapped in."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from harness.clients.spec import ClientSpec, parse_client
from harness.commands import config as settings_file
from harness.commands import inputs, signals
from harness.commands.ci_run import (
    add_ci_arguments,
    check_summary_path,
    mark_shard,
    shard_options,
    write_run_summary,
)
from harness.commands.progress import progress_for
from harness.errors import UserError
from harness.report.directory import Staging, check_out_dir, prepare, render_files
from harness.report.junit import FAILING
from harness.report.readiness import InstallRow, assess, read_install_base
from harness.report.results import Results, Verdict, aggregate, count_collected, count_finished, counts, load_runs
from harness.run.cells import DEFAULT_SEED
from harness.sandbox.config import load_config
from harness.sdk.profiles import SdkProfile, apply_pins, load_profiles, pins_from_file, select_profiles
from harness.sdk.strategies import compatible, load_strategies, select_strategies
from harness.steps.options import suite_command
from harness.steps.spelling import check_steps

HELP = "Run the Session-Based Chat conformance suite (embedded mock by default) and write the report directory."

DEFAULT_OUT = Path("miaw-report")
EXIT_FAILED = 1  # a cell reached the --fail-on threshold
EXIT_CRASHED = 3  # the pytest session itself failed (not a verdict)
BLOCKED_SHOWN = 15
CLEANUP_GRACE_S = 5.0  # how long an interrupted session against the mock may take to tear down
TARGET_CLEANUP_GRACE_S = 30.0  # against a real org: it closes the conversations it opened there
DEFAULT_SERVE_PORT = 8765  # as `serve`: a real app configured for the mock finds it where `serve` would be
REFRESH_SECONDS = 0.2  # how often the progress bar re-reads the record files while waiting for pytest to exit


@dataclass(frozen=True, slots=True)
class Plan:
    """What a run will do, checked before anything starts."""

    profiles: tuple[SdkProfile, ...]
    install_base: tuple[InstallRow, ...] | None
    out: Path
    pins: tuple[str, ...] = ()
    client: ClientSpec | None = None  # `--client`: a real client instead of the simulated apps


def pins_of(args: argparse.Namespace) -> list[str]:
    """`--assume-file`'s pins, then `--assume`'s (a later pin of the same flag wins)."""
    path = getattr(args, "assume_file", None)
    pins = pins_from_file(path) if path is not None else []
    return pins + list(getattr(args, "assume", None) or ())


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
    parser.add_argument(
        "--client",
        metavar="KIND[:FILE]",
        help="judge a real client instead of the simulated apps: browser:FILE.toml, command:FILE.toml or manual "
        "(docs/real-clients.md); the mock runs on loopback (--serve-port) unless --target names a running serve",
    )
    parser.add_argument(
        "--serve-port",
        type=int,
        default=DEFAULT_SERVE_PORT,
        metavar="PORT",
        help=f"with --client: the port of the mock on 127.0.0.1 (default {DEFAULT_SERVE_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: miaw-harness.toml, or [tool.miaw-harness] in pyproject.toml, found upwards)",
    )
    parser.add_argument(
        "-q", "--quiet", dest="verbosity", action="store_const", const=-1, default=0, help="no progress or summary"
    )
    parser.add_argument(
        "-v", "--verbose", dest="verbosity", action="store_const", const=1, help="every blocked cell and the command"
    )
    parser.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="PROFILE.FLAG=VALUE",
        help="pin an SDK flag verified on a device, e.g. ios-1.9.conversation_updated_callback=true "
        "(no variant axis for it; repeat)",
    )
    parser.add_argument(
        "--assume-file", type=Path, metavar="FILE", help='pins from a TOML file: ["ios-1.9"] then flag = value lines'
    )
    add_ci_arguments(parser)


def run(args: argparse.Namespace) -> int:
    argv = getattr(args, "argv", None)
    if argv is not None:  # from the command line: a settings file fills in what the flags left out
        settings = settings_file.find(Path.cwd(), args.config)
        if settings is not None:
            settings_file.apply(args, settings, add_arguments, argv)
            if args.verbosity >= 0:
                Console().print(f"settings: {settings.where}", markup=False, highlight=False, soft_wrap=True)
    return execute(args, pytest_command)


def workers_of(args: argparse.Namespace) -> int:
    """`-n` as given; else serial against a real org (paced requests, a person at the console), and one worker
    per core (at most 4) against the embedded mock: the results are the same either way, only sooner."""
    if args.workers is not None:
        return int(args.workers)
    if getattr(args, "target", None) or getattr(args, "interactive", False) or getattr(args, "client", None):
        return 0
    return min(os.cpu_count() or 1, 4)


# The suite's pytest plugins, named on the command line; `run_suite` turns pytest's plugin autoloading off for such a
# command. Autoloading imports every installed distribution's plugin in the session and again in every worker (Faker's
# alone imports each locale it ships) and marks their modules for assertion rewriting, which is recompiled on every
# start where bytecode is not written: most of a worker's start-up, and none of it needed by the suite.
SUITE_PLUGINS = ("xdist.plugin", "pytest_bdd.plugin", "harness.plugin")
_NO_AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"


def suite_plugin_options() -> list[str]:
    return [part for name in SUITE_PLUGINS for part in ("-p", name)]


def names_its_plugins(command: Sequence[str]) -> bool:
    return all(name in command for name in SUITE_PLUGINS)


def pytest_command(args: argparse.Namespace, results_dir: Path) -> list[str]:
    """The pytest session that runs the suite and writes run records into `results_dir`."""
    command = suite_command(results_dir, "--miaw-seed", str(args.seed), "--miaw-fail-on", args.fail_on)
    command += suite_plugin_options()
    command += ["--basetemp", str(results_dir / "basetemp")]  # pytest's and xdist's temporary folders, removed with it
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
    for pin in pins_of(args):
        command += [f"--miaw-assume={pin}"]
    if args.target:
        command += ["--miaw-target", args.target, "--miaw-org-id", args.org_id, "--miaw-deployment", args.deployment]
        if args.ca_bundle:
            command += ["--miaw-ca-bundle", str(Path(args.ca_bundle).resolve())]
        if args.interactive:
            command += ["--miaw-interactive"]
    if getattr(args, "client", None):
        command += ["--miaw-client", parse_client(args.client).argument]
    if workers_of(args) > 1:
        command += ["-n", str(workers_of(args))]
    return command + shard_options(args)


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
            inputs.check_toml_texts(directory, option)
    if args.features is not None and not args.features.exists():
        raise UserError(f"--features {args.features} does not exist")
    if args.features is not None:
        inputs.check_features(args.features)
        check_steps(inputs.feature_files(args.features))  # a misspelled step: file, line, closest steps
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
    if getattr(args, "assume_file", None) is not None and not Path(args.assume_file).is_file():
        raise UserError(f"--assume-file {args.assume_file} is not a file")
    pins = pins_of(args)
    profiles = select_profiles(apply_pins(load_profiles(args.profiles_dir), pins), args.sdk or ["*"])
    strategies = select_strategies(load_strategies(args.apps_dir), args.app or ["*"])
    if not any(compatible(p, s) for p in profiles for s in strategies):
        raise UserError(
            "no selected app strategy runs on the selected SDK profiles' platforms "
            f"({', '.join(sorted({p.platform for p in profiles}))}); widen --sdk or --app"
        )
    install = None if args.install_base is None else tuple(read_install_base(args.install_base))
    client = _check_client(args)
    out = args.out.resolve()
    check_out_dir(out)
    check_summary_path(args)
    return Plan(tuple(profiles), install, out, tuple(pins), client)


def _check_client(args: argparse.Namespace) -> ClientSpec | None:
    """`--client` and the options that go with it; None for the simulated matrix."""
    text = getattr(args, "client", None)
    port = getattr(args, "serve_port", DEFAULT_SERVE_PORT)
    if not text:
        if port != DEFAULT_SERVE_PORT:
            raise UserError("--serve-port goes with --client")
        return None
    client = parse_client(str(text))
    if args.sdk or args.app or args.profiles_dir or args.apps_dir:
        raise UserError("--sdk, --app, --profiles-dir and --apps-dir choose simulated apps; --client replaces them")
    if args.workers is not None and args.workers > 1:
        raise UserError(f"a real client runs one scenario at a time: drop -n {args.workers} (or use -n 0)")
    if args.interactive:
        raise UserError("--interactive plays the rep on a real org; with --client the harness plays it")
    if not 0 <= port <= 65535:
        raise UserError(f"--serve-port must be between 0 and 65535, got {port}")
    if args.target:
        _check_control(args.target, args.ca_bundle)
    return client


def _check_control(target: str, ca_bundle: str | None) -> None:
    """With --client, --target must be a miaw-harness mock whose control API answers (the harness plays the rep)."""
    verify: Any = ca_bundle or True
    url = target.rstrip("/") + "/control/info"
    try:
        answer = httpx.get(url, verify=verify, timeout=10.0)
    except httpx.HTTPError as exc:
        raise UserError(f"--target {target}: cannot reach its control API ({type(exc).__name__}: {exc})") from None
    if answer.status_code != 200:
        raise UserError(
            f"--target {target}: {url} answered {answer.status_code}: --client needs `miaw-harness serve` with its "
            "control API (not --sandbox-like)"
        )


def execute(args: argparse.Namespace, command: CommandFactory, console: Console | None = None) -> int:
    """Check everything, reserve `--out`, run the suite, and swap the new report in; SIGTERM acts like Ctrl-C."""
    console = console or Console()
    verbosity = int(getattr(args, "verbosity", 0))
    with signals.terminate_like_interrupt():
        checked = plan(args)
        staging = prepare(checked.out)
        try:
            code = _execute(args, command, console, checked, staging, verbosity)
        finally:
            staging.discard()  # no-op once the report was swapped in
    return code


def _execute(
    args: argparse.Namespace, command: CommandFactory, console: Console, checked: Plan, staging: Staging, verbosity: int
) -> int:
    if verbosity >= 0:
        console.print(f"seed {args.seed}")
        if checked.pins:
            console.print("pinned SDK assumptions: " + ", ".join(checked.pins), markup=False, soft_wrap=True)
    with _client_runtime(args, checked.client, console, verbosity) as args:
        return _execute_suite(args, command, console, checked, staging, verbosity)


@contextlib.contextmanager
def _client_runtime(
    args: argparse.Namespace, client: ClientSpec | None, console: Console, verbosity: int
) -> Iterator[argparse.Namespace]:
    """With --client and no --target: the mock on loopback for the whole run (with the demo chat at /demo/), and
    the suite pointed at it as a target; otherwise the arguments as they are."""
    if client is None or args.target:
        if client is not None and verbosity >= 0:
            console.print(f"client: {client.label} against {args.target}", markup=False, highlight=False)
        yield args
        return
    from harness.clients.demo_app import add_demo_client
    from harness.server import start_in_thread
    from harness.server.config import ServerConfig

    config = ServerConfig.default().with_fidelity(clock="wall")  # as `serve`: real clients use their own clock
    try:
        server = start_in_thread(config, host="127.0.0.1", port=args.serve_port, extend=add_demo_client)
    except OSError as exc:
        raise UserError(
            f"cannot start the mock on 127.0.0.1:{args.serve_port}: {exc.strerror or exc} (choose --serve-port)"
        ) from None
    with server:
        if verbosity >= 0:
            console.print(
                f"client: {client.label}; mock runtime {server.base_url} (org {server.org_id}, deployment "
                f"{server.deployment}, demo chat {server.base_url}/demo/)",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        yield argparse.Namespace(
            **{**vars(args), "target": server.base_url, "org_id": server.org_id, "deployment": server.deployment}
        )


def _execute_suite(
    args: argparse.Namespace, command: CommandFactory, console: Console, checked: Plan, staging: Staging, verbosity: int
) -> int:
    sweep_results_dirs()
    grace_s = TARGET_CLEANUP_GRACE_S if args.target else CLEANUP_GRACE_S
    with tempfile.TemporaryDirectory(prefix=f"{RESULTS_PREFIX}{os.getpid()}-") as tmp:
        results_dir = Path(tmp)
        log = results_dir / "pytest.log"
        argv = command(args, results_dir)
        if verbosity > 0:
            console.print(" ".join(argv), markup=False, highlight=False, soft_wrap=True)
        code = run_suite(argv, results_dir, log, console, verbosity, grace_s)
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
    results = mark_shard(args, aggregate(records, args.seed, checked.profiles))
    out = staging.commit(render_files(results, checked.install_base, args.fail_on))
    if verbosity >= 0:
        print_summary(results, console, shown=None if verbosity > 0 else BLOCKED_SHOWN)
    readiness = assess(results, checked.install_base)
    console.print(readiness.headline, soft_wrap=True)
    console.print(readiness.blocks_line, soft_wrap=True)
    console.print(f"report: {out / 'index.html'}   seed {args.seed}", soft_wrap=True)
    code = exit_code(results, args.fail_on)
    write_run_summary(args, results, checked.install_base, out, code)
    return code


RESULTS_PREFIX = "miaw-results-"


def sweep_results_dirs() -> None:
    """Remove the run-record folders of earlier runs that were killed outright (their process is gone)."""
    for path in Path(tempfile.gettempdir()).glob(f"{RESULTS_PREFIX}*-*"):
        owner = path.name[len(RESULTS_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or not path.is_dir() or path.is_symlink() or _alive(int(owner)):
            continue
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_suite(
    command: Sequence[str],
    results_dir: Path,
    log: Path,
    console: Console,
    verbosity: int = 0,
    grace_s: float = CLEANUP_GRACE_S,
) -> int:
    """Run the pytest session, showing progress from the record files it appends to; its exit code. However this
    ends (Ctrl-C, SIGTERM, an error), the session and its workers are stopped before it returns."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)  # the command is the whole configuration
    env.pop("PYTEST_XDIST_WORKER", None)
    if names_its_plugins(command):
        env[_NO_AUTOLOAD] = "1"  # workers inherit it; they are given the same -p options
    with log.open("wb") as sink:
        process = signals.start(command, cwd=results_dir, stdout=sink, env=env)
        try:
            with progress_for(console, verbosity) as progress:
                while True:
                    try:
                        code = process.wait(timeout=REFRESH_SECONDS)
                    except subprocess.TimeoutExpired:
                        progress.update(count_collected(results_dir), count_finished(results_dir))
                        continue
                    progress.update(count_collected(results_dir), count_finished(results_dir))
                    return code
        finally:
            signals.stop(process, grace_s)


def _stop(process: subprocess.Popen[bytes], grace_s: float = CLEANUP_GRACE_S) -> None:
    """End an interrupted session: SIGINT first (it tears down), then SIGTERM and SIGKILL (see `signals.stop`)."""
    signals.stop(process, grace_s)


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


def print_summary(results: Results, console: Console, shown: int | None = BLOCKED_SHOWN) -> None:
    console.print(summary_table(results))
    bad = [c for c in results.cells if c.verdict in (Verdict.BLOCKED, Verdict.ERROR)]
    if not bad:
        return
    console.print(f"[bold red]{len(bad)} blocked or errored cells[/bold red]")
    shown = len(bad) if shown is None else shown
    for cell in bad[:shown]:
        variants = f" (broken by {', '.join(cell.broken_by)})" if cell.broken_by else ""
        console.print(
            f"  {cell.verdict.value}: {cell.scenario_id} [{cell.sdk}, {cell.app}]{variants}: {cell.reason}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if len(bad) > shown:
        console.print(f"  ... and {len(bad) - shown} more in report.md (-v lists them all)")
