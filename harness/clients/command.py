"""The command adapter: every action is a shell command a team supplies (Appium, Maestro, XCUITest, adb...).

    name = "android emulator"
    timeout_s = 60                       # per command
    workdir = "device"                   # relative to this file (default: the file's folder)
    reports = ["banner", "new_conversation_button", "message_state", "message_ids", "conversation_id", "subject"]

    [commands]
    launch = "maestro test launch.yaml"
    send = "maestro test send.yaml -e TEXT={text}"   # {text}: the message, shell-quoted; also in $MIAW_TEXT
    tap_new_conversation = "maestro test new-conversation.yaml"
    reopen_chat = "maestro test reopen.yaml"
    relaunch = "adb shell am force-stop com.example.app && maestro test launch.yaml"
    settle = "maestro test wait-idle.yaml"            # optional: wait until the app is idle
    reset = "adb shell pm clear com.example.app"      # optional: a fresh install, before each scenario of a run
    state = "python3 read_screen.py"                  # required: print the screen as one JSON object

    [env]                                             # optional: extra environment for every command
    ANDROID_SERIAL = "emulator-5554"

The `state` command prints {"composer": "enabled" | "read_only" | "hidden", "messages": [{"text", "from_role",
"state", "id"}], "banner": str | null, "new_conversation_button": bool, "conversation_id", "subject",
"last_event_id"}; `composer` and `messages` are required, the rest as `reports` promises. A command that exits
non-zero, outlives `timeout_s` or prints something else is a `ClientError` naming the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.clients.adapter import (
    COMPOSER_STATES,
    MESSAGE_STATES,
    Capability,
    ClientError,
    ClientMessage,
    ClientUi,
    Composer,
    MessageState,
    Recorder,
    usable_capabilities,
)
from harness.clients.toml_fields import DataFileError, load_table, positive_number, required_str, table
from harness.sdk.app import EventWatermark
from harness.timeline import Timeline

__all__ = ["CommandAdapter", "CommandClientConfig", "load_command_config", "parse_state"]

ACTIONS = ("reset", "launch", "send", "tap_new_conversation", "reopen_chat", "relaunch", "settle", "state")
REPORTS: dict[str, Capability] = {
    "banner": Capability.READ_BANNER,
    "new_conversation_button": Capability.READ_NEW_CONVERSATION_BUTTON,
    "message_state": Capability.READ_MESSAGE_STATE,
    "message_ids": Capability.READ_MESSAGE_IDS,
    "conversation_id": Capability.READ_CONVERSATION_ID,
    "subject": Capability.READ_SUBJECT,
    "last_event_id": Capability.EXACT_SETTLE,
}
_ACTION_CAPS = {
    "launch": Capability.LAUNCH,
    "send": Capability.SEND,
    "tap_new_conversation": Capability.TAP_NEW_CONVERSATION,
    "reopen_chat": Capability.REOPEN_CHAT,
    "relaunch": Capability.RELAUNCH,
}
_STDERR_TAIL = 300


@dataclass(frozen=True, slots=True)
class CommandClientConfig:
    name: str
    commands: dict[str, str]
    workdir: Path
    reports: frozenset[str] = frozenset()
    env: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    settle_timeout_s: float = 30.0
    poll_s: float = 0.2
    path: Path | None = None

    @property
    def capabilities(self) -> frozenset[Capability]:
        caps = {Capability.READ_COMPOSER, Capability.READ_MESSAGES}
        caps |= {cap for action, cap in _ACTION_CAPS.items() if action in self.commands}
        caps |= {REPORTS[r] for r in self.reports}
        if Capability.EXACT_SETTLE in caps and "subject" not in self.reports:
            caps.discard(Capability.EXACT_SETTLE)  # the runtime's watermark is per subject
        return frozenset(caps)


def parse_command_config(path: Path, data: dict[str, Any]) -> CommandClientConfig:
    commands_table = table(path, data, "commands", ACTIONS, required=True)
    commands = {key: required_str(path, commands_table, key, "commands.") for key in commands_table}
    for needed in ("launch", "send", "state"):
        if needed not in commands:
            raise DataFileError(path, f"commands.{needed}", "required, a shell command")
    reports = data.get("reports", [])
    if not isinstance(reports, list) or not all(isinstance(r, str) and r in REPORTS for r in reports):
        raise DataFileError(path, "reports", f"got {reports!r}; allowed: a list of {', '.join(REPORTS)}")
    env_table = data.get("env", {})
    if not isinstance(env_table, dict) or not all(isinstance(v, str) for v in env_table.values()):
        raise DataFileError(path, "env", "must be a table of strings")
    raw_workdir = data.get("workdir", ".")
    if not isinstance(raw_workdir, str):
        raise DataFileError(path, "workdir", "must be a folder path (a string)")
    workdir = (path.parent / raw_workdir).resolve()
    if not workdir.is_dir():
        raise DataFileError(path, "workdir", f"{workdir} is not a folder")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name:
        raise DataFileError(path, "name", "must be a non-empty string")
    return CommandClientConfig(
        name=name,
        commands=commands,
        workdir=workdir,
        reports=frozenset(reports),
        env=dict(env_table),
        timeout_s=positive_number(path, data, "timeout_s", 60.0),
        settle_timeout_s=positive_number(path, data, "settle_timeout_s", 30.0),
        poll_s=positive_number(path, data, "poll_s", 0.2),
        path=path,
    )


def load_command_config(path: Path) -> CommandClientConfig:
    known = ("name", "timeout_s", "settle_timeout_s", "poll_s", "workdir", "reports", "commands", "env")
    return parse_command_config(path, load_table(path, known))


@dataclass(frozen=True, slots=True)
class ScreenState:
    ui: ClientUi
    conversation_id: str | None
    subject: str | None
    last_event_id: int | None


def parse_state(raw: str, reports: frozenset[str] = frozenset()) -> ScreenState:
    """The `state` command's output; ValueError says what is wrong with it."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"output is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"output must be a JSON object, got {type(data).__name__}")
    composer: Composer = _choice(data.get("composer"), COMPOSER_STATES, "composer")
    messages_raw = data.get("messages")
    if not isinstance(messages_raw, list):
        raise ValueError(f"messages must be a list, got {messages_raw!r}")
    per_message = {"message_state": "state", "message_ids": "id"}
    for key in sorted(reports):
        field_name = per_message.get(key)
        if field_name is not None:
            if any(isinstance(m, dict) and field_name not in m for m in messages_raw):
                raise ValueError(f"every message needs '{field_name}' (reports lists {key})")
        elif key not in data:
            raise ValueError(f"'{key}' is missing (reports lists it)")
    cid = _optional_text(data, "conversation_id")
    messages = [_message(m, n, cid) for n, m in enumerate(messages_raw)]
    banner = _optional_text(data, "banner")
    button = data.get("new_conversation_button", False)
    if not isinstance(button, bool):
        raise ValueError(f"new_conversation_button must be true or false, got {button!r}")
    last = data.get("last_event_id")
    if last is not None and (isinstance(last, bool) or not isinstance(last, int | str) or not str(last).isdigit()):
        raise ValueError(f"last_event_id must be an event id (a whole number), got {last!r}")
    ui = ClientUi(composer=composer, banner=banner, new_conversation_button=button, messages=messages)
    return ScreenState(ui, cid, _optional_text(data, "subject"), None if last is None else int(last))


def _choice(value: object, allowed: tuple[str, ...], key: str) -> Any:
    if value not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string or null, got {value!r}")
    return value or None


def _message(raw: object, n: int, cid: str | None) -> ClientMessage:
    if not isinstance(raw, dict):
        raise ValueError(f"messages[{n}] must be an object, got {raw!r}")
    text = raw.get("text")
    if not isinstance(text, str):
        raise ValueError(f"messages[{n}].text must be a string, got {text!r}")
    state: MessageState = _choice(raw.get("state", "sent"), MESSAGE_STATES, f"messages[{n}].state")
    role = raw.get("from_role", "Unknown")
    ident = raw.get("id", "")
    if not isinstance(role, str) or not isinstance(ident, str):
        raise ValueError(f"messages[{n}]: from_role and id must be strings")
    return ClientMessage(ident, text, state, role, cid)


class CommandAdapter:
    """An app driven by shell commands; each action runs one, and the screen is read with the `state` command."""

    def __init__(
        self, config: CommandClientConfig, *, control: EventWatermark | None = None, timeline: Timeline | None = None
    ) -> None:
        self.config = config
        self.control = control
        self.record = Recorder(timeline)
        self.ui = ClientUi()
        self.conversation_id: str | None = None
        self.subject: str | None = None
        self.last_event_id: int | None = None

    @property
    def name(self) -> str:
        return f"command client '{self.config.name}'"

    @property
    def capabilities(self) -> frozenset[Capability]:
        return usable_capabilities(self.config.capabilities, has_control=self.control is not None)

    # -- running commands -------------------------------------------------------------------------------------------
    async def run(self, action: str, text: str | None = None) -> str:
        """Run the command for `action`; its standard output, or a ClientError saying what went wrong."""
        template = self.config.commands.get(action)
        if template is None:
            raise ClientError(f"{self.name} cannot {action.replace('_', ' ')}: no [commands] {action} in its TOML")
        command = template.replace("{text}", shlex.quote(text)) if text is not None else template
        env = {**os.environ, **self.config.env, "MIAW_ACTION": action}
        if text is not None:
            env["MIAW_TEXT"] = text
        process = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self.config.workdir,
            env=env,
            start_new_session=True,  # its own process group: a timeout ends the command and all it started
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), self.config.timeout_s)
        except TimeoutError:
            await _kill_group(process)
            raise ClientError(
                f"{self.name}: command '{action}' did not finish within {self.config.timeout_s:g}s: {command}"
            ) from None
        if process.returncode != 0:
            tail = err.decode(errors="replace").strip()[-_STDERR_TAIL:].strip().splitlines()
            why = f": {tail[-1]}" if tail else ""
            raise ClientError(f"{self.name}: command '{action}' exited with status {process.returncode}{why}")
        return out.decode(errors="replace")

    async def read_state(self) -> ScreenState:
        out = await self.run("state")
        try:
            state = parse_state(out, self.config.reports)
        except ValueError as exc:
            raise ClientError(f"{self.name}: command 'state' printed a bad screen: {exc}") from None
        self.ui = state.ui
        self.conversation_id = state.conversation_id or self.conversation_id
        self.subject = state.subject or self.subject
        self.last_event_id = state.last_event_id
        self.record.screen(self.ui)
        return state

    # -- actions ----------------------------------------------------------------------------------------------------
    async def reset(self) -> None:
        """Clear the app's data (the team's `reset` command), so that a scenario starts from a fresh install."""
        if "reset" in self.config.commands:
            self.record.act("clear the app's data")
            await self.run("reset")

    async def launch(self) -> None:
        self.record.act("launch the app")
        await self.run("launch")
        await self.read_state()

    async def relaunch(self) -> None:
        self.record.act("relaunch the app (process restart)")
        await self.run("relaunch")
        await self.read_state()

    async def reopen_chat(self) -> None:
        self.record.act("close and reopen the chat screen")
        await self.run("reopen_chat")
        await self.read_state()

    async def send(self, text: str) -> ClientMessage:
        self.record.act(f"type and send {text!r}")
        before = await self.read_state()
        if before.ui.composer != "enabled":
            self.record.note(f"nothing sent: composer is {before.ui.composer}")
            return ClientMessage("", text, "failed", "EndUser", self.conversation_id)
        await self.run("send", text)
        after = await self.read_state()
        known = {m.id for m in before.ui.messages if m.id}
        mine = [
            m
            for m in after.ui.messages
            if m.text == text and m.from_role in ("EndUser", "Unknown") and (not m.id or m.id not in known)
        ]
        if not mine:
            self.record.note("the sent message does not show on screen")
            return ClientMessage("", text, "failed", "EndUser", self.conversation_id)
        return mine[-1]

    async def tap_new_conversation(self) -> bool:
        self.record.act("tap 'Start a new conversation'")
        state = await self.read_state()
        if "tap_new_conversation" not in self.config.commands or not state.ui.new_conversation_button:
            self.record.note("no 'Start a new conversation' button on screen")
            return False
        await self.run("tap_new_conversation")
        await self.read_state()
        return True

    async def settle(self) -> None:
        """Run the team's settle command if any, then read the screen; with a watermark, until it caught up."""
        if "settle" in self.config.commands:
            await self.run("settle")
        state = await self.read_state()
        if Capability.EXACT_SETTLE not in self.capabilities or self.subject is None:
            return
        assert self.control is not None
        try:
            async with asyncio.timeout(self.config.settle_timeout_s):
                while True:
                    target = await self.control.last_event_id(self.subject)
                    if state.last_event_id is not None and state.last_event_id >= target:
                        return
                    await asyncio.sleep(self.config.poll_s)  # a device cannot tell us: read its screen again
                    state = await self.read_state()
        except TimeoutError:
            raise ClientError(
                f"{self.name}: the app did not catch up with the runtime within {self.config.settle_timeout_s:g}s "
                f"(handled event {state.last_event_id})"
            ) from None


async def _kill_group(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()
