"""`run --shard K/N` and `report merge`: three shards of a run, merged, give the files of the unsharded run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.directory import FILES
from harness.report.results import read_results

SELECTION = ["--sdk", "ios-1.10", "--app", "persist-forever", "--seed", "11"]


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], list[int]]:
    base = tmp_path_factory.mktemp("shards")
    codes = [main(["run", *SELECTION, "-n", "0", "--out", str(base / "whole")])]
    shards = []
    for k in (1, 2, 3):
        out = base / f"shard-{k}"
        workers = "2" if k == 2 else "0"  # one shard under xdist: the slice is the same on every worker
        summary = base / f"summary-{k}.json"
        codes.append(
            main(
                [
                    "run",
                    *SELECTION,
                    "-n",
                    workers,
                    "--shard",
                    f"{k}/3",
                    "--out",
                    str(out),
                    "--summary-json",
                    str(summary),
                ]
            )
        )
        shards.append(out)
    return base, shards, codes


def test_three_shards_merged_are_byte_identical_to_one_run(
    sharded: tuple[Path, list[Path], list[int]],
) -> None:
    base, shards, codes = sharded
    assert all(code in (0, 1) for code in codes)
    parts = [read_results(s / "results.json") for s in shards]
    assert [p.shard for p in parts] == [(1, 3), (2, 3), (3, 3)]
    keys = [{c.key for c in p.cells} for p in parts]
    assert all(keys) and not (keys[0] & keys[1] or keys[0] & keys[2] or keys[1] & keys[2])
    assert main(["report", "merge", *(str(s / "results.json") for s in shards), "--out", str(base / "merged")]) == 0
    for name in FILES:
        merged, whole = (base / "merged" / name).read_bytes(), (base / "whole" / name).read_bytes()
        if name in TIMED:  # the run measured wall-clock times; results.json (deterministic) does not keep them
            merged, whole = without_times(merged), without_times(whole)
        assert merged == whole, name


TIMED = ("junit.xml", "cucumber.json")


def without_times(data: bytes) -> bytes:
    """junit.xml / cucumber.json with their measured times taken out."""
    if data.lstrip().startswith(b"<"):
        return re.sub(rb' time="[^"]*"', b"", data)
    return json.dumps(_drop(json.loads(data), "duration"), sort_keys=True).encode()


def _drop(value: object, key: str) -> object:
    if isinstance(value, dict):
        return {k: _drop(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_drop(v, key) for v in value]
    return value


def test_every_shard_writes_its_summary(sharded: tuple[Path, list[Path], list[int]]) -> None:
    base, shards, codes = sharded
    data = json.loads((base / "summary-2.json").read_text(encoding="utf-8"))
    assert data["schema"] == "miaw-harness/summary@1"
    assert data["shard"] == "2/3"
    assert data["exit_code"] == codes[2]
    assert data["cells"] == len(read_results(shards[1] / "results.json").cells)
    assert data["headline"].startswith("Safe to enable Session-Based Chat for:")


@pytest.mark.parametrize(
    ("picked", "message"),
    [
        ([1, 2], "shard 3/3 is missing"),
        ([1, 1, 2, 3], "are both shard 1/3"),
        ([], "needs the shards' results.json files"),
    ],
)
def test_an_incomplete_merge_is_one_line_and_exit_2(
    sharded: tuple[Path, list[Path], list[int]],
    picked: list[int],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, shards, _ = sharded
    files = [str(shards[k - 1] / "results.json") for k in picked]
    assert main(["report", "merge", *files, "--out", str(base / "bad")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (base / "bad").exists()


def test_an_unsharded_run_cannot_join_a_merge(
    sharded: tuple[Path, list[Path], list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    base, shards, _ = sharded
    files = [str(base / "whole" / "results.json"), str(shards[0] / "results.json")]
    assert main(["report", "merge", *files, "--out", str(base / "bad")]) == 2
    assert "is not a shard" in capsys.readouterr().err


@pytest.mark.parametrize("spec", ["0/3", "4/3", "1/0", "two/three"])
def test_a_bad_shard_is_a_usage_error(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--shard", spec])
    assert exc.value.code == 2
    assert "--shard" in capsys.readouterr().err
