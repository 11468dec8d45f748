"""pytest plugin: the switchboard between pytest and the harness (options, fixtures, hooks)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("miaw-harness", "Session-Based Chat conformance")
    group.addoption("--miaw-seed", action="store", default=None, help="Faker/run seed (default: fixed).")
