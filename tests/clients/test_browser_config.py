"""The browser adapter's TOML: what a team writes, and the one-line errors a mistake gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.clients.adapter import Capability, ClientError
from harness.clients.browser import BrowserAdapter
from harness.clients.browser_config import load_browser_config
from harness.clients.demo_app import DEMO_BROWSER_TOML, demo_browser_config
from harness.errors import UserError

MINIMAL = """
url = "https://chat.example.test/support"
[selectors]
input = "#composer"
messages = ".message"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chat.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_minimal_description_can_launch_send_reopen_and_relaunch(tmp_path: Path) -> None:
    config = load_browser_config(write(tmp_path, MINIMAL))
    assert config.name == "chat" and config.reopen == "reload" and config.relaunch == "restart"
    assert config.executable == "/usr/bin/chromium" and config.timeout_s == 10.0
    assert config.capabilities == {
        Capability.LAUNCH,
        Capability.SEND,
        Capability.REOPEN_CHAT,
        Capability.RELAUNCH,
        Capability.READ_COMPOSER,
        Capability.READ_MESSAGES,
    }


def test_the_shipped_demo_description_reads_everything() -> None:
    config = load_browser_config(DEMO_BROWSER_TOML)
    assert config.capabilities == frozenset(Capability)
    pointed = demo_browser_config("http://127.0.0.1:9000", "persist-forever")
    assert pointed.url == "http://127.0.0.1:9000/demo/?policy=persist-forever"
    assert pointed.name == "demo chat (persist-forever)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("url = 'https://x.test'\n[selectors\n", "not valid TOML"),
        ("[selectors]\ninput = '#i'\nmessages = '.m'\n", "key 'url': required, a non-empty string"),
        ("url = 'ftp://x.test'\n[selectors]\ninput = '#i'\nmessages = '.m'\n", "key 'url': must be an http"),
        ("url = 'https://x.test'\n", "key 'selectors': required table [selectors] is missing"),
        ("url = 'https://x.test'\n[selectors]\ninput = '#i'\n", "key 'selectors.messages': required, a CSS selector"),
        (MINIMAL + "submit = '#go'\n", "key 'selectors.submit': unknown key; allowed: closed_banner"),
        (MINIMAL + "[actions]\nreopen = 'refresh'\n", "'actions.reopen': 'refresh' is not allowed; allowed: reload"),
        (MINIMAL + "[page]\nsubject = 'data-s'\n", "key 'page.element': required when [page] is given"),
        (MINIMAL + "[browser]\ntimeout_s = 0\n", "key 'browser.timeout_s': must be a positive number, got 0"),
        (MINIMAL + "[browser]\nargs = '--x'\n", "key 'browser.args': must be a list of strings"),
        (MINIMAL + "[browser]\nignore_https_errors = 'yes'\n", "key 'browser.ignore_https_errors': must be true"),
        ("selector = 1\n" + MINIMAL, "key 'selector': unknown key"),
    ],
)
def test_a_bad_description_names_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as caught:
        load_browser_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)


def test_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot be read"):
        load_browser_config(tmp_path / "nope.toml")


@pytest.mark.anyio
async def test_a_browser_that_is_not_installed_is_named(tmp_path: Path) -> None:
    config = load_browser_config(write(tmp_path, MINIMAL + "[browser]\nexecutable = '/nonexistent/chrome'\n"))
    async with BrowserAdapter(config) as app:
        with pytest.raises(ClientError, match=r"browser.executable '/nonexistent/chrome' is not an executable file"):
            await app.launch()


@pytest.mark.anyio
async def test_reading_before_launch_is_a_clear_error(tmp_path: Path) -> None:
    async with BrowserAdapter(load_browser_config(write(tmp_path, MINIMAL))) as app:
        with pytest.raises(ClientError, match="the page is not open"):
            await app.settle()
