"""Steps of the sandbox features: a sandbox-like runtime on loopback, validated through the public API only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from harness.sandbox.budget import Budget
from harness.sandbox.config import SandboxConfig
from harness.sandbox.preflight import Validation, run_validation
from harness.sandbox.probe import SbcState
from harness.sandbox.waiter import Waiter
from harness.server import DeploymentSettings, RunningServer, ServerConfig, start_in_thread
from harness.steps.runtime import STATE
from harness.timeline import Kind

EXISTING_CHANNEL = "Existing_Channel"
NEW_CHANNEL = "New_Sandbox_Channel"


@dataclass
class SandboxOrg:
    """The sandbox-like runtimes a scenario started (stopped at teardown) and the last validation."""

    servers: list[RunningServer] = field(default_factory=list)
    validation: Validation | None = None

    @property
    def server(self) -> RunningServer:
        assert self.servers, "no sandbox-like runtime was started"
        return self.servers[-1]

    def result(self) -> Validation:
        assert self.validation is not None, "the validation did not run"
        return self.validation


@pytest.fixture
def sandbox_org() -> Iterator[SandboxOrg]:
    org = SandboxOrg()
    try:
        yield org
    finally:
        for server in org.servers:
            server.stop()


def _state(request: pytest.FixtureRequest) -> Any:
    return request.node.stash.get(STATE, None)


def _timeline(request: pytest.FixtureRequest) -> Any:
    state = _state(request)
    return None if state is None else state.timeline


@given(parsers.re(r"a sandbox-like runtime with a new channel that has Session-Based Chat (?P<setting>on|off)"))
def _(sandbox_org: SandboxOrg, request: pytest.FixtureRequest, setting: str) -> None:
    """Starts a sandbox-like runtime on loopback with a new published channel."""
    config = ServerConfig(
        deployments={
            EXISTING_CHANNEL: DeploymentSettings(),
            NEW_CHANNEL: DeploymentSettings(channel_type="EmbeddedWeb", session_based_chat=setting == "on"),
        }
    )
    server = start_in_thread(config, tls=True, control=False)
    sandbox_org.servers.append(server)
    timeline = _timeline(request)
    if timeline is not None:
        timeline.add(Kind.CONTROL, "admin", f"new channel {NEW_CHANNEL} with Session-Based Chat {setting}, published")


@when("the validation probe runs against the new channel through the public API")
def _(sandbox_org: SandboxOrg, miaw_portal: Any, request: pytest.FixtureRequest) -> None:
    """Runs the validation probe against the new channel through the public API only."""
    server = sandbox_org.server
    assert server.cert_path is not None
    config = SandboxConfig(server.base_url, server.org_id, NEW_CHANNEL, server.cert_path)
    # The loopback runtime answers synchronously: one look after the session end is enough.
    state = _state(request)
    seed = None if state is None else state.seed
    validation: Validation = miaw_portal.call(
        run_validation, config, Budget(100, 100.0), "any", seed, None, Waiter(timeout_s=0.0)
    )
    sandbox_org.validation = validation
    if state is not None:
        # The runtime's port and certificate path change from run to run: the evidence names them generically.
        def same_every_run(text: str) -> str:
            return text.replace(server.base_url, "https://<sandbox>").replace(str(server.cert_path), "<ca-bundle>")

        for check in validation.checks:
            state.timeline.add(Kind.NOTE, "harness", same_every_run(f"{check.status} {check.name}: {check.detail}"))
        state.timeline.add(Kind.NOTE, "harness", same_every_run(f"summary: {validation.summary}"))


@then(parsers.re(r"it reports Session-Based Chat (?P<state>in effect|not in effect) on the new channel"))
def _(sandbox_org: SandboxOrg, state: str) -> None:
    """Checks what the validation reported about Session-Based Chat on the new channel."""
    validation = sandbox_org.result()
    wanted = SbcState.IN_EFFECT if state == "in effect" else SbcState.NOT_IN_EFFECT
    assert validation.session_based_chat is wanted, validation.to_text()
    assert validation.ok, validation.to_text()
    assert validation.target["deployment"] == NEW_CHANNEL


@then("the probe saw the conversation listed as closed and a new message refused")
def _(sandbox_org: SandboxOrg) -> None:
    """Checks that the probe saw the conversation listed as closed and a new message refused."""
    probe = sandbox_org.result().probe
    assert probe is not None and probe.listed_closed is True and probe.send_refused is True, probe


@then("the fix says to select End chat when session ends, save, and publish the deployment")
def _(sandbox_org: SandboxOrg) -> None:
    """Checks that the fix names the Setup steps and the channel."""
    fixes = " ".join(sandbox_org.result().fixes)
    for needed in ("Messaging Settings", "select End chat when session ends", "save", "Publish", NEW_CHANNEL):
        assert needed in fixes, fixes


@then("the probe left no conversation open")
def _(sandbox_org: SandboxOrg) -> None:
    """Checks that the probe closed what it opened."""
    validation = sandbox_org.result()
    assert validation.cleanup.failed == [], validation.cleanup.failed
    probe = validation.probe
    assert probe is not None
    if probe.listed_closed:
        assert validation.cleanup.closed == [], "the runtime had already closed it"
    else:
        assert validation.cleanup.closed == [probe.conversation_id]
