"""README.md stays true: its state diagram is the one drawn from the lifecycle tables."""

from __future__ import annotations

import re
from pathlib import Path

from harness.lifecycle import mermaid_diagram

README = Path(__file__).resolve().parents[2] / "README.md"


def test_state_diagram_is_drawn_from_the_tables() -> None:
    blocks = re.findall(r"```mermaid\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks == [mermaid_diagram()]


def test_quick_start_and_test_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "./scripts/setup && .venv/bin/miaw-harness run" in text
    assert "./scripts/setup && .venv/bin/pytest -n 2" in text
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/pytest -n 2" in ci and "./scripts/setup" in ci
