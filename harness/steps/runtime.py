"""One scenario run as the plugin sees it: its identity, its step statuses, its verdict and its record."""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.parser import ScenarioTemplate
from pytest_bdd.scenario import scenario_wrapper_template_registry

from harness.report.outcomes import Outcome, VerdictWarning, outcome, verdict_text
from harness.run.cells import Cell, cell_seed
from harness.run.judge import NeedsRep, NotApplicable, Observations, Verdict, VerdictResult, judge
from harness.run.records import ORG_SDK, RunRecord, SdkInfo
from harness.run.variants import consulted_unknowns
from harness.sdk.profiles import current_reads
from harness.steps import options
from harness.timeline import Timeline


def pytest_outcome(verdict: Verdict, reason_code: str, reason: str, fail_on: str, where: str) -> None:
    """End a test the way `harness.report.outcomes` maps its verdict: a not-applicable or needs-a-rep cell is skipped
    with its reason (a verdict, never a pass). An error raised by a step keeps its own traceback and never reaches
    here; the plugin's `pytest_teststatus` shows it as an error rather than a failure.
    """
    message = f"{verdict_text(verdict, reason_code, reason)} [{where}]"
    result = outcome(verdict, fail_on)
    if result is Outcome.FAILED or result is Outcome.ERROR:
        pytest.fail(message, pytrace=False)
    elif result is Outcome.SKIPPED:
        pytest.skip(message)
    elif result is Outcome.WARNING:
        warnings.warn(VerdictWarning(message), stacklevel=2)


def scenario_of(metafunc: pytest.Metafunc) -> ScenarioTemplate | None:
    """The scenario a test function runs, when it runs in the harness: the bundled suite (`MIAW_SUITE`), or a team's
    pytest-bdd module that uses the bundled steps (their `world` fixture is visible to it). Other projects'
    pytest-bdd scenarios are left alone."""
    template = scenario_wrapper_template_registry.get(metafunc.function)
    if not isinstance(template, ScenarioTemplate):
        return None
    if getattr(metafunc.module, "MIAW_SUITE", False) or _sees_bundled_steps(metafunc):
        return template
    return None


BUNDLED_WORLD = "harness.steps.library"  # the module whose `world` fixture the bundled steps use


def _sees_bundled_steps(metafunc: pytest.Metafunc) -> bool:
    definitions = metafunc.definition.session._fixturemanager.getfixturedefs("world", metafunc.definition) or ()
    return any(getattr(d.func, "__module__", None) == BUNDLED_WORLD for d in definitions)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def article_lines(*descriptions: str) -> list[str]:
    out: list[str] = []
    for description in descriptions:
        for line in (description or "").splitlines():
            line = line.strip()
            if line.startswith("Article:"):
                out.append(line.removeprefix("Article:").strip())
    return out


def _feature_root(feature_file: Path) -> tuple[Path, Path]:
    for root in options.feature_paths():
        base = root if root.is_dir() else root.parent
        try:
            return base, feature_file.resolve().relative_to(base)
        except ValueError:
            continue
    return feature_file.parent.parent, Path(feature_file.parent.name) / feature_file.name


@dataclass
class RunState:
    nodeid: str
    cell: Cell
    scenario_id: str
    scenario_name: str
    feature_name: str
    feature_file: str
    feature_line: int
    scenario_line: int
    tags: list[str]
    article: list[str]
    seed: int
    worker: str
    observations: Observations = field(default_factory=Observations)
    timeline: Timeline = field(default_factory=Timeline)
    steps: list[dict[str, Any]] = field(default_factory=list)
    result: VerdictResult | None = None
    step_started: float = field(default_factory=time.perf_counter)

    @classmethod
    def begin(cls, node: pytest.Item, feature: Any, scenario: Any, cell: Cell) -> RunState:
        base, relative = _feature_root(Path(feature.filename))
        area = relative.parent.as_posix()
        if area in ("", "."):
            area = base.name
        callspec = getattr(node, "callspec", None)
        example = callspec.params.get("_pytest_bdd_example") if callspec is not None else None
        suffix = f"[{', '.join(str(v) for v in example.values())}]" if example else ""
        scenario_id = f"{area}/{_slug(scenario.name)}{suffix}"
        config = node.config
        worker = getattr(config, "workerinput", {}).get("workerid", "main")
        state = cls(
            nodeid=node.nodeid,
            cell=cell,
            scenario_id=scenario_id,
            scenario_name=scenario.name + (f" {suffix}" if suffix else ""),
            feature_name=feature.name,
            feature_file=relative.as_posix(),
            feature_line=int(getattr(feature, "line_number", 1) or 1),
            scenario_line=int(scenario.line_number),
            tags=sorted(set(scenario.tags) | set(feature.tags)),
            article=article_lines(feature.description, scenario.description),
            seed=cell_seed(options.seed(config), scenario_id, cell),
            worker=worker,
        )
        state.steps = [
            {
                "keyword": s.keyword.strip(),
                "name": s.name,
                "line": s.line_number,
                "status": "skipped",
                "duration_ms": 0.0,
                "error": None,
            }
            for s in scenario.steps
        ]
        return state

    def step_done(self, step: Any, status: str, exc: BaseException | None = None) -> None:
        for entry in self.steps:
            if entry["line"] == step.line_number and entry["name"] == step.name and entry["status"] == "skipped":
                now = time.perf_counter()
                entry["status"], entry["duration_ms"] = status, round((now - self.step_started) * 1000, 3)
                self.step_started = now
                entry["verdict"] = judge(self.observations).verdict.value  # so far: shows where it was decided
                if exc is not None:
                    entry["error"] = f"{type(exc).__name__}: {exc}"
                return

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, NotApplicable):
            self.observations.not_applicable = str(exc)
        elif isinstance(exc, NeedsRep):
            self.observations.needs_rep = str(exc)
        elif self.result is None:
            self.observations.error = f"{type(exc).__name__}: {exc}".strip()
        self.result = judge(self.observations)

    def finish_call(self, fail_on: str) -> None:
        """After a scenario ran (or found it does not apply): judge it, and end the test as its verdict says."""
        self.result = judge(self.observations)
        result = self.result
        pytest_outcome(result.verdict, result.reason_code, result.reason, fail_on, f"{self.cell.id}, seed={self.seed}")

    def record(self, duration_s: float) -> RunRecord:
        result = self.result or judge(self.observations)
        profile, strategy, client = self.cell.profile, self.cell.strategy, self.cell.client
        sdk = (
            SdkInfo(name=profile.name, platform=profile.platform, version=profile.version)
            if profile is not None
            else ORG_SDK
        )
        app = strategy.name if strategy is not None else "-"
        if client is not None:  # a real client: it is the matrix row, and every record names it
            sdk = SdkInfo(name=client.label, platform="client", version=client.kind)
            app = client.name
        record: RunRecord = {
            "scenario_id": self.scenario_id,
            "scenario": self.scenario_name,
            "feature": self.feature_name,
            "feature_file": self.feature_file,
            "feature_line": self.feature_line,
            "scenario_line": self.scenario_line,
            "tags": self.tags,
            "article": self.article,
            "sdk": sdk,
            "app": app,
            "variant": self.cell.variant_json(self.assumptions()),
            "verdict": result.verdict.value,
            "reason_code": result.reason_code.value,
            "reason": result.reason,
            "recovery": None if (path := self.observations.recovery_path) is None else path.value,
            "seed": self.seed,
            "evidence": self.timeline.to_json(),
            "steps": self.steps,
            "nodeid": self.nodeid,
            "duration_ms": round(duration_s * 1000, 3),
            "worker": self.worker,
        }
        if client is not None:
            record["client"] = client.to_json()
        return record

    def assumptions(self) -> list[dict[str, Any]]:
        """The unknown SDK flags this run consulted, with the value it gave each (`harness.run.variants`)."""
        notes = [step.summary for step in self.timeline.steps]
        fixed = dict(self.cell.assumed)
        return [a.to_json() for a in consulted_unknowns(self.cell.profile, current_reads(), notes, fixed=fixed)]


STATE = pytest.StashKey[RunState]()  # the run of a scenario item, set by the plugin before its steps run
