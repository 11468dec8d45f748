"""Expected outcomes written from sdk-versions.md and miaw-api.md, which the simulator must reproduce.

Each row: an SDK profile and an app strategy, a session ended by someone, the runtime variant, what the composer
shows once the session ended, and how (or whether) the user gets a message through again. The recovery ladder
tries, in order: sending in place, the "Start a new conversation" button, reopening the chat, relaunching the app
(twice). "blocked" means none of them worked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import respx

from harness.sdk.app import SimulatedApp
from harness.sdk.profiles import SdkProfile
from harness.server import RunningServer

from .sdk_helpers import PROFILES, Rig, in_process, over_loopback

pytestmark = pytest.mark.anyio

SBC = "sbc"
SBC_NO_CLOSE_EVENT = "sbc-no-close-event"
NO_SBC = "no-sbc"
VARIANTS: dict[str, dict[str, Any]] = {
    SBC: {"session_based_chat": True, "emit_close_event_on_sbc_end": True},
    SBC_NO_CLOSE_EVENT: {"session_based_chat": True, "emit_close_event_on_sbc_end": False},
    NO_SBC: {"session_based_chat": False},
}


@dataclass(frozen=True)
class Row:
    sdk: str
    app: str
    composer: str  # after the session ended
    outcome: str  # in_place | button | reopen | relaunch | blocked
    why: str
    variant: str = SBC  # the runtime's settings, a key of VARIANTS
    ended_by: str = "Agent"

    @property
    def id(self) -> str:
        return f"{self.sdk}|{self.app}|{self.ended_by}|{self.variant}"

    @property
    def settings(self) -> dict[str, Any]:
        return VARIANTS[self.variant]


EXPECTED = [
    Row("android-1.9", "persist-forever", "enabled", "blocked",
        "§4.3: no status, no typed close or session entries before 1.10; the app reuses the closed id (§0.3)"),
    Row("android-1.9", "persist-forever", "enabled", "blocked", "same, whoever ends the session (HELP-SBC)",
        ended_by="Chatbot"),
    Row("android-1.9", "persist-forever", "enabled", "blocked", "same when the user taps End Chat (1.8+)",
        ended_by="EndUser"),
    Row("android-1.3", "persist-forever", "enabled", "blocked", "§4.3 1.0-1.3: nothing tells the app"),
    Row("ios-1.0", "persist-forever", "enabled", "blocked", "§4.2: status readable but no closed view, id reused"),
    Row("android-1.10", "persist-forever", "hidden", "blocked",
        "§2.9: read-only 'This conversation has ended', but B5 N: no new conversation without app code"),
    Row("ios-1.10", "persist-forever", "hidden", "blocked", "§4.2 1.10: closed state shown, B14 P: app must roll"),
    Row("android-1.10", "persist-forever", "hidden", "blocked",
        "§4.4: 1.10 reads the closed status after SessionStatusChanged(Ended) even without a close event",
        variant=SBC_NO_CLOSE_EVENT),
    Row("android-1.10", "persist-until-closed-event", "hidden", "reopen",
        "§1.5: Expo wrapper clears the id on CloseConversation / SessionStatusChanged(Ended)"),
    Row("android-1.11", "persist-until-closed-event", "hidden", "reopen", "as 1.10 (§2.10 adds no lifecycle change)"),
    Row("android-1.10", "persist-until-closed-event", "hidden", "reopen", "bot end closes too (HELP-SBC)",
        ended_by="Chatbot"),
    Row("android-1.10", "persist-until-closed-event", "hidden", "reopen",
        "SessionStatusChanged(Ended) alone is enough for the Expo wrapper", variant=SBC_NO_CLOSE_EVENT),
    Row("android-1.9", "persist-until-closed-event", "enabled", "blocked",
        "§4.4: the typed entries the wrapper listens for do not exist before 1.10"),
    Row("android-1.9", "persist-until-participants-zero", "enabled", "reopen",
        "§1.5: the heuristic fires on ParticipantChanged(remove), known since 1.0"),
    Row("android-1.9", "new-per-launch", "enabled", "relaunch", "§3.6: a new UUID per launch, so a restart recovers"),
    Row("ios-1.10", "new-per-launch", "hidden", "relaunch", "read-only until the next launch mints a new id"),
    Row("android-1.10", "pick-first-from-list", "hidden", "blocked",
        "§2.10: conversations().firstOrNull() does not filter by status: it keeps picking the closed one"),
    Row("android-1.10", "pick-first-open-from-list", "hidden", "button",
        "§3.6: the sample's closed view offers 'Start a new conversation' with a fresh UUID"),
    Row("android-1.9", "pick-first-open-from-list", "enabled", "in_place",
        "no status to filter on before 1.10, but the app's start-new-conversation policy resends elsewhere"),
    Row("web", "web-storage", "read_only", "reopen",
        "miaw-api.md §5.5/§6: input disabled on CLOSE; on resume no open conversation, stale id wiped"),
    Row("web", "web-storage", "enabled", "reopen",
        "DESIGN.md: the web client turns read-only only on the close event; resume still starts fresh",
        variant=SBC_NO_CLOSE_EVENT),
    Row("android-1.9", "persist-forever", "enabled", "in_place",
        "§4.4 B13: without Session-Based Chat a session end keeps the conversation open", variant=NO_SBC),
    Row("android-1.10", "persist-forever", "enabled", "in_place", "B13 on 1.10 too: not closed, not read-only",
        variant=NO_SBC),
]  # fmt: skip


async def _end_session(rig: Rig, sim: SimulatedApp, by: str) -> None:
    if by == "EndUser":
        assert await sim.end_chat()
        await sim.settle()
    else:
        await rig.rep_ends_session(sim, by)


async def _gets_through(sim: SimulatedApp, text: str) -> bool:
    view = await sim.send(text)
    await sim.settle()
    return view.state == "sent"


async def run_row(rig: Rig, row: Row) -> tuple[str, str]:
    sim = rig.app(row.sdk, row.app)
    await sim.launch()
    assert await _gets_through(sim, "hello")
    first = sim.conversation_id
    await _end_session(rig, sim, row.ended_by)
    composer = sim.ui.composer
    if await _gets_through(sim, "are you still there?"):
        return composer, "in_place"
    if await sim.tap_new_conversation() and await _gets_through(sim, "new conversation"):
        return composer, "button"
    await sim.reopen_chat()
    if await _gets_through(sim, "after reopening"):
        assert sim.conversation_id != first
        return composer, "reopen"
    for _ in range(2):
        await sim.relaunch()
        await sim.settle()
        if await _gets_through(sim, "after relaunch"):
            assert sim.conversation_id != first
            return composer, "relaunch"
    return composer, "blocked"


@pytest.mark.parametrize("row", EXPECTED, ids=lambda r: r.id)
async def test_expected_outcome(row: Row) -> None:
    async with in_process(row.settings) as rig:
        assert await run_row(rig, row) == (row.composer, row.outcome), row.why


LOOPBACK_ROWS = [r for r in EXPECTED if (r.sdk, r.app) in {("android-1.9", "persist-forever"), ("web", "web-storage")}]


@pytest.mark.parametrize("row", LOOPBACK_ROWS, ids=lambda r: r.id)
async def test_expected_outcome_over_loopback(row: Row, loopback: RunningServer) -> None:
    async with over_loopback(loopback.base_url, loopback.org_id, row.settings) as rig:
        assert await run_row(rig, row) == (row.composer, row.outcome), row.why


@pytest.mark.parametrize("row", LOOPBACK_ROWS, ids=lambda r: r.id)
async def test_expected_outcome_behind_respx_routes(row: Row) -> None:
    router = respx.Router(assert_all_called=False)
    async with in_process(row.settings, faults=router) as rig:
        assert await run_row(rig, row) == (row.composer, row.outcome), row.why
    assert router.calls.call_count > 10


def test_every_bundled_strategy_and_closed_aware_release_is_covered() -> None:
    assert {r.app for r in EXPECTED} >= {
        "new-per-launch",
        "persist-forever",
        "persist-until-closed-event",
        "persist-until-participants-zero",
        "pick-first-from-list",
        "pick-first-open-from-list",
        "web-storage",
    }
    assert {"android-1.9", "android-1.10", "ios-1.10", "web"} <= {r.sdk for r in EXPECTED}


MOBILE = [p for p in PROFILES.values() if p.platform != "web"]


@pytest.mark.parametrize("sdk", MOBILE, ids=lambda p: p.name)
async def test_persisting_the_id_forever_blocks_every_mobile_release(sdk: SdkProfile) -> None:
    # §4.4: B10 and B5 are N in every release, so an app that never drops the id keeps the closed one
    row = Row(sdk.name, "persist-forever", "hidden" if sdk.flag("readonly_closed_view") else "enabled", "blocked", "")
    async with in_process(row.settings) as rig:
        assert await run_row(rig, row) == (row.composer, row.outcome)


@pytest.mark.parametrize("sdk", MOBILE, ids=lambda p: p.name)
async def test_a_new_id_per_launch_recovers_on_relaunch_in_every_mobile_release(sdk: SdkProfile) -> None:
    row = Row(sdk.name, "new-per-launch", "hidden" if sdk.flag("readonly_closed_view") else "enabled", "relaunch", "")
    async with in_process(row.settings) as rig:
        assert await run_row(rig, row) == (row.composer, row.outcome)
