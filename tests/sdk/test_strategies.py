"""App strategies as data: the bundled set, selection, platform pairing and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.sdk.datafile import DataFileError
from harness.sdk.profiles import load_profiles
from harness.sdk.strategies import FailedSendPolicy, IdPolicy, compatible, load_strategies, select_strategies

GOOD = """name = "my-app"
description = "Ours"
id_policy = "persist-forever"
on_failed_send = "show-error"
new_conversation_button = true
platforms = ["ios"]
source = "our code"
"""


def test_bundled_strategies() -> None:
    strategies = load_strategies()
    assert [s.name for s in strategies] == sorted(p.value for p in IdPolicy)
    for s in strategies:
        assert s.id_policy.value == s.name
        assert isinstance(s.on_failed_send, FailedSendPolicy)
        assert s.source.strip() and s.description.strip()


@pytest.mark.parametrize(
    ("profile", "strategy", "expected"),
    [
        ("web", "web-storage", True),
        ("web", "persist-forever", False),
        ("android-1.10", "web-storage", False),
        ("android-1.10", "persist-forever", True),
        ("ios-1.0", "new-per-launch", True),
    ],
)
def test_compatible(profile: str, strategy: str, expected: bool) -> None:
    profiles = {p.name: p for p in load_profiles()}
    strategies = {s.name: s for s in load_strategies()}
    assert compatible(profiles[profile], strategies[strategy]) is expected


def test_every_bundled_profile_pairs_with_some_strategy() -> None:
    strategies = load_strategies()
    for profile in load_profiles():
        assert any(compatible(profile, s) for s in strategies), profile.name


def test_select_strategies() -> None:
    picked = select_strategies(load_strategies(), ["persist-*"])
    assert [s.name for s in picked] == [
        "persist-forever",
        "persist-until-closed-event",
        "persist-until-participants-zero",
    ]
    with pytest.raises(UserError, match="no app strategy matches 'forever'"):
        select_strategies(load_strategies(), ["forever"])


def test_extra_dir_adds_a_strategy(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(GOOD)
    (mine,) = select_strategies(load_strategies([tmp_path]), ["my-app"])
    assert mine.id_policy is IdPolicy.PERSIST_FOREVER
    assert mine.on_failed_send is FailedSendPolicy.SHOW_ERROR
    assert mine.platforms == ("ios",)
    assert mine.hide_end_chat is False


@pytest.mark.parametrize(
    ("old", "new", "key", "allowed"),
    [
        ('id_policy = "persist-forever"', 'id_policy = "forever"', "id_policy", "allowed: new-per-launch"),
        ('on_failed_send = "show-error"', 'on_failed_send = "cry"', "on_failed_send", "retry-same, show-error"),
        ("new_conversation_button = true", 'new_conversation_button = "yes"', "new_conversation_button", "true or"),
        ('platforms = ["ios"]', 'platforms = ["symbian"]', "platforms", "ios, android, web"),
        ('platforms = ["ios"]', "platforms = []", "platforms", "non-empty list"),
        ('source = "our code"', "", "source", "non-empty string"),
        ('source = "our code"', 'source = "x"\nretries = 3', "retries", "allowed: description, hide_end_chat"),
    ],
)
def test_bad_strategy_file(tmp_path: Path, old: str, new: str, key: str, allowed: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(DataFileError) as caught:
        load_strategies([tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{path}: key '{key}'")
    assert allowed in message
