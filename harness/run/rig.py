"""Everything one scenario run needs, built and torn down together: runtime, clients, app, oracle, journey.

Against the bundled mock the runtime runs in-process behind a streaming ASGI transport, and a rep, a bot, the
clock and faults are played through the control API. Against `--target` the same app talks to that URL; the
control API is used when the target has one (a mock on loopback) and nobody plays the rep otherwise.

A cell with a real client (`run --client`) runs against a mock over real HTTP (the one `run` started, or
`--target`): the runtime is reset for every scenario, the client is opened fresh, and the runtime side is played
through the control API exactly as for a simulated app.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from faker import Faker

from harness.clients.real_app import RealClientApp, record_runtime
from harness.run.cells import Cell
from harness.run.control import ControlClient
from harness.run.deployments import pick_deployment
from harness.run.journey import Journey, Oracle
from harness.run.judge import SEVERITY, NeedsRep, Observations, VerdictResult, judge
from harness.run.oracle import ControlOracle
from harness.run.variants import variants_for
from harness.sandbox.kit import SandboxKit, target_verify
from harness.sdk.app import DeviceStorage, SimulatedApp
from harness.sdk.profiles import SdkProfile, load_profiles
from harness.sdk.strategies import AppStrategy, load_strategies
from harness.timeline import Kind, Timeline

__all__ = ["Rig", "Target"]

IN_PROCESS_URL = "http://miaw.invalid"


@dataclass(frozen=True)
class Target:
    """Where the runtime is: None = the bundled mock, in-process."""

    base_url: str | None = None
    org_id: str | None = None
    deployment: str | None = None
    ca_bundle: str | None = None
    interactive: bool = False  # without a control API: a person plays the rep (harness.sandbox)


def _probe_pair() -> tuple[SdkProfile, AppStrategy]:
    """The client org-level scenarios use to play an end user: the web client and its storage strategy."""
    profile = next(p for p in load_profiles() if p.platform == "web")
    strategy = next(s for s in load_strategies() if "web" in s.platforms)
    return profile, strategy


@dataclass
class Rig:
    cell: Cell
    seed: int
    timeline: Timeline
    obs: Observations
    faker: Faker
    app_http: httpx.AsyncClient
    control_http: httpx.AsyncClient | None
    control: ControlClient | None
    org_id: str
    deployment: str
    app: SimulatedApp | RealClientApp
    journey: Journey
    sandbox: SandboxKit | None = None  # set against a target without control API

    @classmethod
    async def start(cls, cell: Cell, seed: int, timeline: Timeline, obs: Observations, target: Target) -> Rig:
        faker = _faker()
        faker.seed_instance(seed)
        wiring = await _wire(target, timeline)
        if cell.client is not None:
            return await cls._start_client(cell, seed, timeline, obs, target, faker, wiring)
        profile, strategy = cell.profile, cell.strategy
        if profile is None or strategy is None:
            profile, strategy = _probe_pair()
        # The SDKs speak v1 (In-App deployments), the web client v2 (API deployments): §11.8.
        wiring.deployment = pick_deployment(str(profile.flag("rest_api")), wiring.types, wiring.deployment)
        kit = wiring.kit
        app = SimulatedApp(
            profile=profile,
            strategy=strategy,
            http=wiring.app_http,
            org_id=wiring.org_id,
            deployment=wiring.deployment,
            storage=DeviceStorage(),
            timeline=timeline,
            rng=random.Random(kit.app_seed(seed) if kit is not None else seed),
            control=wiring.control,
            end_user={"name": faker.name(), "email": faker.email(), "phone": faker.phone_number()},
        )
        oracle: Oracle
        if kit is not None:
            oracle = kit.attach(lambda: (app.core.subject, app.core.token))
        else:
            assert wiring.control is not None
            oracle = ControlOracle(wiring.control)
        journey = Journey(app=app, oracle=oracle, timeline=timeline, text=lambda: faker.sentence(nb_words=6), obs=obs)
        rig = cls(
            cell,
            seed,
            timeline,
            obs,
            faker,
            wiring.app_http,
            wiring.control_http,
            wiring.control,
            wiring.org_id,
            wiring.deployment,
            app,
            journey,
            sandbox=kit,
        )
        if kit is not None:
            rig.control = kit.control
        elif cell.variant.settings:
            await rig.configure(**dict(cell.variant.settings))
        return rig

    @classmethod
    async def _start_client(
        cls, cell: Cell, seed: int, timeline: Timeline, obs: Observations, target: Target, faker: Faker, wiring: _Wiring
    ) -> Rig:
        """A real client against a mock with a control API: a fresh runtime, then a fresh client."""
        assert cell.client is not None
        control = wiring.control
        if control is None or target.base_url is None:
            for client in (wiring.app_http, wiring.control_http):
                if client is not None:
                    await client.aclose()
            if wiring.kit is not None:
                await wiring.kit.aclose()
            raise NeedsRep(f"{cell.client.label} runs against a miaw-harness mock with its control API only")
        await control.reset()
        adapter = cell.client.open(target.base_url, wiring.org_id, wiring.deployment, control, timeline)
        app = RealClientApp(cell.client, adapter)
        journey = Journey(
            app=app, oracle=ControlOracle(control), timeline=timeline, text=lambda: faker.sentence(nb_words=6), obs=obs
        )
        journey.runtime_record = functools.partial(record_runtime, journey, control)
        await app.start()
        rig = cls(
            cell,
            seed,
            timeline,
            obs,
            faker,
            wiring.app_http,
            wiring.control_http,
            control,
            wiring.org_id,
            wiring.deployment,
            app,
            journey,
        )
        if cell.variant.settings:
            await rig.configure(**dict(cell.variant.settings))
        return rig

    # -- the channel ------------------------------------------------------------------------------------------
    async def save(self, **settings: Any) -> dict[str, Any]:
        control = self.need_control("change the channel's settings")
        self.timeline.add(Kind.CONTROL, "admin", "save channel settings", dict(settings))
        return await control.put_deployment(self.deployment, settings)

    async def publish(self) -> dict[str, Any]:
        control = self.need_control("publish the deployment")
        self.timeline.add(Kind.CONTROL, "admin", "publish the deployment")
        return await control.publish(self.deployment)

    async def configure(self, **settings: Any) -> None:
        await self.save(**settings)
        await self.publish()

    def need_control(self, what: str) -> ControlClient:
        if self.control is None:
            raise NeedsRep(f"nobody can {what} on this target")
        return self.control

    async def aclose(self) -> None:
        await self.app.aclose()
        if self.sandbox is not None:
            await self.sandbox.aclose()  # closes what the run opened on the real org, then its client
        await self.app_http.aclose()
        if self.control_http is not None:
            await self.control_http.aclose()


@dataclass
class _Wiring:
    """How this run reaches the runtime: the app's client, and the control API or the sandbox kit."""

    app_http: httpx.AsyncClient
    control_http: httpx.AsyncClient | None
    control: ControlClient | None
    org_id: str
    deployment: str
    kit: SandboxKit | None = None
    types: Mapping[str, str] = field(default_factory=dict)  # each deployment's type, when the runtime tells


async def _wire(target: Target, timeline: Timeline) -> _Wiring:
    if target.base_url is None:
        from harness.server import ServerConfig, create_app
        from harness.server.transport import StreamingASGITransport

        config = ServerConfig.default()
        asgi = create_app(config)
        control_http = httpx.AsyncClient(transport=StreamingASGITransport(asgi), base_url=IN_PROCESS_URL)
        return _Wiring(
            httpx.AsyncClient(transport=StreamingASGITransport(asgi), base_url=IN_PROCESS_URL),
            control_http,
            ControlClient(control_http),
            config.org_id,
            config.default_deployment,
            types={name: settings.deployment_type for name, settings in config.deployments.items()},
        )
    org_id, deployment = str(target.org_id), str(target.deployment)
    verify: Any = target_verify(target.ca_bundle)
    control_http = httpx.AsyncClient(base_url=target.base_url, verify=verify, timeout=30.0)
    control = ControlClient(control_http)
    types = await _deployment_types(control)
    if types is not None:  # a mock on loopback: reps, bots, clock and faults are played for real
        app_http = httpx.AsyncClient(base_url=target.base_url, verify=verify, timeout=30.0)
        return _Wiring(app_http, control_http, control, org_id, deployment, types=types)
    await control_http.aclose()
    kit = SandboxKit.open(
        target.base_url, org_id, deployment, target.ca_bundle, timeline=timeline, interactive=target.interactive
    )
    return _Wiring(kit.http, None, None, org_id, deployment, kit)


@functools.cache
def _faker() -> Faker:
    """One Faker per process, re-seeded for every run (building one costs more than a whole request)."""
    return Faker()


async def _deployment_types(control: ControlClient) -> dict[str, str] | None:
    """Each deployment's type from the control API; None when the target has no control API (a real org)."""
    try:
        info = await control.info()
    except Exception:
        return None
    deployments = info.get("deployments") if isinstance(info, dict) else None
    types: dict[str, str] = {}
    for name, state in (deployments or {}).items():
        published = state.get("published") if isinstance(state, dict) else None
        if isinstance(published, dict) and isinstance(published.get("deployment_type"), str):
            types[str(name)] = published["deployment_type"]
    return types


async def closing_probe(profile: SdkProfile, strategy: AppStrategy, seed: int, parent: Rig) -> VerdictResult:
    """Run "a rep ends the session under Session-Based Chat, then the user tries to get back" for one client,
    under every closing variant, each on a fresh in-process runtime; the worst verdict wins."""
    worst: VerdictResult | None = None
    for variant in variants_for(["closing"]):
        obs = Observations()
        rig = await Rig.start(Cell(profile, strategy, variant), seed, Timeline(), obs, Target())
        try:
            await rig.configure(session_based_chat=True)
            await rig.journey.open_chat()
            control = rig.need_control("play the rep")
            await control.end_session(str(rig.journey.first_conversation_id), "Agent")
            await rig.journey.settle()
            await rig.journey.recover()
            await rig.journey.audit_messages()
        finally:
            await rig.aclose()
        result = judge(obs)
        parent.timeline.add(
            Kind.NOTE,
            "harness",
            f"{profile.name} x {strategy.name} ({variant.name}): {result.verdict.value}",
            {"reason": result.reason},
        )
        if worst is None or SEVERITY[result.verdict] > SEVERITY[worst.verdict]:
            worst = result
    assert worst is not None
    return worst
