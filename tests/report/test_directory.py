"""The report directory is replaced as a whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.report import directory
from harness.report.directory import FILES, MANIFEST, write_report
from harness.report.results import Results, aggregate, read_results

from .report_records import fake_profiles, matrix_records


def _results(seed: int = 42) -> Results:
    return aggregate(matrix_records(), seed, fake_profiles())


def test_a_new_directory_gets_every_file(tmp_path: Path) -> None:
    out = write_report(_results(), tmp_path / "a" / "report")
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, MANIFEST])
    assert read_results(out / "results.json") == _results()
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["report"]


def test_an_old_report_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_report(_results(1), out)
    write_report(_results(2), out)
    assert read_results(out / "results.json").seed == 2
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    (out / "notes.txt").write_text("the user's", encoding="utf-8")  # only what the harness wrote is replaced
    with pytest.raises(UserError, match=r"holds notes\.txt, which the harness did not write"):
        write_report(_results(3), out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "the user's"


def test_a_failed_render_leaves_the_old_report_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report"
    write_report(_results(1), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(directory, "render_junit", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report(_results(2), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_failed_swap_puts_the_old_report_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report"
    write_report(_results(1), out)
    real_rename = directory.os.rename

    def rename(source: Path, target: Path) -> None:
        if Path(source).name.startswith(".report.new-"):
            raise OSError("cross-device link")
        real_rename(source, target)

    monkeypatch.setattr(directory.os, "rename", rename)
    with pytest.raises(OSError, match="cross-device"):
        write_report(_results(2), out)
    assert read_results(out / "results.json").seed == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda p: p.write_text("x", encoding="utf-8"), "is a file, not a directory"),
        (lambda p: (p.mkdir(), (p / "thesis.tex").write_text("x", encoding="utf-8")), "not a miaw-harness report"),
    ],
)
def test_out_that_is_not_ours_is_refused_and_left_alone(tmp_path: Path, prepare: object, message: str) -> None:
    out = tmp_path / "out"
    prepare(out)  # type: ignore[operator]
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(UserError, match=message):
        write_report(_results(), out)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_an_empty_directory_is_taken_and_filled(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()  # made by the user, e.g. `mkdir out`: empty, so nothing of theirs can be lost
    out = write_report(_results(), tmp_path / "out")
    assert out == tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, MANIFEST])
    assert read_results(out / "results.json") == _results()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or retired folder left beside it
