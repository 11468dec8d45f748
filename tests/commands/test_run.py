"""`miaw-harness run`: option checks, the pytest session behind a seam, exit codes and the report swap."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from report import report_records as RECORDS
from rich.console import Console

from harness.cli import build_parser, main
from harness.commands import run as run_command
from harness.report.results import read_results

# A stand-in for the pytest session: writes the given records like two xdist workers would, then exits with `code`.
FAKE_SUITE = """
import json, pathlib, sys
source, results, code = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
records = json.loads(source.read_text())
for worker in ("gw0", "gw1"):
    (results / f"collected-{worker}.json").write_text(json.dumps({"collected": len(records)}))
for i, record in enumerate(records):
    with (results / f"runs-gw{i % 2}.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\\n")
print("fake suite done")
sys.exit(code)
"""


class FakeSuite:
    def __init__(self, tmp_path: Path, records: list[dict[str, Any]], code: int = 0) -> None:
        self.source = tmp_path / "records.json"
        self.source.write_text(json.dumps(records), encoding="utf-8")
        self.code = code
        self.calls: list[Path] = []

    def __call__(self, args: argparse.Namespace, results_dir: Path) -> Sequence[str]:
        self.calls.append(results_dir)
        return [sys.executable, "-c", FAKE_SUITE, str(self.source), str(results_dir), str(self.code)]


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", *argv])


def _console() -> Console:
    return Console(record=True, width=120, force_terminal=False)


def test_a_run_writes_the_report_prints_the_summary_and_fails_on_blocked(tmp_path: Path) -> None:
    suite = FakeSuite(tmp_path, RECORDS.matrix_records())
    console = _console()
    code = run_command.execute(_args("--out", str(tmp_path / "out"), "--seed", "42"), suite, console)
    assert code == run_command.EXIT_FAILED
    assert len(suite.calls) == 1
    text = console.export_text()
    assert "seed 42" in text
    assert "Cells per SDK profile" in text
    assert "blocked: session-based-chat/a-rep-ends-the-session [ios-1.9, persist-forever]" in text
    assert "Safe to enable Session-Based Chat for:" in text
    results = read_results(tmp_path / "out" / "results.json")
    assert results.seed == 42
    assert results.profile("ios-1.9").capabilities["typed_close_entry"].evidence == "documented"  # bundled data
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["index.html", "report.md", "results.json", "junit.xml", "cucumber.json", "miaw-report.manifest.json"]
    )


@pytest.mark.parametrize(
    ("fail_on", "verdicts", "expected"),
    [
        ("blocked", ["pass", "degraded"], 0),
        ("blocked", ["pass", "blocked"], 1),
        ("blocked", ["error"], 1),
        ("degraded", ["pass", "degraded"], 1),
        ("degraded", ["pass", "needs_rep"], 0),  # skipped, as in junit.xml: unverified is not a failure
        ("never", ["blocked", "error"], 0),
        ("blocked", ["not_applicable", "pass"], 0),
    ],
)
def test_exit_code_follows_fail_on(tmp_path: Path, fail_on: str, verdicts: list[str], expected: int) -> None:
    records = [RECORDS.make_run(sdk=sdk, verdict=v) for sdk, v in zip(("ios-1.9", "ios-1.10"), verdicts, strict=False)]
    args = _args("--out", str(tmp_path / "out"), "--fail-on", fail_on)
    assert run_command.execute(args, FakeSuite(tmp_path, records), _console()) == expected


@pytest.mark.parametrize("pytest_code", [2, 3, 4])
def test_a_crashed_session_is_an_error_and_keeps_the_old_report(tmp_path: Path, pytest_code: int) -> None:
    out = tmp_path / "out"
    run_command.execute(_args("--out", str(out), "--seed", "1"), FakeSuite(tmp_path, [RECORDS.make_run()]), _console())
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    console = _console()
    code = run_command.execute(
        _args("--out", str(out), "--seed", "2"), FakeSuite(tmp_path, [RECORDS.make_run()], pytest_code), console
    )
    assert code == run_command.EXIT_CRASHED
    text = console.export_text()
    assert f"the pytest session crashed (exit code {pytest_code})" in text
    assert "fake suite done" in text  # the session's own output is shown
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "records.json"]


def test_a_session_without_records_is_an_error(tmp_path: Path) -> None:
    console = _console()
    code = run_command.execute(_args("--out", str(tmp_path / "out")), FakeSuite(tmp_path, []), console)
    assert code == run_command.EXIT_CRASHED
    assert "without writing any run record" in console.export_text()
    assert not (tmp_path / "out").exists()


def test_nothing_collected_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no scenario was collected"):
        run_command.execute(_args("--out", str(tmp_path / "out")), FakeSuite(tmp_path, [], 5), _console())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sdk", "nokia-*"], "no SDK profile matches 'nokia-*'"),
        (["--app", "carrier-pigeon"], "no app strategy matches 'carrier-pigeon'"),
        (["--sdk", "web", "--app", "persist-forever"], "no selected app strategy runs on"),
        (["--seed", "-3"], "--seed must be a non-negative integer"),
        (["-n", "-1"], "-n must be 0"),
        (["--features", "does/not/exist"], "--features does/not/exist does not exist"),
        (["--target", "https://example.invalid"], "--target, --org-id and --deployment go together"),
        (["--target", "ftp://x", "--org-id", "00D", "--deployment", "d"], "--target must be an http"),
        (["--profiles-dir", "nowhere"], "--profiles-dir nowhere is not a directory"),
        (["--apps-dir", "nowhere"], "--apps-dir nowhere is not a directory"),
        (["--ca-bundle", "ca.pem"], "--ca-bundle and --interactive go with --target"),
        (["--install-base", "missing.csv"], "cannot read install base missing.csv"),
        (["--assume", "ios-9.9.conversation_updated_callback=true"], "no SDK profile 'ios-9.9'"),
        (["--assume", "ios-1.9.no_such_flag=true"], "no capability 'no_such_flag'"),
        (["--assume", "ios-1.9.conversation_updated_callback=1"], "got '1'; allowed: true or false"),
        (["--assume", "conversation_updated_callback"], "expected PROFILE.FLAG=VALUE"),
        (["--assume-file", "missing.toml"], "--assume-file missing.toml is not a file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "miaw-report").mkdir()
    (tmp_path / "miaw-report" / "keep.txt").write_text("mine", encoding="utf-8")
    started: list[object] = []
    monkeypatch.setattr(run_command, "run_suite", lambda *a: started.append(a) or 0)
    assert main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("miaw-harness run: error: ")
    assert message in err
    assert not started
    assert (tmp_path / "miaw-report" / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_an_out_directory_of_other_things_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("mine", encoding="utf-8")
    assert main(["run", "--out", str(tmp_path / "docs")]) == 2
    assert "not a miaw-harness report: it holds notes.md and no report manifest" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["notes.md"]


def test_the_pytest_command_carries_every_option(tmp_path: Path) -> None:
    features = tmp_path / "mine.feature"
    features.write_text("Feature: x\n", encoding="utf-8")
    args = _args(
        "--sdk", "ios-*", "--sdk", "web", "--app", "persist-*", "--seed", "9", "-n", "2", "--features", str(features),
        "--profiles-dir", str(tmp_path), "--apps-dir", str(tmp_path), "--ca-bundle", str(features), "--interactive",
        "--target", "https://org.example", "--org-id", "00D", "--deployment", "Web", "--fail-on", "degraded",
    )  # fmt: skip
    command = run_command.pytest_command(args, tmp_path / "results")
    assert command[:4] == [sys.executable, "-m", "pytest", "--pyargs"]
    joined = " ".join(command)
    for part in (
        "harness.steps.suite -p no:cacheprovider -q",
        f"--miaw-results={tmp_path / 'results'}",
        "--miaw-seed 9 --miaw-fail-on degraded",
        "--miaw-sdk ios-* --miaw-sdk web",
        "--miaw-app persist-*",
        f"--miaw-features {features}",
        f"--miaw-profiles-dir {tmp_path}",
        f"--miaw-apps-dir {tmp_path}",
        f"--miaw-ca-bundle {features} --miaw-interactive",
        "--miaw-target https://org.example --miaw-org-id 00D --miaw-deployment Web",
        "-n 2",
    ):
        assert part in joined


def test_pins_reach_the_suite_file_first_and_a_bad_pin_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pins = tmp_path / "pins.toml"
    pins.write_text('["ios-1.9"]\nconversation_updated_callback = false\n', encoding="utf-8")
    args = _args("--assume-file", str(pins), "--assume", "ios-1.10.conversation_updated_callback=true")
    command = " ".join(run_command.pytest_command(args, tmp_path / "results"))
    assert (
        "--miaw-assume=ios-1.9.conversation_updated_callback=false "
        "--miaw-assume=ios-1.10.conversation_updated_callback=true"
    ) in command
    pins.write_text('["ios-1.9"]\nconversation_updated_callback = "no"\n', encoding="utf-8")
    assert main(["run", "--assume-file", str(pins), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "key 'ios-1.9.conversation_updated_callback': got 'no'; allowed: true or false" in err


def test_the_default_seed_is_fixed_and_serial_adds_no_workers(tmp_path: Path) -> None:
    command = run_command.pytest_command(_args("-n", "0"), tmp_path)
    assert f"--miaw-seed {run_command.DEFAULT_SEED}" in " ".join(command)
    assert run_command.DEFAULT_SEED == 20251028  # the seed README promises, shared with the plain pytest session
    assert "-n" not in command


@pytest.mark.parametrize(("cores", "workers"), [(1, None), (2, "2"), (8, "4"), (None, None)])
def test_workers_default_to_the_cores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: str | None
) -> None:
    monkeypatch.setattr(run_command.os, "cpu_count", lambda: cores)
    command = run_command.pytest_command(_args(), tmp_path)
    given = command[command.index("-n") + 1] if "-n" in command else None
    assert given == workers


def test_a_real_org_runs_serially_unless_told_otherwise(tmp_path: Path) -> None:
    target = ("--target", "https://org.example", "--org-id", "00D000000000001", "--deployment", "Web")
    assert "-n" not in run_command.pytest_command(_args(*target), tmp_path)
    assert "-n" in run_command.pytest_command(_args(*target, "-n", "2"), tmp_path)


def test_an_interrupted_session_is_given_time_to_tear_down(tmp_path: Path) -> None:
    # A child that ignores the first SIGINT for a moment (its teardown), then exits by itself on the second.
    script = tmp_path / "child.py"
    marker = tmp_path / "torn-down"
    script.write_text(
        "import signal, sys, time, pathlib\n"
        "hits = []\n"
        "def on_int(*_):\n"
        "    hits.append(1)\n"
        "    if len(hits) == 1:\n"
        f"        pathlib.Path({str(marker)!r}).write_text('closed')\n"
        "        sys.exit(130)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    time.sleep(0.05)\n",
        encoding="utf-8",
    )
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    run_command._stop(process, grace_s=0.2)  # the child got no SIGINT from a terminal: it is sent one
    process.stdout.close()
    assert process.returncode == 130
    assert marker.read_text() == "closed"


def test_summary_json_never_overwrites_a_file_the_harness_did_not_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n", encoding="utf-8")
    argv = ["run", "--sdk", "ios-1.10", "--app", "persist-forever", "--out", str(tmp_path / "r")]
    assert main([*argv, "--summary-json", str(notes)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--summary-json" in err and str(notes) in err
    assert notes.read_text(encoding="utf-8") == "mine\n"
    assert not (tmp_path / "r").exists()  # refused before the suite ran


def test_the_suite_names_its_plugins_and_runs_without_plugin_autoloading(tmp_path: Path) -> None:
    command = run_command.pytest_command(_args("-n", "2"), tmp_path)
    joined = " ".join(command)
    assert "-p xdist.plugin -p pytest_bdd.plugin -p harness.plugin" in joined
    probe = "import os, sys; sys.stdout.write(os.environ.get('PYTEST_DISABLE_PLUGIN_AUTOLOAD', 'unset'))"
    seen = []
    for extra in (run_command.suite_plugin_options(), []):
        log = tmp_path / f"log-{len(extra)}"
        code = run_command.run_suite([sys.executable, "-c", probe, *extra], tmp_path, log, Console(quiet=True))
        assert code == 0
        seen.append(log.read_text(encoding="utf-8"))
    assert seen == ["1", "unset"]  # only a command that names the suite's plugins loses the others
