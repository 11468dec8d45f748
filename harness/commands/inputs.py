"""Checks on the files a command is given, so that a bad one is one line naming it, before any work starts."""

from __future__ import annotations

from pathlib import Path

from pytest_bdd.exceptions import GherkinParseError
from pytest_bdd.gherkin_parser import get_gherkin_document

from harness.errors import UserError
from harness.report.results import Results, read_results


def check_text(path: Path, what: str) -> str:
    """The text of `path`, which must be readable UTF-8 (a binary file is a usage error naming it)."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise UserError(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise UserError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {path} is not UTF-8 text (byte {exc.start}): is it the right file?") from None


def results_file(path: Path, what: str) -> Results:
    """A results.json written by `run`, where a binary or non-UTF-8 file is a usage error naming it."""
    try:
        return read_results(path)
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{what} {path} is not UTF-8 text (byte {exc.start}): give a results.json written by `run`"
        ) from None


def check_toml_texts(directory: Path, option: str) -> None:
    """Every `*.toml` file that `option` brings in is UTF-8 text (its TOML is checked when it is loaded)."""
    for path in sorted(directory.glob("*.toml")):
        check_text(path, f"{option} file")


def feature_files(path: Path) -> list[Path]:
    """The feature files the suite collects from `path` (a file, or a folder searched recursively)."""
    return sorted(path.rglob("*.feature")) if path.is_dir() else [path]


def check_features(path: Path) -> None:
    """Every feature file under `path` parses as Gherkin; the first that does not is named with its line."""
    for feature in feature_files(path):
        check_text(feature, "--features file")
        try:
            get_gherkin_document(str(feature.resolve()))
        except GherkinParseError as exc:
            detail = exc.message.splitlines()[0] if exc.message else "not valid Gherkin"
            raise UserError(f"{feature}:{exc.line}: {detail.strip()}") from None
