"""Reading the TOML data files that describe SDK profiles and app strategies, with errors that name the key."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from harness.errors import UserError

T = TypeVar("T")


class DataFileError(UserError):
    """A profile or strategy file that cannot be used: names the file, the key and what is allowed."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        super().__init__(f"{path}: key '{key}': {problem}")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, "<file>", f"not valid TOML ({exc})") from exc
    except OSError as exc:
        raise DataFileError(path, "<file>", f"cannot be read ({exc.strerror})") from exc


@functools.lru_cache(maxsize=1024)
def _cached(parse: Callable[[Path, dict[str, Any]], T], path: Path, mtime_ns: int, size: int) -> T:
    return parse(path, read_toml(path))


def load_cached(parse: Callable[[Path, dict[str, Any]], T], path: Path) -> T:
    """`parse(path, data)`, remembered until the file changes (runs build many apps from the same files)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataFileError(path, "<file>", f"cannot be read ({exc.strerror})") from exc
    return cast(T, _cached(parse, path, stat.st_mtime_ns, stat.st_size))


def toml_files(dirs: Iterable[Path]) -> list[Path]:
    """Every `*.toml` file in `dirs`, each directory sorted by name; a missing directory is a user error."""
    files: list[Path] = []
    for directory in dirs:
        if not directory.is_dir():
            raise UserError(f"{directory}: not a directory")
        files.extend(sorted(directory.glob("*.toml")))
    return files


def require_str(path: Path, data: dict[str, Any], key: str, allowed: Sequence[str] = ()) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise DataFileError(path, key, "required, a non-empty string" + _one_of(allowed))
    if allowed and value not in allowed:
        raise DataFileError(path, key, f"'{value}' is not allowed" + _one_of(allowed))
    return value


def require_bool(path: Path, data: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise DataFileError(path, key, "required, true or false")
    return value


def reject_unknown(path: Path, data: dict[str, Any], known: Iterable[str], where: str = "") -> None:
    allowed = sorted(known)
    for key in data:
        if key not in allowed:
            raise DataFileError(path, f"{where}{key}", "unknown key; allowed: " + ", ".join(allowed))


def _one_of(allowed: Sequence[str]) -> str:
    return f"; allowed: {', '.join(allowed)}" if allowed else ""
