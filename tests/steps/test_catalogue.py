"""The step catalogue is read from the step definitions, and docs/steps.md is exactly what it generates."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd import parsers

from harness.cli import main
from harness.steps import catalogue
from harness.steps.catalogue import bundled_features, bundled_steps, feature_steps

DOC = Path(__file__).parents[2] / "docs" / "steps.md"


def test_docs_steps_md_is_the_generated_catalogue() -> None:
    assert DOC.read_text(encoding="utf-8") == catalogue.as_markdown(), (
        "docs/steps.md is out of date: regenerate it with `.venv/bin/miaw-harness steps --markdown > docs/steps.md`"
    )


def test_every_bundled_step_definition_is_listed_with_a_meaning_and_an_example() -> None:
    steps = bundled_steps()
    defined = 0
    for module in catalogue.BUNDLED_MODULES:
        text = Path(__import__(module, fromlist=["_"]).__file__ or "").read_text(encoding="utf-8")
        defined += sum(text.count(f"\n@{keyword}(") for keyword in catalogue.KEYWORDS)
    assert len(steps) == defined
    for step in steps:
        assert step.meaning, f"{step.heading} has no docstring ({step.module}:{step.line})"
        assert step.example, f"{step.heading}: no bundled feature uses it and its docstring has no Example: line"
        keyword, _, text = step.example.partition(" ")
        assert step.matches(keyword.lower(), text), f"the example of {step.heading} does not match it: {step.example}"


def test_every_step_of_the_bundled_features_is_in_the_catalogue() -> None:
    steps = bundled_steps()
    for path in bundled_features():
        for step in feature_steps(path):
            assert any(s.matches(step.type, step.name) for s in steps), f"{path}:{step.line_number} {step.name}"


def test_parameters_are_named_and_described_from_the_parsers() -> None:
    text, params = catalogue._render(parsers.parse("the channel's customer inactivity timeout is {minutes:d} minutes"))
    assert text == "the channel's customer inactivity timeout is <minutes> minutes"
    assert [(p.name, p.accepts) for p in params] == [("minutes", "a whole number")]
    text, params = catalogue._render(
        parsers.re(r'the runtime fails the next (?P<count>\d+) "(?P<route>\w+)" requests? with (?P<status>\d+)')
    )
    assert text == 'the runtime fails the next <count> "<route>" requests with <status>'
    assert [p.name for p in params] == ["count", "route", "status"]
    text, params = catalogue._render(parsers.re(r"(?:the|a) (?P<who>rep|bot|supervisor) ends the session"))
    assert text == "(the or a) <who> ends the session"
    assert params[0].accepts == 'one of "rep", "bot", "supervisor"'


def test_the_steps_command_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["steps"]) == 0
    out = capsys.readouterr().out
    assert "When (the or a) <who> ends the session\n" in out
    assert '    <who>: one of "rep", "bot", "supervisor"\n' in out
    assert "    e.g. When the rep ends the session\n" in out
    assert out.count("\n    e.g. ") == len(bundled_steps())
    assert main(["steps", "--markdown"]) == 0
    assert capsys.readouterr().out == DOC.read_text(encoding="utf-8")
