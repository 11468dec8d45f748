"""`--client KIND[:FILE]`: which real client a run drives, checked before anything starts, and opened per scenario.

    browser:FILE.toml   a web chat in headless Chromium (`harness.clients.browser`)
    command:FILE.toml   shell commands per action (`harness.clients.command`)
    manual              a person at the terminal (`harness.clients.manual`)

A browser description's `url` may start with `{base_url}` (the mock runtime the run uses, e.g.
`{base_url}/demo/?policy=web-storage` for the demo chat); commands get the same in `MIAW_BASE_URL`, with
`MIAW_ORG_ID` and `MIAW_DEPLOYMENT`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from harness.clients.adapter import ClientError
from harness.clients.browser_config import BASE_URL, BrowserClientConfig, load_browser_config
from harness.clients.command import CommandClientConfig, load_command_config
from harness.clients.manual import Prompter
from harness.errors import UserError
from harness.timeline import Timeline

__all__ = ["BASE_URL", "KINDS", "ClientSpec", "parse_client"]

KINDS = ("browser", "command", "manual")
MANUAL_INPUT = "MIAW_MANUAL_INPUT"
MANUAL_OUTPUT = "MIAW_MANUAL_OUTPUT"
MANUAL_TIMEOUT_S = 300.0
_SCRIPTS: dict[str, io.StringIO] = {}  # scripted answers: one reading position for the whole session
USAGE = "--client takes browser:FILE.toml, command:FILE.toml or manual"


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """A real client as `--client` names it; `name` comes from its description file."""

    kind: str
    path: Path | None
    name: str

    @property
    def label(self) -> str:
        """How reports name the client: `browser:our web chat`."""
        return f"{self.kind}:{self.name}"

    @property
    def argument(self) -> str:
        """The `--client` value that names this client again (the file as an absolute path)."""
        return self.kind if self.path is None else f"{self.kind}:{self.path}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "file": None if self.path is None else self.path.name}

    def browser_config(self, base_url: str) -> BrowserClientConfig:
        assert self.path is not None
        config = load_browser_config(self.path)
        return dataclasses.replace(config, url=config.url.replace(BASE_URL, base_url.rstrip("/")))

    def command_config(self, base_url: str, org_id: str, deployment: str) -> CommandClientConfig:
        assert self.path is not None
        config = load_command_config(self.path)
        env = {"MIAW_BASE_URL": base_url.rstrip("/"), "MIAW_ORG_ID": org_id, "MIAW_DEPLOYMENT": deployment}
        return dataclasses.replace(config, env={**env, **config.env})

    def open(self, base_url: str, org_id: str, deployment: str, control: Any, timeline: Timeline) -> Any:
        """A fresh adapter for one scenario (a browser with a fresh profile, a device told to start clean)."""
        if self.kind == "browser":
            from harness.clients.browser import BrowserAdapter

            return BrowserAdapter(self.browser_config(base_url), control=control, timeline=timeline)
        if self.kind == "command":
            from harness.clients.command import CommandAdapter

            return CommandAdapter(self.command_config(base_url, org_id, deployment), control=control, timeline=timeline)
        from harness.clients.manual import ManualAdapter

        return ManualAdapter(manual_prompter(), timeline=timeline)


def manual_prompter() -> Prompter:
    """The tester's terminal (/dev/tty: the suite's own output is captured), or the files named by
    MIAW_MANUAL_INPUT (answers, one a line) and MIAW_MANUAL_OUTPUT (the questions), e.g. for a scripted run."""
    answers, transcript = os.environ.get(MANUAL_INPUT), os.environ.get(MANUAL_OUTPUT)
    try:
        if answers and Path(answers).is_file():  # a regular file cannot be polled: read once, shared by scenarios
            source: TextIO = _SCRIPTS.setdefault(answers, io.StringIO(Path(answers).read_text(encoding="utf-8")))
            owned: list[TextIO] = []
        else:  # the terminal, or a pipe another program answers through
            source = open(answers or "/dev/tty", encoding="utf-8")  # noqa: SIM115 - closed with the prompter
            owned = [source]
        sink = open(transcript or "/dev/tty", "a" if transcript else "w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise ClientError(
            f"--client manual needs a terminal (or {MANUAL_INPUT} and {MANUAL_OUTPUT}): {exc.strerror or exc}"
        ) from None
    return Prompter(source, sink, timeout_s=MANUAL_TIMEOUT_S, owned=(*owned, sink))


def parse_client(text: str) -> ClientSpec:
    """`--client`'s value, with its file read and checked; a mistake is one UserError line."""
    kind, colon, file = text.partition(":")
    if kind not in KINDS:
        raise UserError(f"unknown client kind {kind!r} in --client {text!r}: {USAGE}")
    if kind == "manual":
        if colon:
            raise UserError(f"--client manual takes no file, got {text!r}")
        return ClientSpec("manual", None, "tester")
    if not file:
        raise UserError(f"--client {kind} needs its description file: --client {kind}:FILE.toml")
    path = Path(file).expanduser().resolve()
    if not path.is_file():
        raise UserError(f"--client {text}: {file} is not a file")
    if kind == "browser":
        if importlib.util.find_spec("playwright") is None:
            raise UserError(
                "--client browser needs Playwright: pip install 'miaw-harness[browser]' (no browser download needed)"
            )
        browser = load_browser_config(path)
        executable = Path(browser.executable)
        if not executable.is_file():
            raise UserError(
                f"{path}: key 'browser.executable': {browser.executable!r} is not a file (on Debian: apt-get install "
                "chromium)"
            )
        return ClientSpec("browser", path, browser.name)
    command = load_command_config(path)
    return ClientSpec("command", path, command.name)
