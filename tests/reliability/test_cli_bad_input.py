"""Every user mistake on the command line is one line and exit 2, found before any work, never a traceback."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from report import report_records as RECORDS

from harness.cli import main
from harness.commands import run as run_command
from harness.report.directory import write_report
from harness.report.results import aggregate

BINARY = bytes(range(256)) * 4


@pytest.fixture
def suite_never_starts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    started: list[object] = []
    monkeypatch.setattr(run_command, "run_suite", lambda *a: started.append(a) or 0)
    return started


def _one_line(capsys: pytest.CaptureFixture[str], command: str, *parts: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"miaw-harness {command}: error: "), err
    for part in parts:
        assert part in err, err
    return err


@pytest.mark.parametrize("option", ["--profiles-dir", "--apps-dir"])
def test_a_binary_toml_among_extra_data_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suite_never_starts: list[object],
    option: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "photo.toml").write_bytes(BINARY)
    assert main(["run", option, "extra", "--out", "out"]) == 2
    _one_line(capsys, "run", "photo.toml", "not UTF-8")
    assert not suite_never_starts
    assert not (tmp_path / "out").exists()


def test_a_binary_serve_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "org.toml").write_bytes(BINARY)
    assert main(["serve", "--config", str(tmp_path / "org.toml"), "--port", "0"]) == 2
    _one_line(capsys, "serve", "org.toml", "not UTF-8")


@pytest.mark.parametrize("option", ["results", "--compare"])
def test_a_binary_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str) -> None:
    good = write_report(aggregate(RECORDS.matrix_records(), 1, RECORDS.fake_profiles()), tmp_path / "r")
    (tmp_path / "blob.json").write_bytes(BINARY)
    argv = [str(tmp_path / "blob.json")] if option == "results" else [str(good / "results.json"), option]
    if option == "--compare":
        argv.append(str(tmp_path / "blob.json"))
    assert main(["report", *argv]) == 2
    _one_line(capsys, "report", "blob.json is not UTF-8")


def test_a_gherkin_syntax_error_names_the_file_and_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suite_never_starts: list[object],
) -> None:
    monkeypatch.chdir(tmp_path)
    features = tmp_path / "mine"
    features.mkdir()
    (features / "good.feature").write_text("Feature: fine\n  Scenario: s\n    Given x\n", encoding="utf-8")
    (features / "bad.feature").write_text(
        "Feature: broken\n  Scenario: s\n    Given x\n  Oops this is not Gherkin\n", encoding="utf-8"
    )
    assert main(["run", "--features", "mine", "--out", "out"]) == 2
    _one_line(capsys, "run", "bad.feature:4:")
    assert not suite_never_starts


def test_a_binary_feature_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suite_never_starts: list[object],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.feature").write_bytes(BINARY)
    assert main(["run", "--features", "x.feature", "--out", "out"]) == 2
    _one_line(capsys, "run", "x.feature is not UTF-8")
    assert not suite_never_starts


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


@pytest.mark.parametrize("exp", [-1e20, 1e20, 10**30])
def test_an_absurd_customer_token_expiry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exp: float
) -> None:
    monkeypatch.setenv("MIAW_CUSTOMER_JWT", _jwt({"sub": "u", "exp": exp}))
    argv = ["validate", "--scrt-url", "https://org.example", "--org-id", "00D000000000001", "--deployment", "Web"]
    assert main(argv) == 2
    _one_line(capsys, "validate", "MIAW_CUSTOMER_JWT", "exp")


def test_report_finds_an_unwritable_out_before_comparing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    good = write_report(aggregate(RECORDS.matrix_records(), 1, RECORDS.fake_profiles()), tmp_path / "r")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    results = str(good / "results.json")
    assert main(["report", results, "--compare", results, "--out", "afile/x"]) == 2
    captured = capsys.readouterr()
    assert "cells better" not in captured.out
    assert captured.err.count("\n") == 1 and "afile is a file" in captured.err
