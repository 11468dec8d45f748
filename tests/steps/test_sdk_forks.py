"""The pytest route forks a scenario item on the unknown SDK flags its run consulted, and only there."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from harness.steps.options import suite_command

SELECTION = ("--miaw-sdk", "ios-1.9", "--miaw-app", "persist-until-closed-event", "-k", "token_expires or optout")
TOKEN = "test_the_access_token_expires_while_the_conversation_is_closed"


def run(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        suite_command(tmp_path, *SELECTION, *extra), capture_output=True, text=True, timeout=600, check=False
    )
    records = [json.loads(line) for f in sorted(tmp_path.glob("runs-*.jsonl")) for line in f.read_text().splitlines()]
    return done, records


def _assumed(record: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(a["flag"], a["value"]) for a in record["variant"].get("assumptions", ())]


def test_only_the_items_that_consulted_the_unknown_flag_fork_and_pytest_sees_the_worst(tmp_path: Path) -> None:
    done, records = run(tmp_path)
    assert done.returncode == 1, done.stdout[-2000:]
    # one outcome per item, however many forks it ran: the token expiry runs under three runtime variants (close
    # event or not; a closed send refused with 401, which iOS 1.9 handles differently from 403)
    assert "3 failed, 1 passed" in done.stdout
    by_item: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_item.setdefault(record["nodeid"], []).append(record)
    assert len(by_item) == 4
    for nodeid, runs in by_item.items():
        if TOKEN in nodeid:
            # iOS 1.9's conversation-updated callback told the app of the close: the run forks on "does not fire"
            assert sorted((_assumed(r)[0][1], r["verdict"]) for r in runs) == [(False, "blocked"), (True, "degraded")]
            assert len({r["seed"] for r in runs}) == 1  # the same cell and seed, only the flag differs
        else:
            # the opt-out keyword never closes the conversation: the unknown never mattered, the item ran once
            assert [(_assumed(r), r["verdict"]) for r in runs] == [([], "pass")]
    assert "blocked (lost_identity)" in done.stdout  # the failing outcome is the worst fork's


def test_a_pin_fixes_the_flag_and_runs_each_item_once(tmp_path: Path) -> None:
    done, records = run(tmp_path, "--miaw-assume", "ios-1.9.conversation_updated_callback=true")
    assert done.returncode == 1, done.stdout[-2000:]
    assert sorted((TOKEN in r["nodeid"], r["verdict"], _assumed(r)) for r in records) == [
        (False, "pass", []),
        (True, "degraded", []),
        (True, "degraded", []),
        (True, "degraded", []),
    ]


def test_a_bad_pin_stops_the_session_with_one_line(tmp_path: Path) -> None:
    done, records = run(tmp_path, "--miaw-assume", "ios-1.9.conversation_updated_callback=perhaps")
    assert done.returncode == 4
    assert "--assume ios-1.9.conversation_updated_callback=perhaps: conversation_updated_callback got 'perhaps'" in (
        done.stderr
    )
    assert records == []
