"""Reports of SDK variants: the assumption that broke a cell, the unknowns behind a safe line, pins in headers."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.readiness import assess
from harness.report.results import aggregate, dumps, from_json

from .report_records import FakeCapability, fake_profiles, make_run

CALLBACK = "conversation_updated_callback"


def _assumption(value: bool, evidence: str = "unknown") -> dict[str, Any]:
    words = "the conversation-updated callback " + ("fires" if value else "does not fire")
    return {"profile": "ios-1.9", "flag": CALLBACK, "value": value, "evidence": evidence, "words": words}


def _run(verdict: str, code: str, value: bool | None, variant: str = "close-event", **kw: Any) -> dict[str, Any]:
    record = make_run(sdk="ios-1.9", app="persist-until-closed-event", verdict=verdict, reason_code=code, **kw)
    record["variant"] = {"name": variant, "settings": {}}
    if value is not None:
        record["variant"]["assumptions"] = [_assumption(value)]
    return record


def _profiles(pinned: bool = False) -> list[Any]:
    out = []
    for p in fake_profiles():
        if p.name == "ios-1.9":
            evidence = "pinned" if pinned else "unknown"
            p = replace(p, capabilities={**p.capabilities, CALLBACK: FakeCapability(True, evidence, "s")})
        out.append(p)
    return out


def test_a_forked_cell_keeps_the_worst_verdict_and_names_the_assumption_that_broke_it() -> None:
    records = [
        _run("degraded", "ui_lied", True, nodeid="n1"),
        _run("blocked", "reused_closed_id", False, nodeid="n1"),
    ]
    results = aggregate(records, 1, _profiles())
    (cell,) = results.cells
    assert cell.verdict.value == "blocked"
    assert cell.broken_by == ("close-event, if the conversation-updated callback does not fire (unknown)",)
    assert [r.variant for r in cell.runs] == [
        "close-event, if the conversation-updated callback does not fire (unknown)",
        "close-event, if the conversation-updated callback fires (unknown)",
    ]
    # results.json keeps each run's assumptions and reads them back
    again = from_json(json.loads(dumps(results)))
    stored = json.loads(dumps(results))
    assert stored["cells"][0]["broken_by"] == ["close-event, if conversation_updated_callback=false"]
    assert [r["assumptions"] for r in stored["cells"][0]["runs"]] == [
        ["conversation_updated_callback=false"],
        ["conversation_updated_callback=true"],
    ]
    # read back, the wording comes from the capability table
    assert [(a["flag"], a["value"]) for a in again.cells[0].runs[0].assumptions] == [(CALLBACK, False)]
    assert again.cells[0].broken_by == (
        "close-event, if the conversation-updated callback does not fire when the server closes the conversation "
        "(unknown)",
    )
    report = render_markdown(results, assess(results))
    assert "if the conversation-updated callback does not fire (unknown)" in report


def test_a_cell_that_did_not_fork_keeps_the_runtime_variant_names() -> None:
    records = [_run("blocked", "reused_closed_id", True, nodeid="n1")]  # blocked at once: no fork was needed
    results = aggregate(records, 1, _profiles())
    assert results.cells[0].broken_by == ("close-event",)
    assert results.cells[0].runs[0].assumptions[0]["flag"] == CALLBACK


def test_a_safe_line_lists_the_unknowns_it_was_tested_under() -> None:
    records = [
        _run("pass", "recovered", True, nodeid="n1"),
        _run("pass", "recovered", False, nodeid="n1"),
        make_run(sdk="ios-1.10", app="persist-until-closed-event"),
    ]
    readiness = assess(aggregate(records, 1, _profiles()))
    assert readiness.safe_for == [
        "persist-until-closed-event on ios 1.9.0+ (unknown SDK behaviour run both ways: "
        "conversation_updated_callback (false, true))"
    ]


def test_pins_are_in_every_header_and_in_results_json() -> None:
    records = [_run("pass", "recovered", None, nodeid="n1")]
    results = aggregate(records, 1, _profiles(pinned=True))
    assert results.pins() == ["ios-1.9.conversation_updated_callback=true"]
    readiness = assess(results)
    assert "Pinned SDK assumptions (`--assume`): `ios-1.9.conversation_updated_callback=true`." in render_markdown(
        results, readiness
    )
    assert "<code>ios-1.9.conversation_updated_callback=true</code>" in render_html(results, readiness)
    assert '<property name="pins" value="ios-1.9.conversation_updated_callback=true"' in render_junit(results)
    assert json.loads(dumps(results))["pins"] == ["ios-1.9.conversation_updated_callback=true"]
    assert readiness.safe_for == [
        "persist-until-closed-event on ios 1.9.0+ (pinned: ios-1.9.conversation_updated_callback=true)"
    ]
    unpinned = aggregate(records, 1, _profiles())
    assert "Pinned SDK assumptions: none" in render_markdown(unpinned, assess(unpinned))
