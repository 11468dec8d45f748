"""Command-line options of the conformance suite and what they select."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.paths import features_dir
from harness.report.outcomes import FAIL_ON
from harness.run.cells import DEFAULT_SEED, Selection
from harness.sdk.profiles import pins_from_file

_SELECTION = pytest.StashKey[Selection]()
_FEATURES: list[Path] = []  # explicit registry: read by harness.steps.suite at collection time


SUITE_MODULE = "harness.steps.suite"


def suite_command(results_dir: Path, *extra: str) -> list[str]:
    """The pytest session that runs the conformance suite and writes one record per run into `results_dir`.

    `--rootdir` is pinned to the results folder so that the caller's own pytest configuration never applies.
    """
    return [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        SUITE_MODULE,
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(results_dir),
        f"--miaw-results={results_dir}",
        *extra,
    ]


def add_options(parser: pytest.Parser) -> None:
    """Every option carries the `--miaw-` prefix, so that the plugin never collides with another plugin's options
    (`miaw-harness run` keeps the short forms: `--sdk`, `--app`, `--seed`, `--target`, ...)."""
    group = parser.getgroup("miaw-harness", "Session-Based Chat conformance")
    group.addoption("--miaw-sdk", action="append", default=[], metavar="PATTERN", help="SDK profile name pattern.")
    group.addoption("--miaw-app", action="append", default=[], metavar="PATTERN", help="App strategy name pattern.")
    group.addoption(
        "--miaw-seed", type=int, default=None, help=f"Base seed for Faker and ids (default {DEFAULT_SEED})."
    )
    group.addoption("--miaw-features", action="append", default=[], metavar="PATH", help="Feature file or folder.")
    group.addoption("--miaw-profiles-dir", action="append", default=[], metavar="DIR", help="Extra SDK profiles.")
    group.addoption("--miaw-apps-dir", action="append", default=[], metavar="DIR", help="Extra app strategies.")
    group.addoption("--miaw-results", default=None, metavar="DIR", help="Write one JSON record per run here.")
    group.addoption("--miaw-target", default=None, metavar="URL", help="Run against this runtime instead of the mock.")
    group.addoption("--miaw-org-id", default=None, help="Org id of --miaw-target.")
    group.addoption("--miaw-deployment", default=None, help="Embedded Service deployment of --miaw-target.")
    group.addoption("--miaw-ca-bundle", default=None, help="CA bundle for --miaw-target's TLS certificate.")
    group.addoption(
        "--miaw-interactive", action="store_true", help="Ask a person to play the rep (with --miaw-target)."
    )
    group.addoption(
        "--miaw-client",
        default=None,
        metavar="KIND[:FILE]",
        help="Drive a real client (browser:FILE.toml, command:FILE.toml, manual) instead of the simulated apps.",
    )
    group.addoption(
        "--miaw-fail-on", choices=FAIL_ON, default="blocked", help="Verdicts that fail a test (default blocked)."
    )
    group.addoption(
        "--miaw-assume",
        action="append",
        default=[],
        metavar="PROFILE.FLAG=VALUE",
        help="Pin an SDK flag to a value verified on a device (no variant axis for it; repeat).",
    )
    group.addoption(
        "--miaw-assume-file", default=None, metavar="FILE", help='Pins from a TOML file: ["ios-1.9"] flag = value.'
    )


def wanted(config: pytest.Config) -> bool:
    """Whether this session asked for the conformance suite: it names the suite module or sets a `--miaw-` option.

    Any other pytest session that merely has the package installed gets no markers, no file reads, no fixtures.
    """
    if any(SUITE_MODULE in str(arg) or "harness/steps/suite" in str(arg) for arg in config.args):
        return True
    if os.environ.get("MIAW_FEATURES"):
        return True
    if config.getoption("miaw_seed") is not None:
        return True
    names = (
        "sdk",
        "app",
        "features",
        "profiles_dir",
        "apps_dir",
        "results",
        "target",
        "interactive",
        "assume",
        "assume_file",
        "client",
    )
    return any(config.getoption(f"miaw_{name}") for name in names)


def configure(config: pytest.Config) -> None:
    if not wanted(config):
        return
    paths = [Path(p) for p in config.getoption("miaw_features") or ()]
    if not paths and (env := os.environ.get("MIAW_FEATURES")):
        paths = [Path(p) for p in env.split(os.pathsep) if p]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise pytest.UsageError(f"feature path not found: {', '.join(missing)}")
    _FEATURES[:] = [p.resolve() for p in paths] or [features_dir()]
    register_tags(config)
    selection(config)  # bad patterns, profile files or pins stop the session here, with one line
    if not config.pluginmanager.has_plugin(FORKS_PLUGIN):
        from harness.steps import forks

        config.pluginmanager.register(forks, FORKS_PLUGIN)


FORKS_PLUGIN = "miaw-sdk-forks"


def pins(config: pytest.Config) -> list[str]:
    """`--miaw-assume` pins, after those of `--miaw-assume-file` (a later pin of the same flag wins)."""
    out: list[str] = []
    path = config.getoption("miaw_assume_file", None)
    if path:
        out.extend(pins_from_file(Path(path)))
    out.extend(config.getoption("miaw_assume", None) or ())
    return out


KNOWN_TAGS: dict[str, str] = {
    "auto_end": "runs under each auto-end variant of the runtime",
    "closing": "a Session-Based-Chat close: runs under each close-event variant of the runtime",
    "needs_rep": "needs someone other than the end user (a rep, bot, timer or fault)",
    "org": "org-level: runs once, with no SDK or app",
    "web": "Enhanced Web Chat only",
}
_TAG = re.compile(r"(?:^|\s)@([A-Za-z0-9_\-]+)")


def register_tags(config: pytest.Config) -> None:
    """Every Gherkin tag becomes a pytest marker; declare them all so strict markers accept them."""
    tags = dict(KNOWN_TAGS)
    for root in feature_paths():
        files = root.rglob("*.feature") if root.is_dir() else [root]
        for path in files:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.lstrip().startswith("@"):
                    for tag in _TAG.findall(line):
                        tags.setdefault(tag, "a tag of the feature files")
    for tag, meaning in sorted(tags.items()):
        config.addinivalue_line("markers", f"{tag}: {meaning}")


def feature_paths(config: pytest.Config | None = None) -> list[Path]:
    return list(_FEATURES) or [features_dir()]


def seed(config: pytest.Config) -> int:
    value = config.getoption("miaw_seed")
    return DEFAULT_SEED if value is None else int(value)


def fail_on(config: pytest.Config) -> str:
    return str(config.getoption("miaw_fail_on", None) or "blocked")


def selection(config: pytest.Config) -> Selection:
    cached = config.stash.get(_SELECTION, None)
    if cached is not None:
        return cached
    try:
        chosen = Selection.load(
            config.getoption("miaw_sdk"),
            config.getoption("miaw_app"),
            [Path(p) for p in config.getoption("miaw_profiles_dir")],
            [Path(p) for p in config.getoption("miaw_apps_dir")],
            pins(config),
        )
        client = config.getoption("miaw_client", None)
        if client:
            from harness.clients.spec import parse_client

            chosen = dataclasses.replace(chosen, client=parse_client(str(client)))
    except UserError as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.stash[_SELECTION] = chosen
    return chosen
