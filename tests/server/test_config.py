"""Deployment settings and server configuration: defaults, validation, TOML loading with file + key in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.paths import fixtures_dir
from harness.server.config import ConfigError, DeploymentSettings, ServerConfig, SettingsError
from harness.wire import is_valid_org_id


def test_default_config_has_a_valid_org_and_an_api_and_an_in_app_deployment() -> None:
    """§11.8: the API deployment (v2 custom clients) comes first; the In-App one serves the v1 SDKs."""
    config = ServerConfig.default()
    assert is_valid_org_id(config.org_id) and len(config.org_id) == 18
    assert list(config.deployments) == ["MIAW_Harness", "MIAW_Harness_InApp"]
    assert config.deployments["MIAW_Harness_InApp"] == DeploymentSettings(deployment_type="InApp")
    settings = config.deployments["MIAW_Harness"]
    assert settings == DeploymentSettings()
    assert (settings.channel_type, settings.session_based_chat, settings.emit_close_event_on_sbc_end) == (
        "EmbeddedInApp",
        False,
        False,  # miaw-api.md §11.2
    )
    assert settings.closed_send_status == 403  # miaw-api.md §11.1
    assert ServerConfig.default().signing_key != config.signing_key


def test_updated_returns_a_copy_and_leaves_the_original() -> None:
    base = DeploymentSettings()
    changed = base.updated({"session_based_chat": True, "opt_out_keywords": [" STOP "], "auto_accept": None})
    assert changed.session_based_chat and changed.opt_out_keywords == ["STOP"] and changed.auto_accept is None
    assert not base.session_based_chat
    assert changed.to_json()["opt_out_keywords"] == ["STOP"]


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"session_based_chat": True, "user_verification": True}, "session_based_chat"),
        ({"session_based_chat": True, "channel_type": "LINE"}, "session_based_chat"),
        ({"inactivity_timeout_s": 1801}, "inactivity_timeout_s"),
        ({"token_ttl_s": 0}, "token_ttl_s"),
        ({"token_ttl_s": 1.5}, "token_ttl_s"),
        ({"greeting": 5}, "greeting"),
        ({"prechat_fields": [{"name": "x", "type": "Date"}]}, "prechat_fields[0].type"),
        ({"prechat_fields": [{"name": "x", "required": "yes"}]}, "prechat_fields[0].required"),
    ],
)
def test_bad_settings_name_their_key(changes: dict[str, object], key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        DeploymentSettings().updated(changes)
    assert caught.value.key == key


@pytest.mark.parametrize("path", sorted((fixtures_dir() / "deployments").glob("*.toml")), ids=lambda p: p.name)
def test_bundled_deployment_configs_load(path: Path) -> None:
    config = ServerConfig.from_toml(path)
    assert config.deployments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('org_id = "00Dnope"', "org_id: not a 15- or 18-character org id"),
        ("org_id = [", "not valid TOML"),
        ('colour = "blue"', "colour: unknown key"),
        ("deployments = 3", "deployments: must be a table"),
        ("[deployments.A]\nsession_based_chat = 1", "deployments.A.session_based_chat: must be true or false"),
        (
            '[deployments.A]\nsession_based_chat = true\nchannel_type = "SMS"',
            "deployments.A.session_based_chat: Session-Based Chat applies only",
        ),
        ("[deployments.A]\nprechat_fields = [{ type = 'Text' }]", "deployments.A.prechat_fields[0].name"),
        ("clock_start_ms = -5", "clock_start_ms"),
        ("signing_key = 5", "signing_key"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        ServerConfig.from_toml(path)
    assert isinstance(caught.value, UserError)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


def test_missing_config_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        ServerConfig.from_toml(tmp_path / "absent.toml")


def test_toml_none_means_no_auto_accept(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[deployments.D]\nauto_accept = "none"\ngreeting = "hi"\n')
    config = ServerConfig.from_toml(path)
    assert config.deployments["D"].auto_accept is None and config.default_deployment == "D"
