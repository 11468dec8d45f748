"""The browser adapter drives the demo chat in headless Chromium over real HTTP on loopback.

The runtime side is played through the control API as in simulated runs: a rep accepts the first message
(auto-accept), answers, and ends the session; with Session-Based Chat on, that closes the conversation.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from clients.conftest import sbc_config
from harness.clients.adapter import Capability, ClientAdapter, ClientError, ClientMessage
from harness.clients.browser import BrowserAdapter
from harness.clients.demo_app import add_demo_client, demo_browser_config
from harness.run.control import ControlClient
from harness.server import RunningServer, start_in_thread
from harness.timeline import Kind, Timeline

pytestmark = pytest.mark.anyio


class Chat:
    """One browser on the demo chat, plus the runtime's view of what it did."""

    def __init__(self, app: BrowserAdapter, control: ControlClient, timeline: Timeline) -> None:
        self.app = app
        self.control = control
        self.timeline = timeline

    async def truth(self, conversation_id: str | None = None) -> dict[str, Any]:
        cid = conversation_id or self.app.conversation_id
        assert cid is not None
        found = await self.control.conversation(cid)
        assert found is not None, f"the runtime has no conversation {cid}"
        return found

    async def send_reaching_rep(self, text: str) -> ClientMessage:
        sent = await self.app.send(text)
        await self.app.settle()
        assert sent.id, "the demo chat shows the id it sent the message with"
        conv = await self.truth()
        assert sent.id in {m["id"] for m in conv["messages"]}
        assert any(p["role"] == "Agent" for p in conv["participants"]), conv["participants"]
        assert self.app.ui.find(sent.id) is not None and self.app.ui.find(sent.id).state == "sent"
        return sent

    async def rep_replies(self, text: str) -> None:
        assert self.app.conversation_id is not None
        await self.control.send_message(self.app.conversation_id, "Agent", text)
        await self.app.settle()
        shown = [m for m in self.app.ui.messages if m.text == text]
        assert shown and shown[0].from_role == "Agent" and shown[0].state == "sent"

    async def rep_ends_session(self) -> str:
        cid = self.app.conversation_id
        assert cid is not None
        await self.control.end_session(cid, by="Agent")
        await self.app.settle()
        assert (await self.truth(cid))["state"] == "CLOSED"
        return cid


async def open_chat(server: RunningServer, control: ControlClient, policy: str) -> AsyncIterator[Chat]:
    timeline = Timeline()
    async with BrowserAdapter(demo_browser_config(server.base_url, policy), control=control, timeline=timeline) as app:
        await app.launch()
        yield Chat(app, control, timeline)


@pytest.fixture
async def chat(
    request: pytest.FixtureRequest, demo_server: RunningServer, control: ControlClient
) -> AsyncIterator[Chat]:
    async for opened in open_chat(demo_server, control, request.param):
        yield opened


@pytest.mark.parametrize("chat", ["pick-first-open-from-list"], indirect=True)
async def test_closed_view_offers_a_new_conversation_that_reaches_a_rep(chat: Chat) -> None:
    app = chat.app
    assert isinstance(app, ClientAdapter)
    assert app.ui.composer == "enabled" and app.ui.banner is None and not app.ui.new_conversation_button
    assert app.subject and app.subject.startswith("v2/iamessage/UNAUTH/")
    await chat.send_reaching_rep("Hello, my parcel is late")
    await chat.rep_replies("Sorry to hear that, let me check")
    first = await chat.rep_ends_session()

    assert app.ui.composer == "read_only"
    assert app.ui.banner == "Conversation ended"
    assert app.ui.new_conversation_button

    assert await app.tap_new_conversation()
    await app.settle()
    assert app.conversation_id != first
    assert app.ui.composer == "enabled" and app.ui.banner is None and app.ui.messages == []
    await chat.send_reaching_rep("Still waiting for the parcel")
    assert (await chat.truth())["state"] == "OPEN"
    assert [s.summary for s in chat.timeline.of(Kind.ACTION)][:2] == [
        "launch the app (open the web chat)",
        "type and send 'Hello, my parcel is late'",
    ]


@pytest.mark.parametrize("chat", ["persist-forever"], indirect=True)
async def test_persist_forever_stays_on_the_closed_conversation_across_reopen_and_relaunch(chat: Chat) -> None:
    app = chat.app
    await chat.send_reaching_rep("Hello")
    await chat.rep_replies("Hi, how can I help?")
    closed = await chat.rep_ends_session()
    assert app.ui.composer == "read_only" and app.ui.banner == "Conversation ended"
    assert not app.ui.new_conversation_button

    await app.reopen_chat()
    assert app.conversation_id == closed
    assert app.ui.composer == "read_only", "the list tells the reopened page the conversation ended"
    assert [m.text for m in app.ui.messages] == ["Hello", "Hi, how can I help?"]

    await app.relaunch()
    assert app.conversation_id == closed, "the id survives a browser restart (web storage on the same profile)"
    assert app.ui.composer == "read_only"
    refused = await app.send("Anyone there?")
    assert refused.state == "failed" and refused.id == ""
    assert not await app.tap_new_conversation()


@pytest.mark.parametrize("chat", ["web-storage"], indirect=True)
async def test_web_storage_wipes_the_stale_id_on_reload_and_starts_over(chat: Chat) -> None:
    app = chat.app
    await chat.send_reaching_rep("Hello")
    closed = await chat.rep_ends_session()
    assert app.ui.composer == "read_only"

    await app.reopen_chat()
    assert app.conversation_id != closed
    assert app.ui.composer == "enabled" and app.ui.banner is None
    await chat.send_reaching_rep("Hello again")


@pytest.mark.parametrize("chat", ["new-per-launch"], indirect=True)
async def test_new_per_launch_takes_a_new_id_when_the_page_loads_again(chat: Chat) -> None:
    app = chat.app
    await chat.send_reaching_rep("Hello")
    first = app.conversation_id
    subject = app.subject
    await app.relaunch()
    assert app.conversation_id != first
    assert app.subject == subject, "the token is kept in web storage: same end user"
    assert app.ui.messages == []
    await chat.send_reaching_rep("Hello after a restart")
    assert (await chat.truth(first))["state"] == "OPEN", "the first conversation is left open"


async def test_quiet_screen_settle_without_the_control_api(demo_server: RunningServer, control: ControlClient) -> None:
    """Against a page that does not tell its event ids (or a runtime without control), settle waits for quiet."""
    config = demo_browser_config(demo_server.base_url, "persist-forever")
    async with BrowserAdapter(config) as app:
        assert Capability.EXACT_SETTLE not in app.capabilities
        await app.launch()
        sent = await app.send("Hello")
        await app.settle()
        assert app.conversation_id is not None
        await control.send_message(app.conversation_id, "Agent", "Hello from the rep")
        await app.settle()
        assert [m.text for m in app.ui.messages] == ["Hello", "Hello from the rep"]
        assert app.ui.find(sent.id) is not None


async def test_the_browser_leaves_no_temp_folder_behind(demo_server: RunningServer) -> None:
    """Chromium makes an org.chromium.Chromium.* folder in its TMPDIR and never removes it: it gets a private TMPDIR,
    removed with the browser."""
    async with BrowserAdapter(demo_browser_config(demo_server.base_url, "persist-forever")) as app:
        await app.launch()
        temp_dir = app.temp_dir
        assert temp_dir is not None
        assert any(p.name.startswith("org.chromium.Chromium.") for p in temp_dir.iterdir())
    assert not temp_dir.exists()


async def test_a_chat_on_a_salesforce_scrt_name_reaches_the_mock_over_tls() -> None:
    """Host-resolver rules send *.my.salesforce-scrt.com to the loopback runtime; its certificate names localhost."""
    with start_in_thread(sbc_config(), extend=add_demo_client, tls=True) as server:
        port = server.base_url.rsplit(":", 1)[1]
        config = dataclasses.replace(
            demo_browser_config(f"https://acme.my.salesforce-scrt.com:{port}", "web-storage"),
            args=("--host-resolver-rules=MAP *.my.salesforce-scrt.com 127.0.0.1",),
        )
        async with BrowserAdapter(config) as strict:
            with pytest.raises(ClientError, match=r"did not get ready: .*net::ERR_CERT_"):
                await strict.launch()
        async with (
            httpx.AsyncClient(
                base_url=server.base_url, verify=ssl.create_default_context(cafile=str(server.cert_path))
            ) as http,
            BrowserAdapter(dataclasses.replace(config, ignore_https_errors=True), control=ControlClient(http)) as app,
        ):
            await app.launch()
            sent = await app.send("Hello over TLS")
            await app.settle()
            conv = await ControlClient(http).conversation(app.conversation_id or "")
            assert conv is not None and sent.id in {m["id"] for m in conv["messages"]}


async def test_a_send_that_moves_the_page_to_a_new_conversation_is_read_back(
    demo_server: RunningServer, control: ControlClient
) -> None:
    """No close event: the page stays writable on the closed conversation; its send is refused, and the page
    (failed sends start a new conversation) redraws its list for the new one with the message in it. The adapter
    must find the message there rather than wait for the list to grow."""
    await control.configure("MIAW_Web", {"emit_close_event_on_sbc_end": False})
    async for chat in open_chat(demo_server, control, "pick-first-open-from-list"):
        app = chat.app
        await chat.send_reaching_rep("Hello, my parcel is late")
        await chat.rep_replies("Sorry to hear that")
        closed = await chat.rep_ends_session()
        assert app.ui.composer == "enabled"  # the page never heard of the close
        sent = await app.send("Anyone there?")
        await app.settle()
        assert sent.text == "Anyone there?" and sent.state == "sent" and sent.id
        assert app.conversation_id != closed
        assert [m.text for m in app.ui.messages] == ["Anyone there?"]
        assert sent.id in {m["id"] for m in (await chat.truth())["messages"]}
