"""The adapter protocol's pure parts: capability checks and the screen snapshot."""

from __future__ import annotations

from harness.clients.adapter import (
    Capability,
    ClientAdapter,
    ClientMessage,
    ClientUi,
    capabilities_of,
    missing,
    not_applicable_reason,
)
from harness.sdk.app import SimulatedApp
from harness.sdk.ui import UiState


def test_the_simulated_app_is_an_adapter_that_can_do_everything() -> None:
    for member in ("launch", "send", "tap_new_conversation", "reopen_chat", "relaunch", "settle", "subject"):
        assert hasattr(SimulatedApp, member)
    assert capabilities_of(object()) == frozenset(Capability)


def test_missing_capabilities_come_in_a_stable_order_and_read_as_a_reason() -> None:
    declared = {Capability.LAUNCH, Capability.SEND}
    needed = [Capability.RELAUNCH, Capability.SEND, Capability.TAP_NEW_CONVERSATION]
    assert missing(needed, declared) == [Capability.TAP_NEW_CONVERSATION, Capability.RELAUNCH]
    assert (
        not_applicable_reason("browser client 'shop'", needed, declared)
        == "browser client 'shop' cannot tap 'start a new conversation', nor relaunch the app"
    )
    assert not_applicable_reason("x", [Capability.SEND], declared) is None


def test_the_snapshot_reads_like_the_simulated_screen() -> None:
    ui = ClientUi(
        composer="read_only",
        banner="Conversation ended",
        new_conversation_button=True,
        messages=[ClientMessage("m1", "hi", "sent"), ClientMessage("", "yo", "failed")],
    )
    assert not ui.can_type
    assert ui.find("m1") is not None and ui.find("") is None
    assert ui.summary() == (
        "composer read_only; banner 'Conversation ended'; new-conversation button; messages: 1 failed, 1 sent"
    )
    simulated = UiState(composer="read_only", banner="Conversation ended", new_conversation_button=True)
    assert {"composer", "banner", "new_conversation_button", "messages"} <= set(UiState.__slots__)
    assert simulated.composer == ui.composer and isinstance(ui, ClientUi)


def test_runtime_check_accepts_an_object_with_the_actions() -> None:
    class Stub:
        conversation_id = None
        subject = None
        ui = ClientUi()

        async def launch(self) -> None: ...
        async def send(self, text: str) -> ClientMessage:
            return ClientMessage("", text, "failed")

        async def tap_new_conversation(self) -> bool:
            return False

        async def reopen_chat(self) -> None: ...
        async def relaunch(self) -> None: ...
        async def settle(self) -> None: ...

    assert isinstance(Stub(), ClientAdapter)
    assert not isinstance(object(), ClientAdapter)
