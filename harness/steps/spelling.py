"""A team's feature files checked against the bundled steps before a run: a step no definition matches is a usage
error naming its file and line and the closest bundled steps, not an error cell in the report."""

from __future__ import annotations

from difflib import SequenceMatcher
from pathlib import Path

from pytest_bdd.exceptions import GherkinParseError

from harness.errors import UserError
from harness.steps.catalogue import BundledStep, bundled_steps, feature_steps

SUGGESTED = 3
CUTOFF = 0.5  # below this similarity a bundled step is no useful suggestion


def closest(keyword: str, name: str, steps: tuple[BundledStep, ...]) -> list[BundledStep]:
    """The bundled steps most like `keyword name`, best first (its text and its example are both compared)."""
    typed = f"{keyword.capitalize()} {name}".lower()

    def score(step: BundledStep) -> float:
        return max(
            SequenceMatcher(None, typed, candidate.lower()).ratio() for candidate in (step.heading, step.example)
        )

    ranked = sorted(steps, key=score, reverse=True)
    return [step for step in ranked[:SUGGESTED] if score(step) >= CUTOFF]


def unknown_step(path: Path, steps: tuple[BundledStep, ...] | None = None) -> str | None:
    """One line about the first step of `path` no bundled step matches, or None when every step has a definition."""
    known = bundled_steps() if steps is None else steps
    try:
        typed_steps = feature_steps(path)
    except GherkinParseError as exc:  # valid Gherkin that pytest-bdd refuses (e.g. a scenario starting with And)
        detail = exc.message.splitlines()[0] if exc.message else "not a scenario pytest-bdd can run"
        return f"{path}:{exc.line}: {detail.strip()}"
    for step in typed_steps:
        if any(bundled.matches(step.type, step.name) for bundled in known):
            continue
        typed = f"{step.keyword.strip()} {step.name}"
        near = closest(step.type, step.name, known)
        hint = "; did you mean " + " or ".join(f'"{s.heading}"' for s in near) if near else ""
        return f'{path}:{step.line_number}: no bundled step matches "{typed}"{hint}? (`miaw-harness steps` lists them)'
    return None


def check_steps(paths: list[Path]) -> None:
    """Raise a usage error for the first feature file with a step that no bundled step matches."""
    for path in paths:
        problem = unknown_step(path)
        if problem is not None:
            raise UserError(problem)
