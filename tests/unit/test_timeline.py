"""The timeline: dense sequence numbers, and steps that code finds by a typed fact rather than by their text."""

from __future__ import annotations

from harness.timeline import Fact, Kind, Timeline


def test_a_fact_is_found_by_its_type_and_stays_out_of_the_evidence() -> None:
    timeline = Timeline()
    timeline.add(Kind.NOTE, "app", "stream closed by the server")  # the same words, but no fact: not counted
    step = timeline.add(Kind.NOTE, "app", "closed", fact=Fact.STREAM_CLOSED_BY_SERVER)
    assert timeline.facts(Fact.STREAM_CLOSED_BY_SERVER) == [step]
    assert [s.seq for s in timeline.steps] == [1, 2]
    assert step.to_json() == {
        "seq": 2,
        "kind": "note",
        "actor": "app",
        "summary": "closed",
        "detail": {},
        "at_ms": None,
    }
