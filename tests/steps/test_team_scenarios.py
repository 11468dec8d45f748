"""A team's own pytest-bdd module binds its feature files with `scenarios(...)` and uses the bundled steps."""

from __future__ import annotations

import json

import pytest

TEAM_FEATURE = """\
@closing
Feature: Our rep flow
  Scenario: The rep ends the session
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep
    When the rep ends the session
    Then the conversation is closed on the runtime
    And the user can start a new conversation and reach a rep
"""

TEAM_MODULE = """\
from pytest_bdd import scenarios

from harness.steps.bundled import *  # noqa: F403

scenarios("features")
"""

PLAIN_BDD = """\
from pytest_bdd import given, scenarios, then

scenarios("other")


@given("a wallet", target_fixture="wallet")
def _():
    return []


@then("it is empty")
def _(wallet):
    assert wallet == []
"""


def _team_folder(pytester: pytest.Pytester, feature: str = TEAM_FEATURE) -> None:
    (pytester.path / "features").mkdir()
    (pytester.path / "features" / "rep.feature").write_text(feature, encoding="utf-8")
    (pytester.path / "test_rep.py").write_text(TEAM_MODULE, encoding="utf-8")


def test_a_team_module_runs_its_features_with_the_bundled_steps_per_cell(pytester: pytest.Pytester) -> None:
    _team_folder(pytester)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--miaw-sdk",
        "android-1.10",
        "--miaw-app",
        "persist-until-closed-event",
        "--miaw-app",
        "persist-forever",
        f"--miaw-results={out}",
    )
    # 2 strategies x 3 closing variants: an app that keeps the closed conversation forever is blocked
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines(["*blocked*no user action led to a new conversation*persist-forever*"])
    assert "KeyError" not in result.stdout.str()
    records = [json.loads(line) for f in sorted(out.glob("runs-*.jsonl")) for line in f.read_text().splitlines()]
    assert (
        sorted((r["app"], r["verdict"]) for r in records)
        == [("persist-forever", "blocked")] * 3 + [("persist-until-closed-event", "pass")] * 3
    )
    assert {r["scenario_id"] for r in records} == {"features/the-rep-ends-the-session"}


def test_other_pytest_bdd_scenarios_are_left_alone(pytester: pytest.Pytester) -> None:
    (pytester.path / "other").mkdir()
    (pytester.path / "other" / "w.feature").write_text(
        "Feature: Wallet\n  Scenario: New wallet\n    Given a wallet\n    Then it is empty\n", encoding="utf-8"
    )
    (pytester.path / "test_wallet.py").write_text(PLAIN_BDD, encoding="utf-8")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_new_wallet PASSED*"])  # one test, not one per cell


ENDS_TWICE = """\
@closing
Feature: Our rep flow
  Scenario: The rep ends the session, the user comes back, the rep ends it again
    Given Session-Based Chat is turned on and published for the channel
    And the user is chatting with a rep
    When the rep ends the session
    Then the conversation is closed on the runtime
    And the user can start a new conversation and reach a rep
    When the rep ends the session
    Then the conversation is closed on the runtime
    And the user has no open conversation on the runtime
    And the user can start a new conversation and reach a rep
"""


def test_steps_follow_the_users_current_conversation(pytester: pytest.Pytester) -> None:
    _team_folder(pytester, ENDS_TWICE)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--miaw-sdk",
        "android-1.10",
        "--miaw-app",
        "persist-until-closed-event",
        "--miaw-app",
        "persist-forever",
        f"--miaw-results={out}",
    )
    assert "ControlError" not in result.stdout.str()
    result.assert_outcomes(passed=3, failed=3)  # 3 closing variants (with the 401 closed-send one)
    records = [json.loads(line) for f in sorted(out.glob("runs-*.jsonl")) for line in f.read_text().splitlines()]
    assert sorted((r["app"], r["verdict"]) for r in records) == [
        ("persist-forever", "blocked"),
        ("persist-forever", "blocked"),
        ("persist-forever", "blocked"),
        ("persist-until-closed-event", "pass"),
        ("persist-until-closed-event", "pass"),
        ("persist-until-closed-event", "pass"),
    ]
    for record in records:
        reached = [e["detail"]["conversation"] for e in record["evidence"] if e["summary"] == "message reached a rep"]
        if record["app"] == "persist-until-closed-event":
            assert [s["status"] for s in record["steps"]] == ["passed"] * 9
            assert len(reached) == 2 and reached[0] != reached[1]  # the rep ended the second conversation too
        else:  # the user never came back: the second end has no session to end, and the cell stays blocked
            assert not reached
            notes = [e["summary"] for e in record["evidence"] if e["kind"] == "note"]
            assert "the user never came back: the rep has no session to end" in notes
