"""Run records folded into cells, and results.json written and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.errors import UserError
from harness.report.results import (
    SCHEMA,
    SCHEMA_FILE,
    Results,
    Verdict,
    aggregate,
    count_collected,
    count_finished,
    dumps,
    from_json,
    load_runs,
    read_results,
    version_key,
    write_results,
)

from .report_records import fake_profiles, make_run, matrix_records, write_records


@pytest.mark.parametrize(
    ("verdicts", "expected", "broken_by"),
    [
        (["pass", "pass"], "pass", ()),
        (["pass", "degraded"], "degraded", ("v1",)),
        (["degraded", "blocked"], "blocked", ("v1",)),
        (["blocked", "error"], "error", ("v1",)),
        (["needs_rep", "pass"], "needs_rep", ("v0",)),
        (["not_applicable", "not_applicable"], "not_applicable", ()),
        (["not_applicable", "pass"], "pass", ()),
        (["not_applicable", "degraded"], "degraded", ("v1",)),
        (["blocked", "blocked", "pass"], "blocked", ("v0", "v1")),
    ],
)
def test_a_cell_takes_the_worst_verdict_of_its_variants(
    verdicts: list[str], expected: str, broken_by: tuple[str, ...]
) -> None:
    records = [make_run(verdict=v, variant=f"v{i}") for i, v in enumerate(verdicts)]
    (cell,) = aggregate(records, 1).cells
    assert cell.verdict is Verdict(expected)
    assert cell.broken_by == broken_by
    assert [r.variant for r in cell.runs] == [f"v{i}" for i in range(len(verdicts))]


def test_an_unknown_verdict_is_a_harness_error_never_a_pass() -> None:
    (cell,) = aggregate([make_run(verdict="great")], 1).cells
    assert cell.verdict is Verdict.ERROR
    assert cell.reason_code == "harness_error"
    assert "great" in cell.reason


def test_unknown_reason_codes_are_kept() -> None:
    (cell,) = aggregate([make_run(verdict="degraded", reason_code="brand_new_code")], 1).cells
    assert cell.reason_code == "brand_new_code"


def test_rows_are_grouped_by_platform_and_ordered_by_version() -> None:
    records = [make_run(sdk=s) for s in ("android-1.10", "web", "ios-1.10", "android-1.8", "ios-1.9")]
    results = aggregate(records, 1, fake_profiles())
    assert [p.name for p in results.profiles] == ["ios-1.9", "ios-1.10", "android-1.8", "android-1.10", "web"]
    assert results.profile("ios-1.10").capabilities["typed_close_entry"].evidence == "documented"


def test_profiles_missing_from_the_metadata_come_from_the_records() -> None:
    results = aggregate([make_run(sdk="android-1.10")], 1, [])
    assert results.profile("android-1.10").version == "1.10.0"
    assert results.profile("android-1.10").platform == "android"


@pytest.mark.parametrize(("text", "key"), [("1.10.2", (1, 10, 2)), ("1.9", (1, 9)), ("latest", (-1,))])
def test_version_key(text: str, key: tuple[int, ...]) -> None:
    assert version_key(text) == key


def test_records_are_read_from_every_worker_file(tmp_path: Path) -> None:
    records = matrix_records()
    write_records(tmp_path, records, workers=2, shuffle_seed=1)
    assert len(load_runs(tmp_path)) == len(records)
    assert count_finished(tmp_path) == len(records)
    assert count_collected(tmp_path) == len(records)


def test_nothing_collected_yet(tmp_path: Path) -> None:
    assert count_collected(tmp_path) is None
    assert count_finished(tmp_path) == 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "runs-main.jsonl:2: not a JSON run record"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"scenario_id": "s", "app": "a", "verdict": "pass"}), "no 'sdk.name'"),
        (json.dumps({"scenario_id": "s", "sdk": {"name": "x"}, "verdict": "pass"}), "no string 'app'"),
    ],
)
def test_a_bad_record_names_its_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "runs-main.jsonl").write_text(json.dumps(make_run()) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=message):
        load_runs(tmp_path)


def _results_text(tmp_path: Path, workers: int, shuffle_seed: int | None) -> str:
    directory = tmp_path / f"runs-{workers}-{shuffle_seed}"
    write_records(directory, matrix_records(), workers=workers, shuffle_seed=shuffle_seed)
    return dumps(aggregate(load_runs(directory), 42, fake_profiles()))


def test_results_json_is_byte_identical_serial_or_parallel(tmp_path: Path) -> None:
    serial = _results_text(tmp_path, 1, None)
    assert _results_text(tmp_path, 2, 3) == serial
    assert _results_text(tmp_path, 3, 99) == serial


def test_results_json_carries_no_wall_clock_data(tmp_path: Path) -> None:
    data = json.loads(_results_text(tmp_path, 2, 5))
    text = json.dumps(data)
    assert "duration_ms" not in text
    assert "worker" not in text
    assert data["schema"] == SCHEMA


def test_results_json_matches_its_schema(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(_results_text(tmp_path, 2, 5)), schema)


def test_results_round_trip(tmp_path: Path) -> None:
    results = aggregate(matrix_records(), 42, fake_profiles())
    path = tmp_path / "results.json"
    write_results(results, path)
    again = read_results(path)
    assert again == results
    assert dumps(again) == path.read_text(encoding="utf-8")


def _data() -> dict[str, Any]:
    return json.loads(dumps(aggregate([make_run()], 1)))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d.update(schema="miaw-harness/results@4"),
            "results@4.*not supported.*results@1.*results@2.*results@3",
        ),
        (lambda d: d["cells"][0]["runs"][0].update(evidence=[10**6]), "malformed results file"),
        (lambda d: d.pop("evidence"), "malformed results file"),
        (lambda d: d.pop("schema"), "None is not supported"),
        (lambda d: d.pop("cells"), "malformed results file"),
        (lambda d: d["cells"][0].update(verdict="fine"), "malformed results file"),
        (lambda d: d["cells"][0].update(sdk="ghost"), "names a profile, scenario or app the file does not list"),
    ],
)
def test_a_bad_results_file_is_one_clear_line(tmp_path: Path, mutate: Any, message: str) -> None:
    data = _data()
    mutate(data)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError, match=message):
        read_results(path)


@pytest.mark.parametrize(
    ("content", "message"), [(None, "cannot read results file"), ("{", "not JSON"), ("[]", "not a")]
)
def test_an_unreadable_results_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        read_results(path)


def test_from_json_orders_cells_like_aggregate() -> None:
    results = aggregate(matrix_records(), 42, fake_profiles())
    data = json.loads(dumps(results))
    data["cells"].reverse()
    assert from_json(data) == results


def test_shared_evidence_is_stored_once_and_read_back_whole(tmp_path: Path) -> None:
    results = aggregate(matrix_records(), 42, fake_profiles())
    data = json.loads(dumps(results))
    inline = sum(len(r.evidence) for c in results.cells for r in c.runs)
    assert len(data["evidence"]) < inline / 4  # the matrix's runs share most of their timelines
    assert read_results_text(tmp_path, dumps(results)) == results


def _as_schema_2(data: dict[str, Any]) -> dict[str, Any]:
    """@3 -> @2: reasons and runtime settings inline in every cell and run."""
    reasons, variants = data.pop("reasons"), data.pop("variants")
    data["schema"] = "miaw-harness/results@2"
    for cell in data["cells"]:
        cell["reason"] = reasons[cell["reason"]]
        for run in cell["runs"]:
            run["reason"] = reasons[run["reason"]]
            run.setdefault("settings", variants[run["variant"]])
    return data


def test_results_written_by_the_previous_schemas_still_read(tmp_path: Path) -> None:
    results = aggregate(matrix_records(), 42, fake_profiles())
    data = _as_schema_2(json.loads(dumps(results)))
    assert read_results_text(tmp_path, json.dumps(data)) == results
    entries, lists = data.pop("evidence"), data.pop("step_lists")
    data["schema"] = "miaw-harness/results@1"
    for cell in data["cells"]:
        for run in cell["runs"]:
            run["evidence"] = [
                dict(zip(("kind", "actor", "summary", "at_ms", "detail"), entries[n], strict=False)) | {"seq": i + 1}
                for i, n in enumerate(run["evidence"])
            ]
            run["steps"] = lists[run["steps"]]
    assert read_results_text(tmp_path, json.dumps(data)) == results


def read_results_text(tmp_path: Path, text: str) -> Results:
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    return read_results(path)
