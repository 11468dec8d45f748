"""The simulated SDK over both API versions against `miaw-harness serve` (miaw-api.md §11.8, §11.5, §11.4).

The iOS and Android profiles speak v1 on the runtime's In-App deployment, the web profile v2 on its API deployment.
Each completes the whole lifecycle against a real `serve` process, over plain HTTP and over TLS: token, create,
send and its echo, a rep joins and replies, the rep ends the session (Session-Based Chat closes the conversation),
the app handles the close, and the user starts a new conversation. A v1 client that breaks v1's rules gets §11's
answers: an extra property or a v2-only field is a 400 naming the key, an 18-character `X-Org-Id` on the event
router a 400 quoting both ids, a missing one 400 "OrgId is required".
"""

from __future__ import annotations

import os
import random
import signal
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from harness.run.control import ControlClient
from harness.sdk.app import SimulatedApp
from harness.sdk.core import ApiError
from harness.sdk.dialect_v1 import V1, V1CoreClient
from harness.sdk.storage import DeviceStorage
from harness.timeline import Kind, Timeline
from harness.wire import Role, new_uuid

from .sdk_helpers import DEPLOYMENT, IN_APP, profile, strategy

pytestmark = pytest.mark.anyio

STOP_WAIT_S = 60.0  # a hang guard only
SBC = {"session_based_chat": True, "emit_close_event_on_sbc_end": True}  # the lifecycle reads the close event


@dataclass(frozen=True)
class Served:
    """A `miaw-harness serve` process as its banner describes it."""

    base_url: str
    org_id: str
    banner: dict[str, str]
    verify: ssl.SSLContext | bool


def _banner(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    lines: dict[str, str] = {}
    for line in process.stdout:
        key, _, value = line.partition(":")
        lines[key.strip()] = value.strip()
        if key.strip() == "control":
            return lines
    raise AssertionError(f"serve ended early: {process.communicate(timeout=STOP_WAIT_S)}")


@pytest.fixture(scope="module", params=["http", "https"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`miaw-harness serve --port 0` (with `--tls` for https) in its own process, stopped with SIGTERM."""
    tls = request.param == "https"
    env = dict(os.environ, TMPDIR=str(tmp_path_factory.mktemp("serve")))
    argv = [sys.executable, "-m", "harness", "serve", "--port", "0", *(["--tls"] if tls else [])]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = _banner(process)
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=banner["CA bundle"]) if tls else False
        yield Served(banner["base URL"], banner["org id"], banner, verify)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@asynccontextmanager
async def _client(served: Served, settings: dict[str, Any]) -> AsyncIterator[tuple[httpx.AsyncClient, ControlClient]]:
    async with httpx.AsyncClient(base_url=served.base_url, verify=served.verify, timeout=10.0) as http:
        control = ControlClient(http)
        await control.reset()
        for name in (DEPLOYMENT, IN_APP):
            await control.configure(name, settings)
        yield http, control


def _paths(timeline: Timeline) -> list[str]:
    """The path of every REST request the app made, without the query string."""
    return [s.summary.split(" ")[1].split("?")[0] for s in timeline.of(Kind.REQUEST)]


def test_serve_names_a_deployment_for_each_api_version(served: Served) -> None:
    """§11.8: `serve` offers an API deployment (v2 custom clients) and an In-App one (the v1 SDKs) by default."""
    assert served.banner["deployment"] == DEPLOYMENT
    assert served.banner["deployments"] == f"{DEPLOYMENT} (API, v2), {IN_APP} (InApp, v1)"


@pytest.mark.parametrize(
    ("sdk", "app", "api", "deployment"),
    [
        ("ios-1.11", "persist-until-closed-event", "/iamessage/v1/", IN_APP),
        ("android-1.11", "persist-until-closed-event", "/iamessage/v1/", IN_APP),
        ("web", "web-storage", "/iamessage/api/v2/", DEPLOYMENT),
    ],
)
async def test_the_whole_lifecycle_over_each_api_version(
    served: Served, sdk: str, app: str, api: str, deployment: str
) -> None:
    """§11.8: the SDK profiles complete the lifecycle over v1, the web client over v2, on loopback and over TLS."""
    async with _client(served, SBC) as (http, control):
        timeline = Timeline()
        sim = SimulatedApp(
            profile=profile(sdk),
            strategy=strategy(app, new_conversation_button=True),
            http=http,
            org_id=served.org_id,
            deployment=deployment,
            storage=DeviceStorage(),
            timeline=timeline,
            rng=random.Random(11),
            control=control,
        )
        try:
            await sim.launch()  # token (+ the stream)
            sent = await sim.send("hello over " + api)  # create + send
            await sim.settle()
            assert sent.state == "sent"  # the echo came back on the stream
            first = sim.conversation_id
            assert first is not None

            await control.add_participant(first, "Agent", "Rep Two")  # a rep joins and replies
            await control.send_message(first, "Agent", "how can I help?")
            assert await sim.typing(True) is True
            await sim.settle()
            reply = next(m for m in sim.ui.messages if m.text == "how can I help?")
            assert reply.from_role == Role.AGENT.value and reply.state == "sent"
            await sim.core.acknowledge(first, reply.id, read=False)
            await sim.core.acknowledge(first, reply.id, read=True)

            await control.end_session(first, "Agent")  # Session-Based Chat closes the conversation too
            await sim.settle()
            runtime_view = await control.conversation(first)
            assert runtime_view is not None and runtime_view["state"] == "CLOSED"
            assert runtime_view["deployment"] == deployment
            assert [m["text"] for m in runtime_view["messages"]] == [sent.text, "how can I help?"]
            assert not sim.ui.can_type and sim.ui.new_conversation_button  # the app handled the close

            assert await sim.tap_new_conversation()  # a new conversation on the same identity
            again = await sim.send("and again")
            await sim.settle()
            assert again.state == "sent"
            second = sim.conversation_id
            assert second is not None and second != first
            second_view = await control.conversation(second)
            assert second_view is not None and second_view["state"] == "OPEN"
        finally:
            await sim.aclose()
        paths = _paths(timeline)
        rest = [p for p in paths if p.startswith("/iamessage/")]
        assert rest and all(p.startswith(api) for p in rest), rest  # one API version only
        statuses = [int(s.detail["status"]) for s in timeline.of(Kind.REQUEST) if "status" in s.detail]
        assert all(200 <= status < 300 for status in statuses), statuses


async def _v1_client(http: httpx.AsyncClient, served: Served) -> V1CoreClient:
    core = V1CoreClient(
        http=http,
        org_id=served.org_id,
        deployment=IN_APP,
        timeline=Timeline(),
        rng=random.Random(5),
        platform="ios",
    )
    await core.new_token()
    return core


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("colour", "red", 'Unrecognized field "colour" in the create conversation request (allowed:'),
        ("esDeveloperName", IN_APP, 'Unrecognized field "esDeveloperName"'),
    ],
)
async def test_a_v1_body_with_an_extra_or_v2_only_field_is_a_400(
    served: Served, field: str, value: str, fragment: str
) -> None:
    """§11.5: v1 bodies are strict; an extra property and a v2-only field (esDeveloperName on create) are 400."""
    async with _client(served, {}) as (http, control):
        core = await _v1_client(http, served)
        cid = new_uuid()
        with pytest.raises(ApiError) as refused:
            await core.request("POST", f"{V1}/conversation", body={"conversationId": cid, field: value})
        assert refused.value.status == 400
        assert fragment in refused.value.message
        assert await control.conversation(cid) is None  # nothing was created
        await core.create_conversation(cid)  # the same create without the field goes through
        assert await control.conversation(cid) is not None


async def test_a_v1_message_in_the_v2_wrapper_is_a_400(served: Served) -> None:
    """§11.5, §11.8: the v2 `message` wrapper (a v2-only field) on a v1 send is refused, the flat body is not."""
    async with _client(served, {}) as (http, _):
        core = await _v1_client(http, served)
        cid = new_uuid()
        await core.create_conversation(cid)
        wrapped = {"message": {"id": new_uuid(), "messageType": "StaticContentMessage"}}
        with pytest.raises(ApiError) as refused:
            await core.request("POST", f"{V1}/conversation/{cid}/message", body=wrapped)
        assert refused.value.status == 400 and 'Unrecognized field "message"' in refused.value.message
        await core.send_message(cid, new_uuid(), "flat")


@pytest.mark.parametrize("header", ["18", "missing"])
async def test_the_event_router_answers_a_v1_client_as_section_11_4_says(served: Served, header: str) -> None:
    """§11.4: the token carries the 15-character org id; an 18-character `X-Org-Id` gets 400 quoting both, a
    missing one 400 "OrgId is required"."""
    async with _client(served, {}) as (http, _):
        core = await _v1_client(http, served)
        org18 = served.org_id if len(served.org_id) == 18 else served.org_id + "AAA"
        headers = {"Authorization": f"Bearer {core.token}", "Accept": "text/event-stream"}
        if header == "18":
            headers["X-Org-Id"] = org18
        response = await http.get("/eventrouter/v1/sse", headers=headers)
        assert response.status_code == 400
        message = response.json()["message"]
        if header == "18":
            assert message == (
                f"OrgId in the header and token must match, but got '{org18}' in the header and "
                f"'{org18[:15]}' in the token"
            )
        else:
            assert message == "OrgId is required"
