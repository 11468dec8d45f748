"""A misspelled step in a team's feature file is a usage error before anything runs, not an error cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.commands import run as run_command
from harness.paths import features_dir
from harness.steps.spelling import unknown_step

MISSPELLED = """\
@closing
Feature: Our rep flow
  Background:
    Given Session-Based Chat is turned on and published for the channel

  Scenario: The rep ends the session
    Given the user is chatting with a rep
    When the rep end the session
    Then the conversation is closed on the runtime
"""

OUTLINE = """\
Feature: Timers
  Scenario Outline: A quiet user
    Given Session-Based Chat is turned on and published for the channel
    And the channel's customer inactivity timeout is <minutes> minutes
    And the user is chatting with a rep
    When <minutes> minutes pass without a message from the user
    Then the messaging session is inactive
    But the conversation is still open on the runtime

    Examples:
      | minutes |
      | 5       |
      | 30      |
"""


def test_a_misspelled_step_names_the_file_the_line_and_the_closest_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    feature = tmp_path / "ours" / "rep.feature"
    feature.parent.mkdir()
    feature.write_text(MISSPELLED, encoding="utf-8")
    started: list[object] = []
    monkeypatch.setattr(run_command, "run_suite", lambda *a: started.append(a) or 0)
    assert main(["run", "--features", str(feature.parent)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"miaw-harness run: error: {feature}:8: ")
    assert 'no bundled step matches "When the rep end the session"' in err
    assert 'did you mean "When (the or a) <who> ends the session"' in err
    assert not started
    assert not (tmp_path / "miaw-report").exists()


def test_a_step_under_the_wrong_keyword_is_named_with_the_right_one(tmp_path: Path) -> None:
    feature = tmp_path / "f.feature"
    feature.write_text(MISSPELLED.replace("When the rep end", "Given the rep ends"), encoding="utf-8")
    problem = unknown_step(feature)
    assert problem is not None
    assert f'{feature}:8: no bundled step matches "Given the rep ends the session"' in problem
    assert '"When (the or a) <who> ends the session"' in problem


def test_nothing_like_any_step_points_to_the_catalogue(tmp_path: Path) -> None:
    feature = tmp_path / "f.feature"
    feature.write_text("Feature: x\n  Scenario: y\n    Given zzzz qqqq\n", encoding="utf-8")
    assert unknown_step(feature) == (
        f'{feature}:3: no bundled step matches "Given zzzz qqqq"? (`miaw-harness steps` lists them)'
    )


def test_outlines_backgrounds_and_and_but_steps_are_matched_as_the_suite_runs_them(tmp_path: Path) -> None:
    feature = tmp_path / "f.feature"
    feature.write_text(OUTLINE, encoding="utf-8")
    assert unknown_step(feature) is None
    feature.write_text(OUTLINE.replace("| 30      |", "| thirty  |"), encoding="utf-8")
    problem = unknown_step(feature)
    assert problem is not None and ":4: " in problem and "timeout is thirty minutes" in problem


def test_every_bundled_feature_passes_the_check() -> None:
    for path in sorted(features_dir().rglob("*.feature")):
        assert unknown_step(path) is None


def test_a_scenario_pytest_bdd_cannot_run_is_one_line_too(tmp_path: Path) -> None:
    feature = tmp_path / "f.feature"
    feature.write_text("Feature: x\n  Scenario: y\n    And the user is chatting with a rep\n", encoding="utf-8")
    problem = unknown_step(feature)
    assert problem is not None
    assert problem.startswith(f"{feature}:3: First step in a scenario or background must start with")
    assert "\n" not in problem
