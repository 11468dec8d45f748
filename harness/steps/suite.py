"""The conformance suite: every scenario of the selected feature files (`pytest --pyargs harness.steps.suite`).

The step library is imported here, not registered globally, so that installing the package never adds step
definitions or fixtures to other projects' test sessions.
"""

from __future__ import annotations

from pytest_bdd import scenarios

from harness.steps.library import *  # noqa: F403
from harness.steps.options import feature_paths
from harness.steps.org_library import *  # noqa: F403
from harness.steps.sandbox_library import *  # noqa: F403

MIAW_SUITE = True

scenarios(*(str(p) for p in feature_paths()))
