"""Pre-chat: the user's answers go with the new conversation and with the resend after a 417."""

from __future__ import annotations

import pytest

from harness.timeline import Kind

from .sdk_helpers import in_process

pytestmark = pytest.mark.anyio

FORM = [
    {"name": "Name", "type": "Text", "required": True},
    {"name": "Email", "type": "Email", "required": True},
    {"name": "Order", "type": "Text", "required": False},
]
USER = {"name": "Ada Lovelace", "email": "ada@example.org", "Order": "A-17"}


async def test_answers_by_field_name_then_by_type() -> None:
    async with in_process({"prechat_display": "Conversation", "prechat_fields": FORM}) as rig:
        sim = rig.app("android-1.10", "new-per-launch")
        sim.core.end_user = USER
        await sim.launch()
        assert await sim.core.prechat_values() == {"Name": "Ada Lovelace", "Email": "ada@example.org", "Order": "A-17"}
        await sim.send("hello")
        await sim.settle()
        assert sim.ui.messages[0].state == "sent"


async def test_resend_after_417_carries_the_form_read_from_the_config_after_a_relaunch() -> None:
    settings = {"prechat_display": "Session", "prechat_fields": FORM}
    async with in_process(settings) as rig:
        sim = rig.app("android-1.10", "persist-forever")
        sim.core.end_user = USER
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        await rig.rep_ends_session(sim)
        await sim.relaunch()  # the stored token has no config in memory: the form is read from the public config
        await sim.send("me again")
        await sim.settle()
        assert [m.state for m in sim.ui.messages][-1] == "sent"
        summaries = [s.summary for s in rig.timeline.steps]
        assert any("GET /embeddedservice/v1/embedded-service-config -> 200" in s for s in summaries)
        resent = [s for s in rig.timeline.steps if s.kind is Kind.UI and "new session" in s.summary]
        assert resent and resent[-1].detail == {"fields": ["Email", "Name", "Order"]}


async def test_missing_answers_are_refused_by_the_runtime() -> None:
    async with in_process({"prechat_display": "Conversation", "prechat_fields": FORM}) as rig:
        sim = rig.app("android-1.10", "new-per-launch")  # no answers given
        await sim.launch()
        await sim.send("hello")
        await sim.settle()
        notes = [s.summary for s in rig.timeline.steps if s.kind is Kind.NOTE]
        assert any("missing required pre-chat field" in n for n in notes)
