"""The mock MIAW runtime: v1 and v2 REST + SSE with Session-Based Chat semantics, and a control API."""

from __future__ import annotations

from harness.server.app import create_app
from harness.server.config import DeploymentSettings, ServerConfig
from harness.server.serve import RunningServer, start_in_thread
from harness.server.transport import StreamingASGITransport

__all__ = [
    "DeploymentSettings",
    "RunningServer",
    "ServerConfig",
    "StreamingASGITransport",
    "create_app",
    "start_in_thread",
]
