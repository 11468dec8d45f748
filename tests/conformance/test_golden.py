"""The bundled matrix reproduces the golden verdict table, never errs, and gives the same records serial or parallel."""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.run.judge import SEVERITY, Reason, Verdict
from harness.run.preconditions import violations
from harness.steps.options import suite_command

pytestmark = pytest.mark.matrix  # its own job: `pytest -m matrix`; the default session runs it too

HERE = Path(__file__).parent
VOLATILE = ("duration_ms", "worker")


def run_suite(out: Path, *args: str) -> list[dict[str, Any]]:
    out.mkdir(parents=True, exist_ok=True)
    cmd = suite_command(out, *args)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    records = [json.loads(line) for f in sorted(out.glob("runs-*.jsonl")) for line in f.read_text().splitlines()]
    assert records, done.stdout[-2000:]
    return records


def cells(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], str]:
    worst: dict[tuple[str, str, str], str] = {}
    for r in records:
        key = (r["scenario_id"], r["sdk"]["name"], r["app"])
        if key not in worst or SEVERITY[Verdict(r["verdict"])] > SEVERITY[Verdict(worst[key])]:
            worst[key] = r["verdict"]
    return worst


def reasons(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], set[str]]:
    """The reason codes of each cell's worst runs."""
    worst = cells(records)
    found: dict[tuple[str, str, str], set[str]] = {}
    for r in records:
        key = (r["scenario_id"], r["sdk"]["name"], r["app"])
        if r["verdict"] == worst[key]:
            found.setdefault(key, set()).add(r["reason_code"])
    return found


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    yield run_suite(tmp_path_factory.mktemp("matrix"), "-n", "2")


def expectations() -> list[tuple[str, str, str, str, str]]:
    return [(scenario, sdk, app, verdict, why) for scenario, sdk, app, verdict, _, why in _expected()]


def _expected() -> list[tuple[str, str, str, str, str | None, str]]:
    """(scenario, sdk, app, verdict, reason code or None, why) for every cell the golden table names."""
    data = tomllib.loads((HERE / "golden.toml").read_text(encoding="utf-8"))
    return [
        (e["scenario"], sdk, app, e["verdict"], e.get("reason"), e["why"])
        for e in data["expect"]
        for sdk in e["sdk"]
        for app in e["app"]
        if not (sdk == "web") ^ (app == "web-storage")  # the web client pairs only with the web strategy
    ]


def test_golden_table(matrix: list[dict[str, Any]]) -> None:
    got = cells(matrix)
    wrong = []
    for scenario, sdk, app, verdict, why in expectations():
        actual = got.get((scenario, sdk, app))
        if actual != verdict:
            wrong.append(f"{scenario} x {sdk} x {app}: expected {verdict}, got {actual} ({why})")
    assert not wrong, "\n".join(wrong)


def test_golden_reasons(matrix: list[dict[str, Any]]) -> None:
    # an entry may also name the reason code: every worst run of those cells must give it
    got = reasons(matrix)
    wrong = [
        f"{scenario} x {sdk} x {app}: expected {reason}, got {sorted(got.get((scenario, sdk, app), ()))} ({why})"
        for scenario, sdk, app, _, reason, why in _expected()
        if reason is not None and got.get((scenario, sdk, app)) != {reason}
    ]
    assert not wrong, "\n".join(wrong)


def test_no_cell_errs(matrix: list[dict[str, Any]]) -> None:
    errors = [
        f"{r['scenario_id']} {r['sdk']['name']} {r['app']}: {r['reason']}" for r in matrix if r["verdict"] == "error"
    ]
    assert not errors, "\n".join(errors[:20])


def test_every_verdict_carries_its_evidence(matrix: list[dict[str, Any]]) -> None:
    for r in matrix:
        assert r["reason"], r["scenario_id"]
        if r["sdk"]["platform"] != "org":
            assert any(s["kind"] == "request" for s in r["evidence"]), r["scenario_id"]


def test_every_reason_code_is_borne_out_by_its_own_timeline(matrix: list[dict[str, Any]]) -> None:
    # e.g. reused_closed_id needs a send refused for a closed conversation, lost_identity a 403 after the app became
    # another end user, relaunch_required a relaunch as the first way out that worked (harness/run/preconditions.py)
    wrong = [
        f"{r['scenario_id']} {r['sdk']['name']} {r['app']} {r['variant']['name']}: {r['reason_code']}: {problem}"
        for r in matrix
        for problem in violations(r["verdict"], r["reason_code"], r["evidence"], r["steps"])
    ]
    assert not wrong, "\n".join(wrong[:20]) + f"\n({len(wrong)} in all)"


def test_the_bundled_run_shows_every_reason_a_simulated_client_can_earn(matrix: list[dict[str, Any]]) -> None:
    # needs_rep arises only against a real org, harness_error never should, and message_lost only with a client that
    # shows a message as sent before the runtime took it (the simulated SDK marks every unconfirmed send failed)
    seen = {r["reason_code"] for r in matrix}
    expected = set(Reason) - {Reason.NEEDS_REP, Reason.HARNESS_ERROR, Reason.MESSAGE_LOST}
    assert expected - seen == set()


def _stable(records: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(_without_times(r), sort_keys=True) for r in records)


def _without_times(record: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in record.items() if k not in VOLATILE}
    kept["steps"] = [{k: v for k, v in s.items() if k != "duration_ms"} for s in record.get("steps", ())]
    return kept


def test_serial_and_parallel_runs_agree(tmp_path: Path) -> None:
    selection = [
        "--miaw-sdk",
        "android-1.9",
        "--miaw-sdk",
        "ios-1.10",
        "--miaw-app",
        "persist-*",
        "-k",
        "rep_ends or opt_out",
    ]
    serial = run_suite(tmp_path / "serial", *selection)
    parallel = run_suite(tmp_path / "parallel", *selection, "-n", "2")
    assert _stable(serial) == _stable(parallel)
