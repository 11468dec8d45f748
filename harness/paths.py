"""Where the bundled features and fixtures live (source checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def features_dir() -> Path:
    return _bundled("features")


def fixtures_dir() -> Path:
    return _bundled("fixtures")
