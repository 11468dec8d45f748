"""Deployment types and API versions (miaw-api.md §11.8): v2 serves API deployments, v1 serves Web and In-App ones."""

from __future__ import annotations

from typing import Literal

from harness.server.config import DeploymentSettings
from harness.server.state import ApiError

ApiVersion = Literal["v1", "v2"]
SUPPORTED_TYPES: dict[str, tuple[str, ...]] = {"v1": ("Web", "InApp"), "v2": ("API",)}


def unsupported_type_message(deployment_type: str, name: str, version: ApiVersion) -> str:
    """The runtime's refusal text (§11.3 quotes "The deploymentType 'Web' ... isn't supported for this endpoint")."""
    supported = ", ".join(SUPPORTED_TYPES[version])
    return (
        f"The deploymentType '{deployment_type}' of the deployment '{name}' isn't supported for this endpoint. "
        f"Supported deployment types: {supported}."
    )


def check_api_version(settings: DeploymentSettings | None, name: str, version: ApiVersion) -> None:
    """400 when the deployment's type is not served by `version`; an unknown deployment is left to its own check."""
    if settings is None or settings.deployment_type in SUPPORTED_TYPES[version]:
        return
    raise ApiError(400, unsupported_type_message(settings.deployment_type, name, version))
