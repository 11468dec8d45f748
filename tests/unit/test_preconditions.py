"""Each reason code's preconditions, read from a run's own timeline."""

from __future__ import annotations

from typing import Any

import pytest

from harness.run.judge import Reason
from harness.run.preconditions import VERDICT_OF, violations
from harness.timeline import Fact, Kind, Timeline


def _tried(t: Timeline, way: str, reached: bool, recovery: int = 1) -> None:
    t.add_fact(Fact.WAY_OUT_TRIED, "way out tried", recovery=recovery, action=way, way=way, reached_rep=reached)


def _refused_send(t: Timeline, statuses: list[int], state: str = "CLOSED", identity_changed: bool = False) -> None:
    t.add(Kind.ACTION, "user", "type and send 'hi'")
    for status in statuses:
        t.add(Kind.REQUEST, "app", f"POST message -> {status}", {"status": status})
    t.add_fact(
        Fact.SEND_REFUSED,
        "refused",
        conversation="c1",
        conversation_state=state,
        statuses=statuses,
        identity_changed=identity_changed,
    )


def _blocked_by(statuses: list[int], identity_changed: bool = False) -> list[dict[str, Any]]:
    t = Timeline()
    if identity_changed:
        t.add_fact(Fact.IDENTITY_CHANGED, "new end user", subject="s2")
    for way in ("type", "reopen", "relaunch", "relaunch"):
        _refused_send(t, statuses, identity_changed=identity_changed)
        _tried(t, way, False)
    return t.to_json()


def _relaunch_only() -> list[dict[str, Any]]:
    t = Timeline()
    _tried(t, "type", False)
    _tried(t, "reopen", False)
    _tried(t, "relaunch", True)
    return t.to_json()


def _in_app() -> list[dict[str, Any]]:
    t = Timeline()
    _tried(t, "type", False)
    _tried(t, "reopen", True)
    return t.to_json()


def test_every_reason_code_has_a_verdict() -> None:
    assert set(VERDICT_OF) == set(Reason)


@pytest.mark.parametrize(
    ("verdict", "code", "evidence"),
    [
        ("pass", "recovered", []),
        ("pass", "recovered", _in_app()),
        ("degraded", "relaunch_required", _relaunch_only()),
        ("blocked", "reused_closed_id", _blocked_by([400, 400])),
        ("blocked", "lost_identity", _blocked_by([401, 401, 403], identity_changed=True)),
        ("blocked", "no_way_out", _blocked_by([503])),
    ],
)
def test_a_code_its_timeline_bears_out(verdict: str, code: str, evidence: list[dict[str, Any]]) -> None:
    assert violations(verdict, code, evidence) == []


@pytest.mark.parametrize(
    ("verdict", "code", "evidence", "problem"),
    [
        # the bundled token-expiry cells before: every refusal a 403 after a new identity, yet "reused_closed_id"
        ("blocked", "reused_closed_id", _blocked_by([401, 401, 403], identity_changed=True), "lost_identity"),
        ("blocked", "lost_identity", _blocked_by([400]), "403"),
        ("blocked", "no_way_out", _blocked_by([400]), "more precise"),
        ("degraded", "relaunch_required", _in_app(), "relaunch"),
        ("pass", "recovered", _relaunch_only(), "relaunch"),
        ("degraded", "recovered", [], "goes with pass"),
        ("blocked", "reused_closed_id", _in_app(), "way out"),
        ("degraded", "ui_lied", _in_app(), "ui_disagrees"),
        ("degraded", "conversation_split", _in_app(), "conversation_split"),
        ("degraded", "message_lost", _in_app(), "message_lost"),
        ("not_applicable", "not_applicable", [], "not applicable"),
        ("pass", "no_such_code", [], "unknown"),
    ],
)
def test_a_code_its_timeline_does_not_bear_out(
    verdict: str, code: str, evidence: list[dict[str, Any]], problem: str
) -> None:
    found = violations(verdict, code, evidence)
    assert any(problem in p for p in found), found


def test_a_relaunch_before_the_in_app_steps_is_not_a_relaunch_required() -> None:
    t = Timeline()
    _tried(t, "relaunch", True)
    assert violations("degraded", "relaunch_required", t.to_json()) != []


def test_a_refusal_fact_must_match_the_requests_it_summarises() -> None:
    evidence = _blocked_by([400])
    fact = next(s for s in evidence if s["detail"].get("fact") == "send_refused")
    fact["detail"]["statuses"] = [409]
    assert any("the requests say [400]" in p for p in violations("blocked", "reused_closed_id", evidence))


def test_not_applicable_needs_the_step_that_found_it() -> None:
    steps = [{"name": "the user ends the chat", "status": "failed", "error": "NotApplicable: no End Chat"}]
    assert violations("not_applicable", "not_applicable", [], steps) == []
