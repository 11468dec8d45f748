"""The report directory: every output rendered into a temporary sibling, then swapped in place of `--out` at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness.errors import UserError
from harness.report.cucumber import render_cucumber
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.readiness import InstallRow, assess
from harness.report.results import SCHEMA, Results, dumps

FILES = ("index.html", "report.md", "results.json", "junit.xml", "cucumber.json")


def render_files(
    results: Results, install_base: Sequence[InstallRow] | None = None, fail_on: str = "blocked"
) -> dict[str, str]:
    """The text of every report file, by file name."""
    readiness = assess(results, install_base)
    return {
        "index.html": render_html(results, readiness),
        "report.md": render_markdown(results, readiness),
        "results.json": dumps(results),
        "junit.xml": render_junit(results, fail_on),
        "cucumber.json": render_cucumber(results, fail_on),
    }


def check_out_dir(out: Path) -> None:
    """Refuse, before any work, an `--out` that is not ours to replace (a file, or a folder of other things)."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not _is_report(out):
        raise UserError(f"--out {out} is a non-empty directory that is not a miaw-harness report; pick another")


def _is_report(path: Path) -> bool:
    try:
        with (path / "results.json").open(encoding="utf-8") as handle:
            return f'"schema": "{SCHEMA.split("@")[0]}' in handle.read(200)
    except OSError:
        return False


def write_report(
    results: Results, out: Path, install_base: Sequence[InstallRow] | None = None, fail_on: str = "blocked"
) -> Path:
    """Render into a temporary sibling of `out`, then swap it in: `out` is either the old report or the new one."""
    out = out.resolve()
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for name, text in render_files(results, install_base, fail_on).items():
            (staging / name).write_text(text, encoding="utf-8")
        os.chmod(staging, 0o755)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
