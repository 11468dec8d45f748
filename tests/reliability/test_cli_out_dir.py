"""`--out` holds only what the harness wrote: anything else there is refused before work starts, never deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report import report_records as RECORDS

from harness.cli import main
from harness.commands import run as run_command
from harness.report import directory
from harness.report.directory import MANIFEST, read_manifest, recover, write_report
from harness.report.results import Results, aggregate, read_results


def _results(seed: int = 42) -> Results:
    return aggregate(RECORDS.matrix_records(), seed, RECORDS.fake_profiles())


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _one_line_exit_2(capsys: pytest.CaptureFixture[str], command: str, message: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"miaw-harness {command}: error: ")
    assert message in err


def test_report_never_deletes_a_users_file_next_to_results_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A folder with a copied results.json and the user's own notes: not a report the harness wrote.
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "results.json").write_bytes(
        write_report(_results(), tmp_path / "source").joinpath("results.json").read_bytes()
    )
    (folder / "notes.txt").write_text("n\n", encoding="utf-8")
    before = _tree(folder)
    assert main(["report", str(folder / "results.json"), "--out", str(folder)]) == 2
    _one_line_exit_2(capsys, "report", "not a miaw-harness report")
    assert _tree(folder) == before


def test_a_file_added_to_a_report_folder_is_refused_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = write_report(_results(), tmp_path / "r")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = _tree(out)
    assert main(["report", str(out / "results.json"), "--out", str(out)]) == 2
    _one_line_exit_2(capsys, "report", "holds notes.txt, which the harness did not write")
    assert _tree(out) == before


def test_a_report_file_changed_since_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = write_report(_results(), tmp_path / "r")
    with (out / "report.md").open("a", encoding="utf-8") as handle:
        handle.write("\nmy own notes\n")
    before = _tree(out)
    assert main(["report", str(out / "results.json"), "--out", str(out)]) == 2
    _one_line_exit_2(capsys, "report", "report.md was changed since the harness wrote it")
    assert _tree(out) == before


def test_an_untouched_report_is_re_rendered_in_place(tmp_path: Path) -> None:
    out = write_report(_results(), tmp_path / "r")
    before = _tree(out)
    assert main(["report", str(out / "results.json"), "--out", str(out)]) == 0
    after = _tree(out)
    assert sorted(after) == sorted(before)
    for name in ("index.html", "report.md", "results.json"):  # junit.xml and cucumber.json: times are not re-read
        assert after[name] == before[name], name
    manifest = read_manifest(out)
    assert manifest is not None and sorted(manifest) == sorted(directory.FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_a_sub_folder_of_the_users_is_refused(tmp_path: Path) -> None:
    out = write_report(_results(), tmp_path / "r")
    (out / "drafts").mkdir()
    with pytest.raises(Exception, match="holds drafts/, which the harness did not write"):
        write_report(_results(2), out)
    assert (out / "drafts").is_dir()


@pytest.mark.parametrize("where", ["afile/x", "/proc/miaw-x", "ro/x"])
def test_an_out_that_cannot_be_written_is_found_before_the_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(directory.tempfile, "mkdtemp", _read_only_under(tmp_path / "ro", directory.tempfile.mkdtemp))
    started: list[object] = []
    monkeypatch.setattr(run_command, "run_suite", lambda *a: started.append(a) or 0)
    assert main(["run", "--out", where]) == 2
    _one_line_exit_2(capsys, "run", "--out")
    assert not started
    assert sorted(p.name for p in (tmp_path / "ro").iterdir()) == []


def _read_only_under(root: Path, real: object) -> object:
    """mkdtemp that fails with EACCES under `root` (a read-only folder, even for root)."""

    def mkdtemp(*args: object, dir: object = None, **kwargs: object) -> str:
        if dir is not None and Path(str(dir)).resolve() == root.resolve():
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)  # type: ignore[operator,no-any-return]

    return mkdtemp


def test_the_next_write_removes_what_an_interrupted_one_left(tmp_path: Path) -> None:
    out = write_report(_results(1), tmp_path / "r")
    # A staging folder killed mid-write, an old report retired by an exchange, an empty reservation.
    staged = tmp_path / ".r.new-aaaaaaaa"
    staged.mkdir()
    (staged / MANIFEST).write_text((out / MANIFEST).read_text(encoding="utf-8"), encoding="utf-8")
    (staged / "index.html").write_text("half", encoding="utf-8")
    retired = tmp_path / ".r.new-bbbbbbbb"
    retired.mkdir()
    for name in (*directory.FILES, MANIFEST):
        (retired / name).write_bytes((out / name).read_bytes())
    (tmp_path / ".r.old-cccccccc").mkdir()
    (tmp_path / ".r.new-dddddddd").mkdir()
    (tmp_path / ".r.new-dddddddd" / "mine.txt").write_text("not the harness's", encoding="utf-8")
    write_report(_results(2), out)
    assert read_results(out / "results.json").seed == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.new-dddddddd", "r"]
    assert [p.name for p in (tmp_path / ".r.new-dddddddd").iterdir()] == ["mine.txt"]


def test_a_report_moved_aside_when_the_process_died_is_put_back(tmp_path: Path) -> None:
    out = write_report(_results(1), tmp_path / "r")
    before = _tree(out)
    out.rename(tmp_path / ".r.old-eeeeeeee")  # where the fallback swap keeps it between its two renames
    recover(out)
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_without_an_atomic_exchange_the_swap_still_replaces_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = write_report(_results(1), tmp_path / "r")
    monkeypatch.setattr(directory, "exchange", lambda a, b: False)
    write_report(_results(2), out)
    assert read_results(out / "results.json").seed == 2
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_the_manifest_lists_every_file_with_its_digest(tmp_path: Path) -> None:
    out = write_report(_results(), tmp_path / "r")
    data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert data["schema"] == directory.MANIFEST_SCHEMA
    assert sorted(data["files"]) == sorted(directory.FILES)
    assert all(len(digest) == 64 for digest in data["files"].values())


def test_the_current_folder_is_never_an_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = write_report(_results(), tmp_path / "r") / "results.json"
    monkeypatch.chdir(tmp_path / "r")
    assert main(["report", str(results), "--out", "."]) == 2
    _one_line_exit_2(capsys, "report", "is the current directory")
