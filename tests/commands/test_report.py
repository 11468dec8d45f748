"""`miaw-harness report`: re-render from results.json, compare two runs or two SDK versions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from report import report_records as RECORDS
from rich.console import Console

from harness.cli import build_parser, main
from harness.commands import report as report_command
from harness.report.directory import write_report
from harness.report.results import aggregate, read_results

_TIMES = re.compile(r' time="[0-9.]+"|, "duration": \d+')


def _write(tmp_path: Path, name: str, records: list[dict[str, object]], seed: int = 42) -> Path:
    out = write_report(aggregate(records, seed, RECORDS.fake_profiles()), tmp_path / name)
    return out / "results.json"


def _run(*argv: str) -> tuple[int, str]:
    console = Console(record=True, width=200, force_terminal=False)
    code = report_command.run(build_parser().parse_args(["report", *argv]), console)
    return code, console.export_text()


def test_re_render_gives_the_same_files(tmp_path: Path) -> None:
    results = _write(tmp_path, "first", RECORDS.matrix_records())
    code, text = _run(str(results), "--out", str(tmp_path / "again"))
    assert code == 0
    assert "Safe to enable Session-Based Chat for:" in text
    for name in ("index.html", "report.md", "results.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "first" / name).read_bytes(), name
    for name in ("junit.xml", "cucumber.json"):  # the same but for wall-clock times, which results.json leaves out
        first = (tmp_path / "first" / name).read_text(encoding="utf-8")
        assert _TIMES.search(first), name
        again = (tmp_path / "again" / name).read_text(encoding="utf-8")
        assert _TIMES.sub("", again) == again and _TIMES.sub("", first) == again, name


def test_re_render_in_place(tmp_path: Path) -> None:
    results = _write(tmp_path, "report", RECORDS.matrix_records())
    before = results.read_bytes()
    assert _run(str(results), "--out", str(results.parent))[0] == 0
    assert results.read_bytes() == before


def test_re_render_with_an_install_base(tmp_path: Path) -> None:
    results = _write(tmp_path, "first", RECORDS.matrix_records())
    csv = tmp_path / "base.csv"
    csv.write_text("platform,sdk_version,active_users\nandroid,1.8.2,3\nandroid,1.10.0,1\n", encoding="utf-8")
    assert _run(str(results), "--out", str(tmp_path / "again"), "--install-base", str(csv))[0] == 0
    text = (tmp_path / "again" / "report.md").read_text(encoding="utf-8")
    assert "| persist-forever | 75.0% | 25.0% | 0.0% | 0.0% |" in text


def test_compare_two_runs_prints_what_got_better_and_worse(tmp_path: Path) -> None:
    old = _write(tmp_path, "old", [RECORDS.make_run(sdk="ios-1.9", verdict="blocked"), RECORDS.make_run(sdk="web")])
    new = _write(
        tmp_path,
        "new",
        [RECORDS.make_run(sdk="ios-1.9", verdict="pass"), RECORDS.make_run(sdk="web", verdict="degraded")],
    )
    code, text = _run(str(new), "--compare", str(old))
    assert code == 0
    assert "1 worse, 1 better" in text
    assert "A rep ends the session" in text


def test_compare_writes_nothing_without_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = _write(tmp_path, "run", RECORDS.matrix_records())
    assert _run(str(results), "--compare", str(results))[0] == 0
    assert not (tmp_path / "miaw-report").exists()


def test_compare_two_sdk_versions(tmp_path: Path) -> None:
    results = _write(tmp_path, "run", RECORDS.matrix_records())
    code, text = _run(str(results), "--compare-sdk", "android-1.8", "android-1.10")
    assert code == 0
    assert "android-1.8 → android-1.10: 0 worse, 2 better" in text


@pytest.mark.parametrize(
    ("mutate", "extra", "message"),
    [
        (lambda d: d.update(schema="miaw-harness/results@0"), [], "results@0"),
        (None, ["--compare-sdk", "ios-0.1", "ios-1.10"], "'ios-0.1' is not in these results"),
        (None, ["--install-base", "nope.csv"], "cannot read install base nope.csv"),
        (None, ["--compare", "missing.json"], "cannot read results file missing.json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mutate: object,
    extra: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    results = _write(tmp_path, "miaw-report", RECORDS.matrix_records())
    if mutate is not None:
        data = json.loads(results.read_text(encoding="utf-8"))
        mutate(data)  # type: ignore[operator]
        results.write_text(json.dumps(data), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in results.parent.iterdir()}
    assert main(["report", str(results), *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert {p.name: p.read_bytes() for p in results.parent.iterdir()} == before


def test_compare_and_compare_sdk_are_exclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _write(tmp_path, "run", RECORDS.matrix_records())
    argv = ["report", str(results), "--compare", str(results), "--compare-sdk", "ios-1.9", "ios-1.10"]
    assert main(argv) == 2
    assert "not both" in capsys.readouterr().err
    assert read_results(results).seed == 42


def test_re_render_without_out_writes_the_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = _write(tmp_path, "run", RECORDS.matrix_records())
    code, text = _run(str(results))
    assert code == 0
    assert (tmp_path / "miaw-report" / "index.html").is_file()
    assert str(tmp_path / "miaw-report" / "index.html") in text.replace("\n", "")
