"""Fixtures of the sandbox tests: a sandbox-like runtime (TLS, no control API) on loopback, and in-process apps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import jwt
import pytest

from harness.sandbox.config import SandboxConfig
from harness.server import (
    DeploymentSettings,
    RunningServer,
    ServerConfig,
    StreamingASGITransport,
    create_app,
    start_in_thread,
)
from harness.server.state import Runtime

IDENTITY_KEY = "sandbox-tests-identity-key-0123456789abcdef"
REQUIRED_FIELD = [{"name": "FirstName", "type": "Text", "required": True}, {"name": "Email", "type": "Email"}]


def sandbox_config() -> ServerConfig:
    """An org with an existing channel (Session-Based Chat off) and new channels to validate."""
    return ServerConfig(
        deployments={
            "Existing_Channel": DeploymentSettings(),
            "New_Channel": DeploymentSettings(channel_type="EmbeddedWeb", session_based_chat=True),
            "Prechat_Session": DeploymentSettings(
                session_based_chat=True, prechat_display="Session", prechat_fields=REQUIRED_FIELD
            ),
            "Prechat_Conversation": DeploymentSettings(prechat_display="Conversation", prechat_fields=REQUIRED_FIELD),
            "Verified_Channel": DeploymentSettings(user_verification=True),
        },
        identity_key=IDENTITY_KEY,
    )


def customer_jwt(exp: int, sub: str = "customer-42") -> str:
    return jwt.encode({"sub": sub, "exp": exp}, IDENTITY_KEY, algorithm="HS256")


@dataclass(frozen=True)
class Sandbox:
    server: RunningServer

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def org_id(self) -> str:
        return self.server.org_id

    @property
    def ca_bundle(self) -> str:
        assert self.server.cert_path is not None
        return str(self.server.cert_path)

    def args(self, deployment: str) -> list[str]:
        return [
            "--scrt-url",
            self.url,
            "--org-id",
            self.org_id,
            "--deployment",
            deployment,
            "--ca-bundle",
            self.ca_bundle,
        ]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with start_in_thread(sandbox_config(), tls=True, control=False) as server:
        yield Sandbox(server)


@dataclass
class InProcess:
    """A sandbox-like app in-process: `http` reaches only the public API; `runtime` is for the test's own checks."""

    http: httpx.AsyncClient
    runtime: Runtime
    config: ServerConfig

    def sandbox_config(self, deployment: str) -> SandboxConfig:
        return SandboxConfig("http://127.0.0.1:9", self.config.org_id, deployment)


@pytest.fixture
async def in_process() -> AsyncIterator[InProcess]:
    config = sandbox_config()
    app = create_app(config, control=False)
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://127.0.0.1:9") as http:
        yield InProcess(http, app.state.runtime, config)
