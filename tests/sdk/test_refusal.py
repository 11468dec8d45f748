"""What each SDK does with a refused send (400, 401, 403; miaw-api.md §11.1), as data and as behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.sdk.datafile import DataFileError
from harness.sdk.profiles import load_profiles, parse_profile
from harness.sdk.refusal import Reaction, flag_name, reacts_differently, refusal
from harness.timeline import Kind

from .sdk_helpers import PROFILES, in_process, profile

pytestmark = pytest.mark.anyio

CLOSED_AWARE = ("ios-1.10", "ios-1.11", "android-1.10", "android-1.11")


def test_every_bundled_profile_says_what_it_does_with_400_401_and_403() -> None:
    for p in load_profiles():
        table = {s: refusal(p, s) for s in (400, 401, 403)}
        assert all(r.evidence in ("documented", "inferred", "unknown") and r.source for r in table.values()), p.name
        if p.platform == "web":
            # The web sample's error map (§3.8): 401 cleans up and closes, 400 is a bad request, 403 is unhandled.
            assert [table[s].reaction for s in (400, 401, 403)] == [
                Reaction.GENERIC_FAILURE,
                Reaction.TREAT_AS_CLOSED,
                Reaction.GENERIC_FAILURE,
            ]
            assert (table[401].evidence, table[403].evidence) == ("documented", "inferred")
        else:
            assert table[401].reaction is Reaction.RENEW_AND_RETRY and table[401].evidence == "inferred"
            assert table[400].reaction is table[403].reaction is Reaction.GENERIC_FAILURE
            # sdk-versions.md §5 Q3: nobody knows whether a closed-aware SDK re-reads the status on a 403.
            assert table[403].evidence == ("unknown" if p.name in CLOSED_AWARE else "inferred"), p.name


def test_statuses_without_a_flag_are_generic_failures() -> None:
    web = PROFILES["web"]
    assert refusal(web, 409).reaction is Reaction.GENERIC_FAILURE and refusal(web, 409).evidence == "inferred"
    assert not reacts_differently(web, 400, 403) and reacts_differently(web, 401, 403)
    assert reacts_differently(PROFILES["ios-1.0"], 401, 403) and not reacts_differently(PROFILES["ios-1.0"], 400, 403)


def test_a_profile_cannot_claim_a_plain_failure_on_401_or_a_renewal_on_403(tmp_path: Path) -> None:
    """The core renews on every 401, so `generic_failure` is not a 401 choice; renewing is a 401 reaction only."""
    source = PROFILES["android-1.9"].path
    assert source is not None
    import tomllib

    data = tomllib.loads(source.read_text(encoding="utf-8"))
    for status, value in ((401, "generic_failure"), (403, "renew_and_retry")):
        bad = {**data, "capabilities": {**data["capabilities"]}}
        bad["capabilities"][flag_name(status)] = {"value": value, "evidence": "inferred", "source": "test"}
        with pytest.raises(DataFileError, match=f"capabilities.{flag_name(status)}.value"):
            parse_profile(tmp_path / "bad.toml", bad)


async def _send_after_a_silent_close(sdk: str | object, status: int, app: str) -> tuple[str, str, list[str]]:
    """Session-Based Chat without a close event: a rep ends the session, then the user sends."""
    settings = {"session_based_chat": True, "emit_close_event_on_sbc_end": False, "closed_send_status": status}
    async with in_process(settings) as rig:
        sim = rig.app(sdk, app)  # type: ignore[arg-type]
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        view = await sim.send("still there?")
        notes = [s.summary for s in rig.timeline.of(Kind.NOTE)]
        return view.state, sim.ui.composer, [n for n in notes if "refused with" in n or "renewed" in n]


async def test_the_web_client_takes_a_401_as_the_end_and_a_403_as_a_failed_send() -> None:
    """The closed-send status changes what the web client shows: the variant is not a no-op."""
    state, composer, notes = await _send_after_a_silent_close("web", 401, "web-storage")
    assert state == "failed" and composer == "read_only"
    assert "app knows the conversation is closed (the send was refused with 401)" in notes
    state, composer, notes = await _send_after_a_silent_close("web", 403, "web-storage")
    assert state == "failed" and composer == "enabled" and notes == []


async def test_a_mobile_sdk_renews_its_token_on_401_and_then_fails_the_entry() -> None:
    state, composer, notes = await _send_after_a_silent_close("android-1.9", 401, "persist-forever")
    assert state == "failed" and composer == "enabled"
    assert "access token renewed (same identity)" in notes and not any("refused with" in n for n in notes)


async def test_a_profile_that_takes_403_as_closed_learns_it_from_the_refusal() -> None:
    """A what-if: an SDK that knows nothing of the close (Android before 1.10) but takes a 403 as the end."""
    what_if = profile("android-1.9", send_refusal_403="treat_as_closed")
    state, _, notes = await _send_after_a_silent_close(what_if, 403, "persist-until-closed-event")
    assert state == "failed"
    assert "app knows the conversation is closed (the send was refused with 403)" in notes
    state, _, notes = await _send_after_a_silent_close("android-1.9", 403, "persist-until-closed-event")
    assert state == "failed" and notes == []
