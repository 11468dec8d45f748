"""Settings for `run` from a file: `miaw-harness.toml`, or `[tool.miaw-harness]` in `pyproject.toml`.

Lookup: `--config FILE` if given; else the current folder and then each parent, stopping at the first folder with a
`miaw-harness.toml` (whole file) or a `pyproject.toml` that has a `[tool.miaw-harness]` table. Keys are the long
option names of `run` without the dashes (`sdk`, `fail-on`, `profiles-dir`, ...); `-n` is `workers`. Precedence:
a flag given on the command line > the file > the built-in default. A repeatable option given as a flag replaces
the file's list. Relative paths in the file are relative to the file's folder. An unknown key or a value of the
wrong type is a usage error.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError

FILE_NAME = "miaw-harness.toml"
PYPROJECT = "pyproject.toml"
TABLE = ("tool", "miaw-harness")
NOT_SETTINGS = {"help", "config"}  # options a file cannot set


@dataclass(frozen=True, slots=True)
class Settings:
    path: Path
    values: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path} [tool.miaw-harness]" if self.path.name == PYPROJECT else str(self.path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text (byte {exc.start}); a config file is TOML") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None


def _table(path: Path) -> Mapping[str, Any] | None:
    data = _read_toml(path)
    if path.name != PYPROJECT:
        return data
    tool = data.get(TABLE[0])
    table = tool.get(TABLE[1]) if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UserError(f"{path}: [tool.miaw-harness] must be a table")
    return table


def find(start: Path, explicit: Path | None = None) -> Settings | None:
    """The settings that apply in `start` (see the module's docstring), or None."""
    if explicit is not None:
        table = _table(explicit)
        if table is None:
            raise UserError(f"--config {explicit} has no [tool.miaw-harness] table")
        return Settings(explicit.resolve(), table)
    for folder in (start, *start.parents):
        for name in (FILE_NAME, PYPROJECT):
            path = folder / name
            if path.is_file():
                table = _table(path)
                if table is not None:
                    return Settings(path.resolve(), table)
    return None


def _key(action: argparse.Action) -> str | None:
    longs = [o for o in action.option_strings if o.startswith("--")]
    if longs:
        return longs[0][2:]
    if action.option_strings and action.dest not in NOT_SETTINGS:
        return action.dest  # a short-only option: `-n` is `workers`
    return None


def settable(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Config key -> the option it stands for."""
    keys: dict[str, argparse.Action] = {}
    for action in parser._actions:
        key = _key(action)
        if key is not None and action.dest not in NOT_SETTINGS and key not in NOT_SETTINGS:
            keys[key] = action
    return keys


def given_on_command_line(add_arguments: Callable[[argparse.ArgumentParser], None], argv: Sequence[str]) -> set[str]:
    """The `dest` of every option present in `argv` (parsed again with no defaults)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    namespace, _ = parser.parse_known_args(list(argv))
    return set(vars(namespace))


def _convert(settings: Settings, key: str, action: argparse.Action, value: Any) -> Any:
    where = f"{settings.where}: {key}"

    def scalar(item: Any) -> Any:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise UserError(f"{where}: expected a string or a number, got {item!r}")
        text = str(item)
        if action.type is Path or (action.type is None and key.endswith(("-dir", "-bundle", "-base", "features"))):
            path = Path(text).expanduser()
            converted: Any = path if path.is_absolute() else settings.path.parent / path
            if action.type is None:
                converted = str(converted)
        elif callable(action.type):
            try:
                converted = action.type(text)
            except (TypeError, ValueError):
                raise UserError(f"{where}: not a valid value: {item!r}") from None
        else:
            converted = text
        if action.choices is not None and converted not in action.choices:
            raise UserError(f"{where}: {item!r} is not one of {', '.join(map(str, action.choices))}")
        return converted

    if action.nargs == 0:  # a switch
        if not isinstance(value, bool):
            raise UserError(f"{where}: expected true or false, got {value!r}")
        return action.const if value else action.default
    if isinstance(action, argparse._AppendAction):
        items = value if isinstance(value, list) else [value]
        return [scalar(item) for item in items]
    return scalar(value)


def apply(
    args: argparse.Namespace,
    settings: Settings,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    argv: Sequence[str],
) -> None:
    """Set every option the file names and the command line does not; unknown keys are a usage error."""
    parser = argparse.ArgumentParser(add_help=False)
    add_arguments(parser)
    keys = settable(parser)
    given = given_on_command_line(add_arguments, argv)
    for key, value in settings.values.items():
        action = keys.get(key)
        if action is None:
            raise UserError(f"{settings.where}: unknown key {key!r} (known keys: {', '.join(sorted(keys))})")
        converted = _convert(settings, key, action, value)
        if action.dest not in given:
            setattr(args, action.dest, converted)
