"""Conventions of the command line: --version, a settings file for `run`, -q/-v, plain progress in a log."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from report import report_records as RECORDS
from rich.console import Console

from harness.cli import build_parser, main
from harness.commands import run as run_command
from harness.commands.progress import Lines, progress_for

from .test_run import FakeSuite


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[argparse.Namespace]:
    """The arguments `run` would execute with (the suite never starts)."""
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(run_command, "execute", lambda args, command, console=None: seen.append(args) or 0)
    return seen


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("miaw-harness 0.")


def test_a_settings_file_fills_in_what_flags_leave_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: list[argparse.Namespace]
) -> None:
    (tmp_path / "miaw-harness.toml").write_text(
        'sdk = ["android-*", "web"]\nseed = 9\nout = "reports/here"\nworkers = 0\nfail-on = "degraded"\n'
        'profiles-dir = ["profiles"]\ninteractive = false\nquiet = true\n',
        encoding="utf-8",
    )
    sub = tmp_path / "app" / "src"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)  # found from a sub-folder
    assert main(["run", "--seed", "3", "--sdk", "ios-*"]) == 0
    args = captured[0]
    assert args.seed == 3  # the flag wins
    assert args.sdk == ["ios-*"]  # a repeated flag replaces the file's list
    assert args.out == tmp_path / "reports" / "here"  # relative to the file
    assert args.profiles_dir == [tmp_path / "profiles"]
    assert (args.workers, args.fail_on, args.verbosity, args.interactive) == (0, "degraded", -1, False)


def test_pins_can_come_from_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: list[argparse.Namespace]
) -> None:
    (tmp_path / "miaw-harness.toml").write_text(
        'assume = ["ios-1.9.conversation_updated_callback=true"]\nassume-file = "pins.toml"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 0
    assert captured[0].assume == ["ios-1.9.conversation_updated_callback=true"]
    assert captured[0].assume_file == tmp_path / "pins.toml"  # relative to the settings file


def test_pyproject_tool_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: list[argparse.Namespace]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.miaw-harness]\napp = "persist-*"\nseed = 11\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 0
    assert (captured[0].app, captured[0].seed) == (["persist-*"], 11)


def test_a_pyproject_without_the_table_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: list[argparse.Namespace]
) -> None:
    (tmp_path / "miaw-harness.toml").write_text("seed = 5\n", encoding="utf-8")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path / "inner")
    assert main(["run"]) == 0
    assert captured[0].seed == 5


def test_an_explicit_config(tmp_path: Path, captured: list[argparse.Namespace]) -> None:
    (tmp_path / "ci.toml").write_text("seed = 21\n", encoding="utf-8")
    assert main(["run", "--config", str(tmp_path / "ci.toml")]) == 0
    assert captured[0].seed == 21


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sed = 1\n", "unknown key 'sed'"),
        ("seed = 'many'\n", "seed: not a valid value"),
        ("seed = true\n", "seed: expected a string or a number"),
        ("interactive = 'yes'\n", "interactive: expected true or false"),
        ("fail-on = 'sometimes'\n", "'sometimes' is not one of"),
        ("config = 'x.toml'\n", "unknown key 'config'"),
        ("seed = \n", "not valid TOML"),
    ],
)
def test_a_bad_settings_file_is_a_usage_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    captured: list[argparse.Namespace],
    text: str,
    message: str,
) -> None:
    (tmp_path / "miaw-harness.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "miaw-harness.toml" in err and message in err, err
    assert not captured


def test_a_binary_settings_file_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "miaw-harness.toml").write_bytes(bytes(range(256)))
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 2
    assert "miaw-harness.toml: not UTF-8 text" in capsys.readouterr().err


def test_every_run_option_can_be_set_in_the_file() -> None:
    from harness.commands import config

    parser = argparse.ArgumentParser()
    run_command.add_arguments(parser)
    keys = config.settable(parser)
    for expected in ("sdk", "app", "features", "seed", "out", "workers", "fail-on", "profiles-dir", "apps-dir"):
        assert expected in keys
    for expected in ("install-base", "target", "org-id", "deployment", "ca-bundle", "interactive", "quiet"):
        assert expected in keys
    assert "config" not in keys and "help" not in keys


def test_plain_lines_when_stdout_is_not_a_terminal() -> None:
    console = Console(record=True, width=100, force_terminal=False)
    assert isinstance(progress_for(console, 0), Lines)
    with progress_for(console, 0) as progress:
        progress.update(None, 0)
        progress.update(40, 0)
        for finished in range(1, 41):
            progress.update(40, finished)
    lines = console.export_text().splitlines()
    assert lines[0].startswith("scenarios: 40 collected")
    assert [line.split("  [")[0] for line in lines[1:]] == [
        f"scenarios: {n}/40 finished ({n * 100 // 40}%)" for n in (1, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40)
    ]


def test_quiet_prints_no_progress_and_no_table(tmp_path: Path) -> None:
    console = Console(record=True, width=120, force_terminal=False)
    args = build_parser().parse_args(["run", "--out", str(tmp_path / "out"), "--seed", "42", "-q"])
    code = run_command.execute(args, FakeSuite(tmp_path, RECORDS.matrix_records()), console)
    text = console.export_text()
    assert code == run_command.EXIT_FAILED
    assert "Cells per SDK profile" not in text and "scenarios:" not in text and not text.startswith("seed")
    assert "report: " in text and "Safe to enable" in text


def test_verbose_shows_the_command_and_every_blocked_cell(tmp_path: Path) -> None:
    console = Console(record=True, width=300, force_terminal=False)
    args = build_parser().parse_args(["run", "--out", str(tmp_path / "out"), "--seed", "42", "-v"])
    run_command.execute(args, FakeSuite(tmp_path, RECORDS.matrix_records()), console)
    text = console.export_text()
    assert "-c" in text and str(tmp_path / "records.json") in text  # the suite's command line
    assert "more in report.md" not in text
    assert "scenarios: " in text  # the final progress line in a log
