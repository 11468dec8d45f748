"""Each client runs on a deployment its API version serves (miaw-api.md §11.8): In-App for the v1 SDKs, API for v2."""

from __future__ import annotations

import pytest

from harness.run.cells import Cell
from harness.run.deployments import pick_deployment
from harness.run.judge import Observations
from harness.run.rig import Rig, Target
from harness.run.variants import DEFAULT
from harness.sdk.profiles import load_profiles
from harness.sdk.strategies import load_strategies
from harness.server.config import DEFAULT_DEPLOYMENT, DEFAULT_IN_APP_DEPLOYMENT
from harness.timeline import Kind, Timeline

TYPES = {"Api_One": "API", "Web_One": "Web", "App_One": "InApp"}


@pytest.mark.parametrize(
    ("api", "preferred", "chosen"),
    [
        ("v1", "Api_One", "Web_One"),  # the first deployment v1 serves, in the runtime's order
        ("v1", "App_One", "App_One"),  # the named one, when its type fits
        ("v2", "App_One", "Api_One"),
        ("v2", "Api_One", "Api_One"),
    ],
)
def test_a_deployment_of_the_right_type_is_picked(api: str, preferred: str, chosen: str) -> None:
    assert pick_deployment(api, TYPES, preferred) == chosen


def test_the_named_deployment_is_kept_when_none_fits() -> None:
    """No deployment of the right type: the named one is used, so the runtime's refusal is what the run reports."""
    assert pick_deployment("v1", {"Api_One": "API"}, "Api_One") == "Api_One"
    assert pick_deployment("v2", {}, "Real_Org_Deployment") == "Real_Org_Deployment"  # a real org: no types known


def test_an_unknown_api_version_is_refused() -> None:
    with pytest.raises(ValueError, match="rest_api must be one of v1, v2"):
        pick_deployment("v3", TYPES, "Api_One")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("sdk", "deployment", "token_path"),
    [
        ("ios-1.11", DEFAULT_IN_APP_DEPLOYMENT, "/iamessage/v1/authorization/unauthenticated/persistedToken"),
        ("android-1.0", DEFAULT_IN_APP_DEPLOYMENT, "/iamessage/v1/authorization/unauthenticated/persistedToken"),
        ("web", DEFAULT_DEPLOYMENT, "/iamessage/api/v2/authorization/unauthenticated/access-token"),
    ],
)
async def test_the_run_gives_each_profile_its_deployment(sdk: str, deployment: str, token_path: str) -> None:
    profile = next(p for p in load_profiles() if p.name == sdk)
    strategy = next(s for s in load_strategies() if profile.platform in s.platforms)
    timeline = Timeline()
    rig = await Rig.start(Cell(profile, strategy, DEFAULT), 7, timeline, Observations(), Target())
    try:
        assert rig.deployment == deployment
        await rig.app.launch()
        requests = [s.summary for s in timeline.of(Kind.REQUEST)]
        assert requests[0] == f"POST {token_path} -> 200"
        assert rig.app.subject
    finally:
        await rig.aclose()
