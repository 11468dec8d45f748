"""pytest plugin: the switchboard between pytest and the harness (options, fixtures, hooks).

Installed for everyone who installs the package (the `pytest11` entry point), so it stays inert in a session
that does not ask for the conformance suite: no autouse fixture, no file read, options prefixed `--miaw-`.

Each hook delegates to the module that owns the concern: the matrix (`harness.run.cells`), the run (`harness.run.rig`),
the verdict (`harness.run.judge`) and the records the reports are built from (`harness.steps.records`).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from harness.report import outcomes
from harness.run.judge import NeedsRep, NotApplicable
from harness.steps import options, records
from harness.steps.runtime import STATE, RunState, scenario_of

_NO_CELLS = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    options.configure(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    template = scenario_of(metafunc)
    if template is None:
        return
    cells = options.selection(metafunc.config).cells_for(template.tags | template.feature.tags)
    if not cells:
        metafunc.config.stash.setdefault(_NO_CELLS, set()).add(metafunc.definition.nodeid.split("[", 1)[0])
    if "miaw_cell" not in metafunc.fixturenames:
        metafunc.fixturenames.append("miaw_cell")  # only the suite's scenarios use the fixture: no autouse
    metafunc.parametrize("miaw_cell", cells, ids=[c.id for c in cells], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A scenario whose tags select no cell (e.g. @web with no web profile chosen) is deselected, not skipped.
    without = config.stash.get(_NO_CELLS, set())
    empty = [item for item in items if item.nodeid.split("[", 1)[0] in without]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]


@pytest.fixture
def miaw_cell(request: pytest.FixtureRequest) -> Any:
    """The (SDK profile, app strategy, variant) a scenario of the conformance suite runs under."""
    return getattr(request, "param", None)


@pytest.fixture(scope="session")
def miaw_portal() -> Iterator[Any]:
    from anyio.from_thread import start_blocking_portal

    with start_blocking_portal() as portal:
        yield portal


def pytest_bdd_after_step(request: pytest.FixtureRequest, step: Any) -> None:
    state = request.node.stash.get(STATE, None)
    if state is not None:
        state.step_done(step, "passed")


def pytest_bdd_step_error(request: pytest.FixtureRequest, step: Any, exception: BaseException) -> None:
    state = request.node.stash.get(STATE, None)
    if state is not None:
        state.step_done(step, "failed", exception)


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or "miaw_cell" not in callspec.params:
        return  # another project's pytest-bdd scenario: none of the plugin's business
    cell = request.getfixturevalue("miaw_cell")
    if cell is not None:
        request.node.stash[STATE] = RunState.begin(request.node, feature, scenario, cell)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        yield
    except BaseException as exc:
        state = item.stash.get(STATE, None)
        if state is None:
            raise
        state.fail(exc)  # the record says not_applicable / needs_rep / error
        if not isinstance(exc, NotApplicable | NeedsRep):
            raise
    state = item.stash.get(STATE, None)
    if state is not None:
        state.finish_call(options.fail_on(item.config))  # harness.report.outcomes: the one verdict mapping


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    state = item.stash.get(STATE, None)
    if state is not None and call.when == "call":
        record = state.record(report.duration)
        records.write(item.config, record)
        report.user_properties.append((outcomes.VERDICT_PROPERTY, record["verdict"]))
    return report


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    return outcomes.pytest_teststatus(report)


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.items:
        records.write_collected(session.config, len(session.items))
