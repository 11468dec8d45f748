"""The catalogue of bundled steps, read from the step definitions themselves (their parsers and docstrings).

Nothing here is a hand-kept list: a step appears because one of the bundled step modules defines it, its text and
parameters come from its parser, its meaning from the first line of its docstring, and its example from the first
bundled feature line it matches (or, for a step no bundled feature uses, the docstring's `Example:` line).
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pytest_bdd import parsers
from pytest_bdd.parser import FeatureParser, Step
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from harness.paths import features_dir

# The modules whose steps a team's scenarios can use, in the order the catalogue lists them.
BUNDLED_MODULES = ("harness.steps.library", "harness.steps.org_library", "harness.steps.sandbox_library")
KEYWORDS = ("given", "when", "then")
_PARSE_FIELD = re.compile(r"\{(?P<name>\w+)(?::(?P<format>[^}]*))?\}")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<pattern>(?:[^()]|\([^()]*\))*)\)")
_CHOICE = re.compile(r"\(\?:(?P<pattern>[^()]*)\)")
_FORMATS = {"d": "a whole number", "": "any text", "w": "a word", "f": "a number"}


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    accepts: str  # what text the parameter takes, in words or as a list of choices


@dataclass(frozen=True, slots=True)
class BundledStep:
    keyword: str  # given | when | then
    text: str  # the step as a reader writes it, each parameter shown as <name>
    parameters: tuple[Parameter, ...]
    meaning: str
    example: str
    module: str
    line: int
    parser: parsers.StepParser

    @property
    def heading(self) -> str:
        return f"{self.keyword.capitalize()} {self.text}"

    def matches(self, keyword: str, name: str) -> bool:
        return self.keyword == keyword and self.parser.is_matching(name)


def _render_parse(template: str) -> tuple[str, tuple[Parameter, ...]]:
    params = tuple(
        Parameter(m["name"], _FORMATS.get(m["format"] or "", f"format {m['format']}"))
        for m in _PARSE_FIELD.finditer(template)
    )
    return _PARSE_FIELD.sub(lambda m: f"<{m['name']}>", template), params


def _render_regex(pattern: str) -> tuple[str, tuple[Parameter, ...]]:
    params: list[Parameter] = []

    def group(m: re.Match[str]) -> str:
        inner = m["pattern"]
        accepts = (
            "a whole number"
            if inner == r"\d+"
            else "a word"
            if inner == r"\w+"
            else "one of " + ", ".join(f'"{c}"' for c in inner.split("|"))
        )
        params.append(Parameter(m["name"], accepts))
        return f"<{m['name']}>"

    text = _GROUP.sub(group, pattern)
    text = _CHOICE.sub(lambda m: "(" + m["pattern"].replace("|", " or ") + ")", text)
    text = re.sub(r"(\w)\?", r"\1", text).replace("\\", "")  # an optional letter ("requests?") reads as written
    return text, tuple(params)


def _render(parser: parsers.StepParser) -> tuple[str, tuple[Parameter, ...]]:
    if isinstance(parser, parsers.re):
        return _render_regex(parser.name)
    if isinstance(parser, parsers.parse):
        return _render_parse(parser.name)
    return parser.name, ()


def _doc_parts(func: object) -> tuple[str, str]:
    """The meaning (the docstring's first line) and its `Example:` line, if any."""
    doc = inspect.getdoc(func) or ""
    lines = [line.strip() for line in doc.splitlines()]
    meaning = lines[0] if lines else ""
    example = next((line.removeprefix("Example:").strip() for line in lines if line.startswith("Example:")), "")
    return meaning, example


def bundled_features() -> list[Path]:
    return sorted(features_dir().rglob("*.feature"))


def feature_steps(path: Path) -> list[Step]:
    """Every step of a feature file as the suite runs it: background steps included, outlines filled in."""
    feature = FeatureParser(str(path.parent), path.name).parse()
    steps: list[Step] = []
    for template in feature.scenarios.values():
        contexts = [context for examples in template.examples for context in examples.as_contexts()]
        if contexts:
            for context in contexts:
                steps.extend(template.render(context).steps)
        else:
            steps.extend(template.steps)
    return steps


def _contexts() -> list[StepFunctionContext]:
    for name in BUNDLED_MODULES:
        importlib.import_module(name)
    found = [c for c in list(step_function_context_registry.values()) if c.step_func.__module__ in BUNDLED_MODULES]
    unique = {id(c.step_func): c for c in found}  # one entry per step function, however often it was imported
    return sorted(
        unique.values(),
        key=lambda c: (BUNDLED_MODULES.index(c.step_func.__module__), c.step_func.__code__.co_firstlineno),
    )


@cache
def bundled_steps() -> tuple[BundledStep, ...]:
    """Every step a scenario can use, in the order the step modules define them."""
    used = [step for path in bundled_features() for step in feature_steps(path)]
    steps: list[BundledStep] = []
    for context in _contexts():
        keyword = context.type or "given"
        text, params = _render(context.parser)
        meaning, doc_example = _doc_parts(context.step_func)
        example = next(
            (
                f"{keyword.capitalize()} {s.name}"
                for s in used
                if s.type == keyword and context.parser.is_matching(s.name)
            ),
            f"{keyword.capitalize()} {doc_example}" if doc_example else "",
        )
        steps.append(
            BundledStep(
                keyword=keyword,
                text=text,
                parameters=params,
                meaning=meaning,
                example=example,
                module=context.step_func.__module__,
                line=context.step_func.__code__.co_firstlineno,
                parser=context.parser,
            )
        )
    return tuple(steps)


SECTIONS = {
    "harness.steps.library": "The user, the app, the rep and the runtime",
    "harness.steps.org_library": "The org: an admin's Setup and rollouts",
    "harness.steps.sandbox_library": "A sandbox-like runtime",
}


def as_text(steps: tuple[BundledStep, ...] | None = None) -> str:
    """The catalogue for a terminal: one block per step."""
    out: list[str] = []
    for step in steps if steps is not None else bundled_steps():
        out.append(step.heading)
        out.append(f"    {step.meaning}")
        for p in step.parameters:
            out.append(f"    <{p.name}>: {p.accepts}")
        out.append(f"    e.g. {step.example}")
        out.append("")
    return "\n".join(out)


def as_markdown(steps: tuple[BundledStep, ...] | None = None) -> str:
    """`docs/steps.md`: the same catalogue, grouped by step module."""
    chosen = steps if steps is not None else bundled_steps()
    out = [
        "# Bundled steps",
        "",
        "Every step a scenario can use, generated from the step definitions by `miaw-harness steps --markdown`",
        "(do not edit by hand). Parameters are shown as `<name>`; `And` and `But` take the keyword before them.",
        "",
    ]
    for module in BUNDLED_MODULES:
        group = [s for s in chosen if s.module == module]
        if not group:
            continue
        out += [f"## {SECTIONS.get(module, module)}", ""]
        for step in group:
            out += [f"### {step.heading}", "", step.meaning, ""]
            for p in step.parameters:
                out.append(f"- `<{p.name}>`: {p.accepts}")
            if step.parameters:
                out.append("")
            out += ["```gherkin", step.example, "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"
