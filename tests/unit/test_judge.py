"""The judge: the worst finding decides, and each verdict says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.judge import Observations, Reason, Verdict, judge


def _obs(**fields: object) -> Observations:
    obs = Observations()
    for key, value in fields.items():
        setattr(obs, key, value)
    return obs


@pytest.mark.parametrize(
    ("fields", "verdict", "reason"),
    [
        ({}, Verdict.PASS, Reason.RECOVERED),
        ({"recovered": True}, Verdict.PASS, Reason.RECOVERED),
        ({"recovered": True, "ui_lies": ["x"]}, Verdict.DEGRADED, Reason.UI_LIED),
        ({"recovered": True, "lost_messages": ["m"], "ui_lies": ["x"]}, Verdict.DEGRADED, Reason.MESSAGE_LOST),
        ({"recovered": True, "split_conversations": ["s"]}, Verdict.DEGRADED, Reason.CONVERSATION_SPLIT),
        ({"recovered": True, "missed_close": ["late"]}, Verdict.DEGRADED, Reason.MISSED_CLOSE),
        ({"recovered": False}, Verdict.BLOCKED, Reason.NO_WAY_OUT),
        ({"recovered": False, "sends_to_closed": 3}, Verdict.BLOCKED, Reason.REUSED_CLOSED_ID),
        ({"recovered": False, "sends_to_closed": 3, "forbidden": 1}, Verdict.BLOCKED, Reason.LOST_IDENTITY),
        ({"recovered": False, "lost_messages": ["m"]}, Verdict.BLOCKED, Reason.NO_WAY_OUT),
        ({"not_applicable": "no End Chat"}, Verdict.NOT_APPLICABLE, Reason.NOT_APPLICABLE),
        ({"needs_rep": "no rep", "recovered": False}, Verdict.NEEDS_REP, Reason.NEEDS_REP),
        ({"error": "boom", "recovered": True}, Verdict.ERROR, Reason.HARNESS_ERROR),
    ],
)
def test_worst_finding_wins(fields: dict[str, object], verdict: Verdict, reason: Reason) -> None:
    result = judge(_obs(**fields))
    assert (result.verdict, result.reason_code) == (verdict, reason)
    assert result.reason


def test_reason_lists_each_finding_once() -> None:
    result = judge(_obs(recovered=True, ui_lies=["a", "a", "b", "c", "d"]))
    assert result.reason.count("a") == 1
    assert "(+1 more)" in result.reason


def test_blocked_reason_names_what_was_tried() -> None:
    result = judge(_obs(recovered=False, recovery_actions=["type in the chat", "relaunch the app (1)"]))
    assert "type in the chat, relaunch the app (1)" in result.reason


def test_the_results_format_documents_every_reason_code() -> None:
    # `Reason` is the one list of codes; the documentation of results.json names each of them.
    doc = (Path(__file__).parents[2] / "docs" / "results-schema.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| `reason_code`"))
    assert [code for code in Reason if f"`{code.value}`" not in row] == []
