"""Every bundled step in one import, for a team's own pytest-bdd test module:

    from pytest_bdd import scenarios

    from harness.steps.bundled import *  # noqa: F403

    scenarios("features")

The scenarios then run under each selected (SDK profile, app strategy, variant) cell, exactly as the bundled suite's.
"""

from __future__ import annotations

from harness.steps.library import *  # noqa: F403
from harness.steps.org_library import *  # noqa: F403
from harness.steps.sandbox_library import *  # noqa: F403
