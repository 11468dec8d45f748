"""Rollout readiness: safe versions, blocking versions, advice and the install base."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.report.readiness import (
    ADVICE,
    InstallRow,
    Standing,
    assess,
    nearest_profile,
    read_install_base,
    standing_of,
)
from harness.report.results import Verdict, aggregate

from .report_records import fake_profiles, make_run, matrix_records


@pytest.mark.parametrize(
    ("verdicts", "standing"),
    [
        (["pass", "not_applicable"], Standing.SAFE),
        (["pass", "degraded"], Standing.DEGRADED),
        (["degraded", "needs_rep"], Standing.UNVERIFIED),
        (["error", "pass"], Standing.UNVERIFIED),
        (["error", "blocked"], Standing.BLOCKED),
        ([], Standing.SAFE),
    ],
)
def test_standing_of(verdicts: list[str], standing: Standing) -> None:
    assert standing_of([Verdict(v) for v in verdicts]) is standing


def test_readiness_of_the_small_matrix() -> None:
    readiness = assess(aggregate(matrix_records(), 42, fake_profiles()))
    assert readiness.headline == (
        "Safe to enable Session-Based Chat for: persist-forever on ios 1.10.0+ (with degraded recovery); "
        "persist-forever on android 1.10.0+ (with degraded recovery); persist-forever on web 1.0.0+ (with degraded "
        "recovery); persist-until-closed-event on ios 1.9.0+; persist-until-closed-event on android 1.8.0+; "
        "persist-until-closed-event on web 1.0.0+."
    )
    assert readiness.blocks_line == ("Blocks users: persist-forever on ios 1.9.0, android 1.8.0 (2 scenarios blocked).")
    minimums = {(m.app, m.platform): m.profile.name if m.profile else None for m in readiness.minimums}
    assert minimums[("persist-forever", "ios")] == "ios-1.10"
    assert [m.text for m in readiness.minimums if m.app == "persist-forever"] == [
        "1.10.0+ (degraded)",
        "1.10.0+ (degraded)",
        "1.0.0+ (degraded)",
    ]
    assert minimums[("persist-until-closed-event", "android")] == "android-1.8"
    assert [a.reason_code for a in readiness.advice] == ["reused_closed_id", "message_lost"]
    assert readiness.advice[0].text == ADVICE["reused_closed_id"]
    assert readiness.install is None


def test_the_minimum_safe_version_needs_every_newer_version_safe() -> None:
    records = [
        make_run(sdk="android-1.8", verdict="pass"),
        make_run(sdk="android-1.10", verdict="blocked", reason_code="missed_close"),
        make_run(sdk="ios-1.9", verdict="blocked", reason_code="missed_close"),
        make_run(sdk="ios-1.10", verdict="pass"),
    ]
    readiness = assess(aggregate(records, 1, fake_profiles()))
    minimums = {m.platform: m.profile.version if m.profile else None for m in readiness.minimums}
    assert minimums == {"ios": "1.10.0", "android": None}
    assert "persist-forever on ios 1.10.0+" in readiness.headline


def test_nothing_safe_says_so() -> None:
    readiness = assess(aggregate([make_run(verdict="blocked", reason_code="weird_code")], 1))
    assert [m.text for m in readiness.minimums] == ["none"]
    assert readiness.headline.endswith("for: no SDK version and app strategy in this run.")
    assert readiness.advice[0].reason_code == "weird_code"
    assert "not one this version knows" in readiness.advice[0].text


@pytest.mark.parametrize(
    ("platform", "version", "expected"),
    [
        ("android", "1.9.3", "android-1.8"),
        ("android", "1.10.0", "android-1.10"),
        ("android", "2.0", "android-1.10"),
        ("android", "1.2.0", None),
        ("ios", "1.9.1", "ios-1.9"),
        ("windows", "1.0", None),
    ],
)
def test_nearest_profile_at_or_below(platform: str, version: str, expected: str | None) -> None:
    profiles = aggregate(matrix_records(), 1, fake_profiles()).profiles
    found = nearest_profile(profiles, platform, version)
    assert (found.name if found else None) == expected


def test_install_base_shares(tmp_path: Path) -> None:
    csv = tmp_path / "base.csv"
    csv.write_text(
        "platform,sdk_version,active_users\nios,1.9.2,500\nandroid,1.10.1,300\nandroid,1.2.0,100\nweb,1.0.0,100\n",
        encoding="utf-8",
    )
    rows = read_install_base(csv)
    assert rows[0] == InstallRow("ios", "1.9.2", 500)
    readiness = assess(aggregate(matrix_records(), 42, fake_profiles()), rows)
    shares = {s.app: s for s in readiness.install or ()}
    assert readiness.total_users == 1000
    assert shares["persist-forever"].blocked_pct == 50.0
    assert shares["persist-forever"].degraded_pct == 40.0
    assert shares["persist-forever"].uncovered_pct == 10.0
    assert shares["persist-until-closed-event"].blocked_pct == 0.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read install base"),
        ("platform,version,users\nios,1.0,3\n", "header must name the columns"),
        ("platform,sdk_version,active_users\nios,one,3\n", r"base.csv:2: sdk_version 'one' is not a version"),
        ("platform,sdk_version,active_users\nios,1.0,many\n", r"base.csv:2: active_users 'many' is not a whole"),
        ("platform,sdk_version,active_users\nios,1.0,-4\n", "must not be negative"),
        ("platform,sdk_version,active_users\n,1.0,4\n", "empty platform"),
        ("platform,sdk_version,active_users\n", "no active users"),
        ("", "header must name the columns"),
    ],
)
def test_a_bad_install_base_is_one_clear_line(tmp_path: Path, content: str | None, message: str) -> None:
    csv = tmp_path / "base.csv"
    if content is not None:
        csv.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        read_install_base(csv)


def test_install_base_accepts_a_byte_order_mark_and_blank_lines(tmp_path: Path) -> None:
    csv = tmp_path / "base.csv"
    csv.write_bytes("\ufeffPlatform,SDK_Version,Active_Users\r\nIOS,1.10.0,1_000\r\n,,\r\n".encode())
    assert read_install_base(csv) == [InstallRow("ios", "1.10.0", 1000)]


def test_the_minimum_names_the_version_from_which_every_scenario_passes() -> None:
    records = [
        make_run(sdk="android-1.8", verdict="degraded", reason_code="ui_lied"),
        make_run(sdk="android-1.10", verdict="pass"),
        make_run(sdk="ios-1.9", verdict="degraded", reason_code="ui_lied"),
        make_run(sdk="ios-1.10", verdict="degraded", reason_code="ui_lied"),
    ]
    readiness = assess(aggregate(records, 1, fake_profiles()))
    texts = {m.platform: m.text for m in readiness.minimums}
    assert texts == {"android": "1.8.0+ (degraded below 1.10.0)", "ios": "1.9.0+ (degraded)"}


def test_blocks_counts_blocked_and_degraded_scenarios_apart() -> None:
    # one scenario blocks, two only degrade: the line must not say "3 scenarios" block users
    records = [
        make_run("session-based-chat/a-rep-ends-the-session", "ios-1.9", verdict="blocked"),
        make_run("session-based-chat/the-user-ends-the-chat", "ios-1.9", verdict="degraded", reason_code="ui_lied"),
        make_run("opt-out/keyword-keeps-conversation-open", "ios-1.9", verdict="degraded", reason_code="ui_lied"),
    ]
    readiness = assess(aggregate(records, 1, fake_profiles()))
    assert readiness.blocks_line == (
        "Blocks users: persist-forever on ios 1.9.0 (1 scenario blocked; 2 more degraded)."
    )
