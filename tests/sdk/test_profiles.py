"""SDK profiles as data: the bundled set, selection, and errors that name the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.sdk.datafile import DataFileError
from harness.sdk.profiles import CAPABILITIES, load_profiles, select_profiles

BUNDLED = [
    "android-1.0", "android-1.3", "android-1.7", "android-1.8", "android-1.9", "android-1.10", "android-1.11",
    "ios-1.0", "ios-1.3", "ios-1.7", "ios-1.8", "ios-1.9", "ios-1.10", "ios-1.11",
    "web",
]  # fmt: skip

GOOD_CAPS = "\n".join(
    f'{key} = {{ value = {value}, evidence = "inferred", source = "test" }}'
    for key, value in {
        "exposes_conversation_status": "true",
        "typed_close_entry": "true",
        "session_status_entries": "true",
        "readonly_closed_view": "true",
        "auto_new_conversation": "true",
        "create_conversation_api": '"explicit"',
        "end_chat": "true",
        "hide_end_chat": "true",
        "close_conversation_api": "true",
        "sdk_persists_conversation_id": "false",
        "realtime_reconnect": '"backoff"',
        "reconnect_base_ms": "500",
        "reconnect_cap_ms": "8000",
        "reconnect_max_attempts": "4",
        "closed_send_ui": '"no_input"',
        "closed_banner": '"Closed"',
        "conversation_updated_callback": "true",
        "list_conversations": "true",
        "unknown_entries": '"unknown_entry"',
        "rest_api": '"v1"',
        "send_refusal_400": '"generic_failure"',
        "send_refusal_401": '"renew_and_retry"',
        "send_refusal_403": '"generic_failure"',
    }.items()
)
GOOD = f"""name = "android-2.0"
platform = "android"
version = "2.0.0"
release_date = 2027-01-01
[capabilities]
{GOOD_CAPS}
"""


def test_bundled_profiles_sorted_by_platform_then_version() -> None:
    assert [p.name for p in load_profiles()] == BUNDLED


def test_every_bundled_capability_has_evidence_and_source() -> None:
    for profile in load_profiles():
        assert list(profile.capabilities) == list(CAPABILITIES)
        for key, cap in profile.capabilities.items():
            assert CAPABILITIES[key].accepts(cap.value), (profile.name, key)
            assert cap.evidence in ("documented", "inferred", "unknown")
            assert cap.source.strip()


@pytest.mark.parametrize(
    ("name", "flag", "value"),
    [
        ("android-1.9", "exposes_conversation_status", False),
        ("android-1.10", "exposes_conversation_status", True),
        ("ios-1.0", "exposes_conversation_status", True),
        ("ios-1.9", "typed_close_entry", False),
        ("ios-1.10", "typed_close_entry", True),
        ("android-1.7", "end_chat", False),
        ("android-1.8", "end_chat", True),
        ("android-1.8", "create_conversation_api", "on_first_send"),
        ("android-1.9", "create_conversation_api", "explicit"),
        ("android-1.9", "close_conversation_api", False),
        ("android-1.10", "readonly_closed_view", True),
        ("android-1.3", "unknown_entries", "dropped"),
        ("android-1.7", "unknown_entries", "unknown_entry"),
        ("web", "realtime_reconnect", "backoff"),
        ("web", "closed_send_ui", "disabled"),
    ],
)
def test_flags_follow_the_behaviour_matrix(name: str, flag: str, value: object) -> None:
    (profile,) = select_profiles(load_profiles(), [name])
    assert profile.flag(flag) == value


def test_flag_names_a_missing_capability() -> None:
    (profile,) = select_profiles(load_profiles(), ["web"])
    with pytest.raises(KeyError, match="web has no capability 'warp_drive'"):
        profile.flag("warp_drive")


def test_version_key() -> None:
    (profile,) = select_profiles(load_profiles(), ["ios-1.10"])
    assert profile.version_key == (1, 10, 0)
    assert profile.release_date == "2025-10-28"


@pytest.mark.parametrize(
    ("patterns", "names"),
    [
        (["ios-1.1*"], ["ios-1.10", "ios-1.11"]),
        (["web", "android-1.10"], ["android-1.10", "web"]),
        (["*"], BUNDLED),
    ],
)
def test_select_profiles(patterns: list[str], names: list[str]) -> None:
    assert [p.name for p in select_profiles(load_profiles(), patterns)] == names


def test_select_profiles_refuses_a_pattern_matching_nothing() -> None:
    with pytest.raises(UserError, match=r"no SDK profile matches 'ios-9'; known profiles: android-1\.0"):
        select_profiles(load_profiles(), ["ios-1.10", "ios-9"])


def test_extra_dir_adds_a_profile(tmp_path: Path) -> None:
    (tmp_path / "android-2.0.toml").write_text(GOOD)
    profiles = load_profiles([tmp_path])
    assert [p.name for p in profiles if p.platform == "android"][-1] == "android-2.0"
    (added,) = select_profiles(profiles, ["android-2.0"])
    assert added.flag("reconnect_base_ms") == 500
    assert added.release_date == "2027-01-01"


@pytest.mark.parametrize(
    ("change", "key", "allowed"),
    [
        (("platform = \"android\"", "platform = \"tizen\""), "platform", "allowed: ios, android, web"),
        (("version = \"2.0.0\"", "version = \"two\""), "version", "dotted numbers"),
        (("release_date = 2027-01-01", "release_date = \"soon\""), "release_date", "ISO date"),
        (("name = \"android-2.0\"\n", ""), "name", "non-empty string"),
        (("[capabilities]", "colour = \"red\"\n[capabilities]"), "colour", "allowed: capabilities, description"),
        (("end_chat = { value = true", "end_chat = { value = \"yes\""), "capabilities.end_chat.value",
         "true or false"),
        (("realtime_reconnect = { value = \"backoff\"", "realtime_reconnect = { value = \"always\""),
         "capabilities.realtime_reconnect.value", "one of 'none', 'backoff', 'fibonacci'"),
        (("reconnect_base_ms = { value = 500", "reconnect_base_ms = { value = -1"),
         "capabilities.reconnect_base_ms.value", "an integer >= 0"),
        (("end_chat = { value = true, evidence = \"inferred\"", "end_chat = { value = true, evidence = \"rumour\""),
         "evidence", "allowed: documented, inferred, unknown"),
        (("end_chat = { value = true, evidence = \"inferred\", source = \"test\" }",
          "end_chat = { value = true, evidence = \"inferred\", source = \"\" }"),
         "capabilities.end_chat.source", "non-empty string"),
        (("[capabilities]", "[capabilities]\nwarp_drive = { value = true, evidence = \"unknown\", source = \"x\" }"),
         "capabilities.warp_drive", "allowed: exposes_conversation_status"),
        (("\nend_chat = {", "\n# end_chat = {"), "capabilities.end_chat", "missing"),
        (("[capabilities]", "[capabilities"), "<file>", "not valid TOML"),
    ],
)  # fmt: skip
def test_bad_profile_file_names_file_key_and_allowed(
    tmp_path: Path, change: tuple[str, str], key: str, allowed: str
) -> None:
    old, new = change
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(DataFileError) as caught:
        load_profiles([tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{path}: key '")
    assert key in message
    assert allowed in message


def test_missing_extra_dir_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a directory"):
        load_profiles([tmp_path / "nope"])
