"""Unknown SDK flags as a variant axis: which flags are open, which reads fork a run, and how pins close an axis."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.run.cells import Cell, Selection
from harness.run.variants import CLOSE_EVENT, ForkPlan, consulted_unknowns
from harness.sdk.profiles import (
    PINNED,
    SdkProfile,
    apply_pins,
    load_profiles,
    pins_from_file,
    pins_of,
    recording_reads,
)
from harness.sdk.strategies import load_strategies

CALLBACK = "conversation_updated_callback"


def profile(name: str) -> SdkProfile:
    return next(p for p in load_profiles() if p.name == name)


def test_open_flags_are_the_unknown_behaviours_with_the_profiles_value_first() -> None:
    assert profile("ios-1.9").open_flags() == {CALLBACK: (True, False)}
    assert profile("ios-1.3").open_flags() == {"realtime_reconnect": ("none", "backoff"), CALLBACK: (True, False)}
    # whether 1.10+ treats a send refused with 403 as a close is unknown too (sdk-versions.md §5 Q3)
    assert profile("android-1.10").open_flags() == {"send_refusal_403": ("generic_failure", "treat_as_closed")}
    # documented or inferred flags never fork
    assert profile("android-1.9").open_flags() == {}
    assert profile("web").open_flags() == {}
    # delays, counts and texts are unknown too, but no verdict turns on them: assumed, not forked
    assert set(profile("ios-1.10").assumed_flags()) == {
        "reconnect_base_ms",
        "reconnect_cap_ms",
        "reconnect_max_attempts",
        "closed_banner",
    }


def test_reads_are_recorded_only_inside_a_recorder() -> None:
    ios = profile("ios-1.9")
    ios.flag("end_chat")
    with recording_reads() as reads:
        ios.flag(CALLBACK)
        with recording_reads() as inner:
            ios.flag("end_chat")
    assert reads == {("ios-1.9", CALLBACK), ("ios-1.9", "end_chat")}
    assert inner == {("ios-1.9", "end_chat")}


def test_a_run_that_never_reads_an_unknown_flag_does_not_fork() -> None:
    plan = ForkPlan(profile("ios-1.9"))
    assert plan.next() == ()
    consulted = consulted_unknowns(profile("ios-1.9"), {("ios-1.9", "end_chat")}, notes=[])
    plan.ran((), [a.flag for a in consulted], final=False)
    assert plan.next() is None


LEARNT_BY_CALLBACK = "app knows the conversation is closed (conversation-updated callback)"


def test_a_run_that_reads_an_unknown_flag_forks_once_per_other_value() -> None:
    ios = profile("ios-1.9")
    plan = ForkPlan(ios)
    assert plan.next() == ()
    consulted = consulted_unknowns(ios, {("ios-1.9", CALLBACK), ("ios-1.0", CALLBACK)}, notes=[LEARNT_BY_CALLBACK])
    assert [(a.flag, a.value, a.evidence) for a in consulted] == [(CALLBACK, True, "unknown")]
    plan.ran((), [CALLBACK], final=False)
    fork = plan.next()
    assert fork == ((CALLBACK, False),)
    plan.ran(fork, [CALLBACK], final=False)
    assert plan.next() is None


def test_forks_combine_the_flags_each_run_consulted() -> None:
    ios = profile("ios-1.3")
    plan = ForkPlan(ios)
    plan.ran(plan.next() or (), ["realtime_reconnect"], final=False)  # only the stream policy was exercised
    fork = plan.next()
    assert fork == (("realtime_reconnect", "backoff"),)
    plan.ran(fork, ["realtime_reconnect", CALLBACK], final=False)  # reconnecting, the app now hears the update
    assert plan.next() == (("conversation_updated_callback", False), ("realtime_reconnect", "backoff"))


def test_a_blocked_run_ends_the_plan() -> None:
    plan = ForkPlan(profile("ios-1.9"))
    plan.ran(plan.next() or (), [CALLBACK], final=True)
    assert plan.next() is None


def test_the_callback_counts_only_when_firing_it_told_the_app_of_a_close() -> None:
    reads = {("ios-1.9", CALLBACK)}  # read at every conversation update, e.g. when the rep joins
    assert consulted_unknowns(profile("ios-1.9"), reads, notes=["app knows the conversation is open"]) == []
    assert [a.flag for a in consulted_unknowns(profile("ios-1.9"), reads, notes=[LEARNT_BY_CALLBACK])] == [CALLBACK]
    # a run forked onto "does not fire" counts whatever it saw; so does a profile whose own value is "does not fire"
    assert [a.value for a in consulted_unknowns(profile("ios-1.9"), set(), notes=[], fixed=[CALLBACK])] == [True]
    silent = profile("ios-1.9").with_value(CALLBACK, False)
    assert [a.value for a in consulted_unknowns(silent, reads, notes=[])] == [False]


def test_the_stream_policy_counts_only_when_the_stream_went_down() -> None:
    ios = profile("ios-1.0")
    reads = {("ios-1.0", "realtime_reconnect")}  # read by every app when it is built
    assert consulted_unknowns(ios, reads, notes=["app opens the chat"]) == []
    down = consulted_unknowns(ios, reads, notes=["stream down; this SDK does not reconnect by itself"])
    assert [a.flag for a in down] == ["realtime_reconnect"]


def test_a_fork_runs_the_same_cell_and_seed_with_the_other_value() -> None:
    strategy = next(s for s in load_strategies() if s.name == "persist-until-closed-event")
    cell = Cell(profile("ios-1.0"), strategy, CLOSE_EVENT)
    fork = cell.assuming((("realtime_reconnect", "backoff"),))
    assert fork.id == cell.id
    assert fork.profile is not None
    assert fork.profile.flag("realtime_reconnect") == "backoff"
    # a reconnecting stream needs delays: the legacy profile's zeros give way to the values assumed for later iOS
    assert fork.profile.flag("reconnect_max_attempts") == 10
    assert fork.profile.capabilities["realtime_reconnect"].evidence == "unknown"
    assert fork.variant_json([{"flag": "realtime_reconnect"}])["assumptions"] == [{"flag": "realtime_reconnect"}]


def test_a_flag_name_with_digits_can_be_pinned() -> None:
    """send_refusal_403 was refused as "expected PROFILE.FLAG=VALUE": the pattern allowed no digits in a flag."""
    pinned = apply_pins(load_profiles(), ["android-1.10.send_refusal_403=treat_as_closed"])
    android = next(p for p in pinned if p.name == "android-1.10")
    assert android.flag("send_refusal_403") == "treat_as_closed"
    assert android.open_flags() == {}


def test_a_pin_fixes_the_flag_and_closes_its_axis() -> None:
    pinned = apply_pins(load_profiles(), ["ios-1.9.conversation_updated_callback=false"])
    ios = next(p for p in pinned if p.name == "ios-1.9")
    assert ios.flag(CALLBACK) is False
    assert ios.capabilities[CALLBACK].evidence == PINNED
    assert "pinned by --assume" in ios.capabilities[CALLBACK].source
    assert ios.open_flags() == {}
    assert [a.text for a in pins_of(pinned)] == ["ios-1.9.conversation_updated_callback=false"]
    selection = Selection.load(sdk_patterns=["ios-1.9"], pins=["ios-1.9.conversation_updated_callback=false"])
    assert selection.profiles[0].capabilities[CALLBACK].evidence == PINNED


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("ios-9.9.conversation_updated_callback=true", "no SDK profile 'ios-9.9'"),
        ("ios-1.9.no_such_flag=true", "no capability 'no_such_flag'"),
        ("ios-1.9.conversation_updated_callback=maybe", "got 'maybe'; allowed: true or false"),
        ("ios-1.9.realtime_reconnect=sometimes", "allowed: one of 'none', 'backoff', 'fibonacci'"),
        ("ios-1.9.reconnect_max_attempts=-1", "allowed: an integer >= 0"),
        ("conversation_updated_callback", "expected PROFILE.FLAG=VALUE"),
    ],
)
def test_a_bad_pin_is_a_user_error(pin: str, message: str) -> None:
    with pytest.raises(UserError, match=r"^--assume ") as info:
        apply_pins(load_profiles(), [pin])
    assert message in str(info.value)


def test_the_pin_file_names_profiles_as_tables(tmp_path: Path) -> None:
    path = tmp_path / "pins.toml"
    path.write_text('["ios-1.9"]\nconversation_updated_callback = true\nreconnect_max_attempts = 3\n', "utf-8")
    assert pins_from_file(path) == ["ios-1.9.conversation_updated_callback=true", "ios-1.9.reconnect_max_attempts=3"]
    path.write_text('["ios-1.9"]\nconversation_updated_callback = "yes"\n', "utf-8")
    with pytest.raises(UserError, match=re.escape("key 'ios-1.9.conversation_updated_callback': got 'yes'")):
        pins_from_file(path)
    path.write_text('ios = "x"\n', "utf-8")
    with pytest.raises(UserError, match="must be a table of flags"):
        pins_from_file(path)
