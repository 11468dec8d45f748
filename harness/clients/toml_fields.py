"""Reading the small TOML files that describe a team's client, with errors that name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.sdk.datafile import DataFileError, read_toml, reject_unknown

__all__ = ["DataFileError", "load_table", "optional_str", "positive_number", "required_str", "str_list", "table"]


def load_table(path: Path, known: tuple[str, ...]) -> dict[str, Any]:
    """The file's top-level table; unknown keys are refused (a typo must not be silently ignored)."""
    data = read_toml(path)
    reject_unknown(path, data, known)
    return data


def table(
    path: Path, data: dict[str, Any], key: str, known: tuple[str, ...], *, required: bool = False
) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise DataFileError(path, key, f"required table [{key}] is missing; keys: {', '.join(known)}")
        return {}
    if not isinstance(value, dict):
        raise DataFileError(path, key, f"must be a table [{key}], got {type(value).__name__}")
    reject_unknown(path, value, known, where=f"{key}.")
    return value


def required_str(path: Path, data: dict[str, Any], key: str, where: str = "", allowed: tuple[str, ...] = ()) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataFileError(path, where + key, "required, a non-empty string" + _one_of(allowed))
    if allowed and value not in allowed:
        raise DataFileError(path, where + key, f"'{value}' is not allowed" + _one_of(allowed))
    return value


def optional_str(
    path: Path, data: dict[str, Any], key: str, where: str = "", allowed: tuple[str, ...] = ()
) -> str | None:
    if data.get(key) is None:
        return None
    return required_str(path, data, key, where, allowed)


def positive_number(path: Path, data: dict[str, Any], key: str, default: float, where: str = "") -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise DataFileError(path, where + key, f"must be a positive number, got {value!r}")
    return float(value)


def str_list(path: Path, data: dict[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFileError(path, where + key, f"must be a list of strings, got {value!r}")
    return tuple(value)


def _one_of(allowed: tuple[str, ...]) -> str:
    return f"; allowed: {', '.join(allowed)}" if allowed else ""
