"""What the simulated device keeps across app restarts (the app's preferences and the SDK's own store)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(slots=True)
class DeviceStorage:
    """Plain values that survive `SimulatedApp.relaunch()`; `wipe()` is an uninstall or a storage clear."""

    conversation_id: str | None = None  # the app's stored conversation id (UserDefaults / SharedPreferences / web)
    sdk_conversation_id: str | None = None  # the SDK's own memory of the last conversation (profile flag B10)
    access_token: str | None = None
    subject: str | None = None
    last_event_id: str | None = None
    closed_conversations: tuple[str, ...] | None = None  # the SDK's local store of conversations it saw close

    def wipe(self) -> None:
        for f in fields(self):
            setattr(self, f.name, None)

    def redacted(self) -> dict[str, Any]:
        """For the timeline: everything but the token itself."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if data["access_token"] is not None:
            data["access_token"] = "<redacted>"
        return data
