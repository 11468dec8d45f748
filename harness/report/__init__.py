"""Results of a conformance run and the reports rendered from them."""

from __future__ import annotations

from harness.report.compare import Change, Direction, compare_runs, compare_versions, version_steps
from harness.report.directory import FILES, check_out_dir, render_files, write_report
from harness.report.readiness import Readiness, assess, read_install_base
from harness.report.results import (
    SCHEMA,
    Cell,
    Profile,
    Results,
    Run,
    Scenario,
    Verdict,
    aggregate,
    load_runs,
    read_results,
    write_results,
)

__all__ = [
    "FILES",
    "SCHEMA",
    "Cell",
    "Change",
    "Direction",
    "Profile",
    "Readiness",
    "Results",
    "Run",
    "Scenario",
    "Verdict",
    "aggregate",
    "assess",
    "check_out_dir",
    "compare_runs",
    "compare_versions",
    "load_runs",
    "read_install_base",
    "read_results",
    "render_files",
    "version_steps",
    "write_report",
    "write_results",
]
