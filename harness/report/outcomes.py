"""One verdict, every output: how a cell's verdict reads in pytest, `junit.xml`, `cucumber.json` and the reports.

The mapping is the single place that decides whether a verdict is a pass, a pass with a warning, a failure, an
error or a skip; every renderer and the pytest route ask it, so the same cell never reads two ways.

| verdict        | outcome                                                       |
|----------------|---------------------------------------------------------------|
| pass           | passed                                                        |
| degraded       | passed with a warning; failed with `--fail-on degraded`       |
| blocked        | failed (at the step where the evidence shows it); passed with a warning with `--fail-on never` |
| error          | error                                                         |
| not applicable | skipped, with the reason                                      |
| needs a rep    | skipped, with the reason                                      |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from harness.run.judge import Verdict

__all__ = [
    "FAILING",
    "FAIL_ON",
    "Outcome",
    "VerdictWarning",
    "deciding_step",
    "failing",
    "outcome",
    "pytest_teststatus",
    "verdict_text",
]

FAIL_ON = ("blocked", "degraded", "never")  # the `--fail-on` / `--miaw-fail-on` thresholds; "blocked" by default

# Which verdicts fail, per `--fail-on` threshold. An error is never a pass: it is an error under every threshold.
FAILING: dict[str, frozenset[Verdict]] = {
    "blocked": frozenset({Verdict.BLOCKED}),
    "degraded": frozenset({Verdict.BLOCKED, Verdict.DEGRADED}),
    "never": frozenset(),
}

VERDICT_PROPERTY = "miaw_verdict"  # the pytest report's user property that carries the run's verdict


class Outcome(StrEnum):
    PASSED = "passed"
    WARNING = "warning"  # passed, with a warning that names the verdict and its reason
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class VerdictWarning(UserWarning):
    """A cell passed under `--fail-on` but is not a clean pass (degraded, or blocked under `--fail-on never`)."""


def failing(fail_on: str) -> frozenset[Verdict]:
    try:
        return FAILING[fail_on]
    except KeyError:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}") from None


def outcome(verdict: Verdict, fail_on: str = "blocked") -> Outcome:
    """The outcome of a verdict under a `--fail-on` threshold: the one mapping every output follows."""
    if verdict is Verdict.ERROR:
        return Outcome.ERROR
    if verdict in (Verdict.NOT_APPLICABLE, Verdict.NEEDS_REP):
        return Outcome.SKIPPED
    if verdict in failing(fail_on):
        return Outcome.FAILED
    if verdict is Verdict.PASS:
        return Outcome.PASSED
    return Outcome.WARNING


def verdict_text(verdict: Verdict, reason_code: str, reason: str) -> str:
    """'blocked (reused_closed_id): the app kept using ...': the message every output carries for a non-pass."""
    label = verdict.value.replace("_", " ")
    code = f" ({reason_code})" if reason_code and reason_code != verdict.value else ""
    return f"{label}{code}: {reason}" if reason else f"{label}{code}"


def deciding_step(steps: Sequence[Mapping[str, Any]], verdict: Verdict) -> int | None:
    """The position of the Gherkin step where the evidence shows the verdict, or None for a run without steps.

    A step that raised (an error, or the step that found the scenario not applicable) decides it; otherwise the
    first step after which the verdict so far (`verdict` in the record's step) was already the final one; records
    without that field fall back to the last step that ran.
    """
    if not steps:
        return None
    for position, step in enumerate(steps):
        if step.get("status") == "failed":
            return position
    for position, step in enumerate(steps):
        if step.get("verdict") == verdict.value:
            return position
    ran = [position for position, step in enumerate(steps) if step.get("status") == "passed"]
    return ran[-1] if ran else len(steps) - 1


# --- the pytest route (the plugin's status hook; `harness.steps.runtime` ends each test) ------------------------


def pytest_teststatus(report: Any) -> tuple[str, str, str] | None:
    """The terminal status of a run whose verdict is `error`: pytest's 'error', not 'failed' (a test body that
    raises is a failure to pytest; here it means the harness or the runtime misbehaved, not the app)."""
    if report.when != "call" or not report.failed:
        return None
    # under pytest-xdist the report crossed a process boundary as JSON: its property pairs are lists by then
    if any(tuple(pair) == (VERDICT_PROPERTY, Verdict.ERROR.value) for pair in getattr(report, "user_properties", ())):
        return "error", "E", "ERROR"
    return None
