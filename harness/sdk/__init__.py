"""The simulated in-app SDK and the app around it: profiles and strategies as data, a REST + SSE client, a UI."""

from __future__ import annotations

from harness.sdk.app import SettleTimeout, SimulatedApp
from harness.sdk.core import ApiError, CoreClient
from harness.sdk.entries import SdkEntry, surface
from harness.sdk.profiles import Capability, SdkProfile, load_profiles, select_profiles
from harness.sdk.storage import DeviceStorage
from harness.sdk.strategies import (
    AppStrategy,
    FailedSendPolicy,
    IdPolicy,
    compatible,
    load_strategies,
    select_strategies,
)
from harness.sdk.ui import MessageView, UiState

__all__ = [
    "ApiError",
    "AppStrategy",
    "Capability",
    "CoreClient",
    "DeviceStorage",
    "FailedSendPolicy",
    "IdPolicy",
    "MessageView",
    "SdkEntry",
    "SdkProfile",
    "SettleTimeout",
    "SimulatedApp",
    "UiState",
    "compatible",
    "load_profiles",
    "load_strategies",
    "select_profiles",
    "select_strategies",
    "surface",
]
