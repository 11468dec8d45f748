"""docs/ci.md: its GitHub Actions and GitLab CI pipelines parse, hang together, and call real miaw-harness options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import build_parser

DOC = Path(__file__).resolve().parents[2] / "docs" / "ci.md"
_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
_COMMAND = re.compile(r"miaw-harness (?:run|report)\b[^;&|>\n]*")


def _pipelines() -> tuple[dict[str, Any], dict[str, Any]]:
    blocks = [yaml.safe_load(text) for text in _BLOCK.findall(DOC.read_text(encoding="utf-8"))]
    github = [b for b in blocks if "jobs" in b]
    gitlab = [b for b in blocks if "stages" in b]
    assert len(github) == 1 and len(gitlab) == 1
    return github[0], gitlab[0]


def _scripts(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _scripts(item)]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _scripts(value)]
    return []


def _argv(command: str) -> list[str]:
    """A shell command line of the docs as argv, with CI expressions and variables replaced by plausible values."""
    text = re.sub(r"\$\{\{\s*matrix\.shard\s*\}\}", "2", command)
    text = text.replace("$CI_NODE_INDEX", "2").replace("$CI_NODE_TOTAL", "3").replace("$SEED", "20251028")
    assert "${{" not in text and "$" not in text, text
    return shlex.split(text)[1:]


def test_github_workflow_shards_merge_publish_and_gate() -> None:
    github, _ = _pipelines()
    on = github.get("on", github.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert "pull_request" in on and "push" in on
    jobs = github["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, len(shards) + 1))
    assert jobs["report"]["needs"] == "shard"
    for job in jobs.values():
        assert job["runs-on"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
    runs = " ".join(step.get("run", "") for step in jobs["shard"]["steps"])
    assert f"--shard ${{{{ matrix.shard }}}}/{len(shards)}" in runs
    uses = [step["uses"] for job in jobs.values() for step in job["steps"] if "uses" in step]
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", u) for u in uses), uses
    report = " ".join(step.get("run", "") for step in jobs["report"]["steps"])
    assert "report merge" in report and "--compare baseline/results.json" in report and "exit $status" in report
    assert any(s.get("with", {}).get("name") == "miaw-report" for s in jobs["report"]["steps"] if "uses" in s)


def test_gitlab_pipeline_shards_merge_publish_and_gate() -> None:
    _, gitlab = _pipelines()
    shard, report = gitlab["conformance"], gitlab["report"]
    assert shard["stage"] in gitlab["stages"] and report["stage"] in gitlab["stages"]
    assert isinstance(shard["parallel"], int) and shard["parallel"] > 1
    assert report["needs"] == ["conformance"]
    assert report["artifacts"]["reports"]["junit"] == "miaw-report/junit.xml"
    assert any("--compare baseline/miaw-report/results.json" in s for s in _scripts(report["script"]))


@pytest.mark.parametrize("index", [0, 1])
def test_every_miaw_harness_command_of_the_pipelines_parses(index: int) -> None:
    pipeline = _pipelines()[index]
    commands = [c.strip() for s in _scripts(pipeline) for c in _COMMAND.findall(s)]
    assert len(commands) >= 3
    parser = build_parser()
    for command in commands:
        args = parser.parse_args(_argv(command))  # an unknown option or a bad --shard exits 2 here
        assert args.command in ("run", "report")
