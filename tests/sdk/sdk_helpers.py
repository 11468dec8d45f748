"""Factories of the SDK tests: a runtime (in-process, loopback or behind respx routes) and apps on it."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx
import respx

from harness.run.control import ControlClient
from harness.run.deployments import pick_deployment
from harness.sdk.app import SimulatedApp
from harness.sdk.profiles import Capability, SdkProfile, load_profiles
from harness.sdk.storage import DeviceStorage
from harness.sdk.strategies import AppStrategy, FailedSendPolicy, IdPolicy, load_strategies
from harness.server import ServerConfig, StreamingASGITransport, create_app
from harness.server.config import DEFAULT_DEPLOYMENT, DEFAULT_IN_APP_DEPLOYMENT
from harness.timeline import Timeline

DEPLOYMENT = DEFAULT_DEPLOYMENT  # API type: the v2 web client's
IN_APP = DEFAULT_IN_APP_DEPLOYMENT  # In-App type: the v1 SDKs'
DEPLOYMENTS = {DEPLOYMENT: "API", IN_APP: "InApp"}
PROFILES = {p.name: p for p in load_profiles()}
STRATEGIES = {s.name: s for s in load_strategies()}


def profile(name: str, **flags: bool | str | int) -> SdkProfile:
    """A bundled profile, with `flags` overridden (evidence "unknown": a what-if, not a fact)."""
    base = PROFILES[name]
    if not flags:
        return base
    caps = dict(base.capabilities)
    for key, value in flags.items():
        assert key in caps, key
        caps[key] = Capability(value, "unknown", "test override")
    return dataclasses.replace(base, name=f"{name}+{','.join(flags)}", capabilities=MappingProxyType(caps))


def strategy(name: str, **fields: Any) -> AppStrategy:
    """A bundled strategy with `fields` replaced (policy names as strings are turned into their enums)."""
    if "on_failed_send" in fields:
        fields["on_failed_send"] = FailedSendPolicy(fields["on_failed_send"])
    if "id_policy" in fields:
        fields["id_policy"] = IdPolicy(fields["id_policy"])
    return dataclasses.replace(STRATEGIES[name], **fields) if fields else STRATEGIES[name]


@dataclass
class Rig:
    """One runtime and the device(s) talking to it."""

    http: httpx.AsyncClient
    control: ControlClient
    org_id: str
    timeline: Timeline = field(default_factory=Timeline)
    apps: list[SimulatedApp] = field(default_factory=list)

    def app(
        self,
        sdk: SdkProfile | str,
        app: AppStrategy | str,
        *,
        storage: DeviceStorage | None = None,
        seed: int = 7,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        control: bool = True,
    ) -> SimulatedApp:
        chosen = profile(sdk) if isinstance(sdk, str) else sdk
        sim = SimulatedApp(
            profile=chosen,
            strategy=strategy(app) if isinstance(app, str) else app,
            http=self.http,
            org_id=self.org_id,
            deployment=pick_deployment(str(chosen.flag("rest_api")), DEPLOYMENTS, DEPLOYMENT),
            storage=storage if storage is not None else DeviceStorage(),
            timeline=self.timeline,
            rng=random.Random(seed),
            control=self.control if control else None,
            sleep=sleep,
        )
        self.apps.append(sim)
        return sim

    async def configure(self, **settings: Any) -> None:
        """The same channel settings on both deployments, so v1 and v2 clients meet the same channel."""
        for name in DEPLOYMENTS:
            await self.control.configure(name, settings)

    async def rep_ends_session(self, sim: SimulatedApp, by: str = "Agent") -> None:
        assert sim.conversation_id is not None
        await self.control.end_session(sim.conversation_id, by)
        await sim.settle()


@asynccontextmanager
async def in_process(
    settings: Mapping[str, Any] | None = None, *, faults: respx.Router | None = None
) -> AsyncIterator[Rig]:
    """A fresh runtime over the streaming in-process transport (optionally behind respx fault routes)."""
    config = ServerConfig.default()
    asgi = StreamingASGITransport(create_app(config))
    transport: httpx.AsyncBaseTransport = asgi
    if faults is not None:
        faults.route(name="runtime").mock(side_effect=asgi.handle_async_request)
        transport = httpx.MockTransport(faults.async_handler)
    async with httpx.AsyncClient(transport=transport, base_url="http://miaw.test") as http:
        rig = Rig(http, ControlClient(http), config.org_id)
        if settings:
            await rig.configure(**settings)
        try:
            yield rig
        finally:
            for sim in rig.apps:
                await sim.aclose()


@asynccontextmanager
async def over_loopback(base_url: str, org_id: str, settings: Mapping[str, Any] | None = None) -> AsyncIterator[Rig]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as http:
        rig = Rig(http, ControlClient(http), org_id)
        await rig.control.reset()
        if settings:
            await rig.configure(**settings)
        try:
            yield rig
        finally:
            for sim in rig.apps:
                await sim.aclose()


class Fault:
    """A respx side effect that is off until armed: then it answers (or raises) for `times` calls.

    When off it returns None, which respx reads as "not mine": the next route, the runtime, answers.
    """

    def __init__(self) -> None:
        self.left = 0
        self.status = 503
        self.error: Exception | None = None
        self.hits = 0

    def arm(self, times: int, status: int = 503, error: Exception | None = None) -> None:
        self.left, self.status, self.error = times, status, error

    def __call__(self, request: httpx.Request) -> httpx.Response | None:
        if self.left <= 0:
            return None
        self.left -= 1
        self.hits += 1
        if self.error is not None:
            raise self.error
        return httpx.Response(self.status, json={"message": f"injected {self.status}"})
