"""Which deployment a client runs on: one whose type its REST API version serves (miaw-api.md §11.8).

The Salesforce SDKs speak v1, which serves Web and In-App deployments; a custom client speaks v2, which serves API
deployments only. A run against a runtime with several deployments gives each client one it can use; a deployment
the user named explicitly wins when its type fits, and is kept (so the runtime's refusal is the finding) when no
deployment fits.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.server.apiversions import SUPPORTED_TYPES as SERVED_TYPES


def pick_deployment(rest_api: str, types: Mapping[str, str], preferred: str) -> str:
    """The deployment for a client speaking `rest_api`, given each deployment's type (in the runtime's order)."""
    served = SERVED_TYPES.get(rest_api)
    if served is None:
        raise ValueError(f"rest_api must be one of {', '.join(SERVED_TYPES)}, got {rest_api!r}")
    if types.get(preferred) in served:
        return preferred
    return next((name for name, kind in types.items() if kind in served), preferred)
