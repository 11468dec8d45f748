"""The judge: the worst finding decides, and each verdict says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.judge import Observations, Reason, RecoveryPath, RefusedSend, Verdict, judge

CLOSED_REFUSAL = RefusedSend("c1", "CLOSED", (400,), identity_changed=False)
FORBIDDEN = RefusedSend("c1", "CLOSED", (401, 401, 403), identity_changed=True)


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
        ({"recovered": True, "recovery_path": RecoveryPath.REOPEN}, Verdict.PASS, Reason.RECOVERED),
        ({"recovered": True, "recovery_path": RecoveryPath.NEW_CONVERSATION}, Verdict.PASS, Reason.RECOVERED),
        ({"recovered": True, "recovery_path": RecoveryPath.RELAUNCH}, Verdict.DEGRADED, Reason.RELAUNCH_REQUIRED),
        (
            {"recovered": True, "recovery_path": RecoveryPath.RELAUNCH, "ui_lies": ["x"]},
            Verdict.DEGRADED,
            Reason.UI_LIED,
        ),
        (
            {"recovered": True, "recovery_path": RecoveryPath.RELAUNCH, "split_conversations": ["s"]},
            Verdict.DEGRADED,
            Reason.RELAUNCH_REQUIRED,
        ),
        ({"recovered": False}, Verdict.BLOCKED, Reason.NO_WAY_OUT),
        ({"recovered": False, "sends_to_closed": 3}, Verdict.BLOCKED, Reason.NO_WAY_OUT),  # never refused: no proof
        ({"recovered": False, "refused_sends": [CLOSED_REFUSAL]}, Verdict.BLOCKED, Reason.REUSED_CLOSED_ID),
        ({"recovered": False, "refused_sends": [CLOSED_REFUSAL, FORBIDDEN]}, Verdict.BLOCKED, Reason.LOST_IDENTITY),
        (
            {"recovered": False, "refused_sends": [RefusedSend("c1", "CLOSED", (503,), identity_changed=False)]},
            Verdict.BLOCKED,
            Reason.NO_WAY_OUT,
        ),
        (
            {"recovered": False, "refused_sends": [RefusedSend("c1", "OPEN", (400,), identity_changed=False)]},
            Verdict.BLOCKED,
            Reason.NO_WAY_OUT,
        ),
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


def test_the_token_expiry_refusals_are_a_lost_identity_not_a_reused_id() -> None:
    # The evidence of the token-expiry scenario: the send to the closed conversation gets 401, the token cannot be
    # continued (401), the app takes a new anonymous identity, and every send after that is a 403.
    refusals = [FORBIDDEN, RefusedSend("c1", "CLOSED", (403, 403), identity_changed=True)]
    result = judge(_obs(recovered=False, sends_to_closed=2, refused_sends=refusals))
    assert result.reason_code is Reason.LOST_IDENTITY
    assert "403" in result.reason


def test_a_runtime_that_answers_403_for_a_closed_conversation_is_a_reused_id() -> None:
    # `closed_send_status = 403`: without an identity change the 403 is the closed conversation's refusal.
    refusal = RefusedSend("c1", "CLOSED", (403,), identity_changed=False)
    assert judge(_obs(recovered=False, refused_sends=[refusal])).reason_code is Reason.REUSED_CLOSED_ID


def test_relaunch_only_recovery_names_the_relaunch() -> None:
    result = judge(
        _obs(
            recovered=True,
            recovery_path=RecoveryPath.RELAUNCH,
            recovery_action="relaunch the app (1)",
            recovery_actions=["type in the chat", "reopen the chat", "relaunch the app (1)"],
        )
    )
    assert (result.verdict, result.reason_code) == (Verdict.DEGRADED, Reason.RELAUNCH_REQUIRED)
    assert "relaunch" in result.reason


def test_every_path_but_relaunch_and_none_is_in_app() -> None:
    assert {p for p in RecoveryPath if p.in_app} == {
        RecoveryPath.TYPE,
        RecoveryPath.NEW_CONVERSATION,
        RecoveryPath.REOPEN,
    }


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
