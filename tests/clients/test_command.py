"""The command adapter drives a scripted fake device (a real v2 client of the loopback runtime) through commands."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from harness.clients.adapter import Capability, ClientAdapter, ClientError
from harness.clients.command import CommandAdapter, load_command_config, parse_state
from harness.errors import UserError
from harness.run.control import ControlClient
from harness.server import RunningServer

FAKE_DEVICE = Path(__file__).with_name("fake_device.py")
REPORTS = '["banner", "new_conversation_button", "message_state", "message_ids", "conversation_id", "subject"]'


def device_toml(tmp_path: Path, base_url: str, policy: str, *, extra: str = "") -> Path:
    run = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_DEVICE))} device.json {base_url} {policy}"
    actions = ("launch", "send", "tap_new_conversation", "reopen_chat", "relaunch", "state")
    lines = [f"name = 'fake {policy}'", "timeout_s = 30", f"reports = {REPORTS}", extra, "[commands]"]
    lines += [f'{action} = "{run} {action}"' for action in actions]
    path = tmp_path / "device.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.anyio
async def test_pick_first_open_device_recovers_with_the_new_conversation_button(
    tmp_path: Path, demo_server: RunningServer, control: ControlClient
) -> None:
    app = CommandAdapter(load_command_config(device_toml(tmp_path, demo_server.base_url, "pick-first-open-from-list")))
    assert isinstance(app, ClientAdapter)
    assert Capability.EXACT_SETTLE not in app.capabilities and Capability.READ_SUBJECT in app.capabilities
    await app.launch()
    assert app.ui.composer == "enabled" and app.subject and app.conversation_id
    sent = await app.send("Where is my order?")
    await app.settle()
    first = app.conversation_id
    assert first is not None
    truth = await control.conversation(first)
    assert truth is not None and sent.id in {m["id"] for m in truth["messages"]}
    await control.send_message(first, "Agent", "Let me look that up")
    await app.settle()
    assert [(m.text, m.from_role) for m in app.ui.messages] == [
        ("Where is my order?", "EndUser"),
        ("Let me look that up", "Agent"),
    ]

    await control.end_session(first, by="Agent")
    await app.settle()
    assert app.ui.composer == "read_only" and app.ui.banner == "This conversation has ended"
    assert app.ui.new_conversation_button
    refused = await app.send("Hello?")
    assert refused.state == "failed"

    assert await app.tap_new_conversation()
    assert app.conversation_id != first and app.ui.composer == "enabled"
    again = await app.send("Hello again")
    truth = await control.conversation(app.conversation_id)
    assert truth is not None and truth["state"] == "OPEN" and again.id in {m["id"] for m in truth["messages"]}


@pytest.mark.anyio
async def test_persist_forever_device_stays_blocked_after_relaunch(
    tmp_path: Path, demo_server: RunningServer, control: ControlClient
) -> None:
    app = CommandAdapter(load_command_config(device_toml(tmp_path, demo_server.base_url, "persist-forever")))
    await app.launch()
    await app.send("Hi")
    closed = app.conversation_id
    assert closed is not None
    await control.end_session(closed, by="Agent")
    await app.relaunch()
    assert app.conversation_id == closed and app.ui.composer == "read_only"
    assert not app.ui.new_conversation_button
    assert not await app.tap_new_conversation()


def write_toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "client.toml"
    path.write_text(body, encoding="utf-8")
    return path


def scripted(tmp_path: Path, state: str = 'echo \'{"composer": "enabled", "messages": []}\'', **more: str) -> Path:
    commands = {"launch": "true", "send": "true", "state": state, **more}
    lines = ["timeout_s = 5", "[commands]", *(f"{k} = {json.dumps(v)}" for k, v in commands.items())]
    return write_toml(tmp_path, "\n".join(lines) + "\n")


@pytest.mark.anyio
async def test_a_command_that_fails_is_named_with_its_status_and_last_error_line(tmp_path: Path) -> None:
    app = CommandAdapter(
        load_command_config(scripted(tmp_path, launch="echo starting; echo 'adb: no devices' >&2; exit 3"))
    )
    with pytest.raises(ClientError, match=r"command 'launch' exited with status 3: adb: no devices$"):
        await app.launch()


@pytest.mark.anyio
async def test_a_command_past_its_timeout_is_ended_with_everything_it_started(tmp_path: Path) -> None:
    marker = tmp_path / "survived"
    path = scripted(tmp_path, launch=f"sleep 30; touch {marker}")
    text = path.read_text().replace("timeout_s = 5", "timeout_s = 0.3")
    app = CommandAdapter(load_command_config(write_toml(tmp_path, text)))
    with pytest.raises(ClientError, match=r"command 'launch' did not finish within 0.3s: sleep 30"):
        await app.launch()
    assert not marker.exists()


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("not json", "output is not JSON"),
        ("[1, 2]", "output must be a JSON object, got list"),
        ('{"messages": []}', "composer must be one of enabled, read_only, hidden, got None"),
        ('{"composer": "open", "messages": []}', "got 'open'"),
        ('{"composer": "enabled"}', "messages must be a list"),
        ('{"composer": "enabled", "messages": [{"text": 1}]}', "messages[0].text must be a string"),
        ('{"composer": "enabled", "messages": [{"text": "a", "state": "lost"}]}', "messages[0].state must be one of"),
        ('{"composer": "enabled", "messages": [], "new_conversation_button": "yes"}', "must be true or false"),
        ('{"composer": "enabled", "messages": [], "last_event_id": "x"}', "last_event_id must be an event id"),
    ],
)
async def test_a_bad_screen_is_a_clear_error(tmp_path: Path, output: str, expected: str) -> None:
    app = CommandAdapter(load_command_config(scripted(tmp_path, state=f"printf '%s' {shlex.quote(output)}")))
    with pytest.raises(ClientError, match=r"command 'state' printed a bad screen: ") as caught:
        await app.launch()
    assert expected in str(caught.value)


def test_promised_fields_must_be_reported() -> None:
    with pytest.raises(ValueError, match="'subject' is missing"):
        parse_state('{"composer": "enabled", "messages": []}', frozenset({"subject"}))
    with pytest.raises(ValueError, match="every message needs 'id'"):
        parse_state('{"composer": "enabled", "messages": [{"text": "a"}]}', frozenset({"message_ids"}))
    state = parse_state('{"composer": "hidden", "messages": [], "last_event_id": "12", "subject": "s"}')
    assert state.last_event_id == 12 and state.subject == "s" and state.ui.composer == "hidden"


@pytest.mark.anyio
async def test_the_text_reaches_the_command_quoted_and_in_the_environment(tmp_path: Path) -> None:
    sent = tmp_path / "sent.txt"
    path = scripted(tmp_path, send=f'printf "%s|%s" {{text}} "$MIAW_TEXT" > {sent}')
    app = CommandAdapter(load_command_config(path))
    await app.launch()
    await app.send("it's $HOME; `rm -rf`")
    assert sent.read_text() == "it's $HOME; `rm -rf`|it's $HOME; `rm -rf`"


@pytest.mark.anyio
async def test_an_action_without_a_command_is_not_possible(tmp_path: Path) -> None:
    app = CommandAdapter(load_command_config(scripted(tmp_path)))
    assert Capability.RELAUNCH not in app.capabilities
    with pytest.raises(ClientError, match="cannot relaunch: no \\[commands\\] relaunch in its TOML"):
        await app.relaunch()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[commands]\nlaunch = 'x'\nsend = 'y'\n", "key 'commands.state': required, a shell command"),
        ("name = 'x'\n", "key 'commands': required table [commands] is missing"),
        ("reports = ['colour']\n[commands]\nlaunch='a'\nsend='b'\nstate='c'\n", "key 'reports': got ['colour']"),
        ("workdir = 'nope'\n[commands]\nlaunch='a'\nsend='b'\nstate='c'\n", "key 'workdir':"),
        ("timeout_s = -1\n[commands]\nlaunch='a'\nsend='b'\nstate='c'\n", "key 'timeout_s': must be a positive"),
        ("[commands]\nlaunch='a'\nsend='b'\nstate='c'\nswipe='d'\n", "key 'commands.swipe': unknown key"),
        ("[env]\nA = 1\n[commands]\nlaunch='a'\nsend='b'\nstate='c'\n", "key 'env': must be a table of strings"),
    ],
)
def test_a_bad_command_file_names_the_key(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(UserError, match=r"client\.toml: ") as caught:
        load_command_config(write_toml(tmp_path, body))
    assert expected in str(caught.value)
