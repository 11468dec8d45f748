"""The Session-Based Chat probe over the public API only, against a sandbox-like runtime with no control API."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest

from harness.sandbox.preflight import new_core
from harness.sandbox.probe import PROBE_TEXT, SbcState, placeholder_prechat, probe_session_based_chat
from harness.sandbox.waiter import Waiter

from .conftest import InProcess

pytestmark = pytest.mark.anyio

ONCE = Waiter(timeout_s=0.0)  # the in-process runtime answers synchronously: one look is enough


async def _probe(env: InProcess, deployment: str, http: httpx.AsyncClient | None = None) -> Any:
    http = http or env.http
    core = new_core(env.sandbox_config(deployment), http, random.Random(7))
    await core.new_token()
    es_config = await _config(http, env, deployment)
    return await probe_session_based_chat(core, http, es_config, rng=random.Random(7), waiter=ONCE), core


async def _config(http: httpx.AsyncClient, env: InProcess, deployment: str) -> dict[str, Any]:
    body = {"orgId": env.config.org_id, "esDeveloperName": deployment}
    data = (await http.post("/iamessage/api/v2/authorization/unauthenticated/access-token", json=body)).json()
    return dict(data["context"]["configuration"]["embeddedServiceConfig"])


@pytest.mark.parametrize(
    ("deployment", "state", "closed", "send_status"),
    [
        ("New_Channel", SbcState.IN_EFFECT, True, 403),  # the runtime's default closed-send status (§11.1)
        ("Existing_Channel", SbcState.NOT_IN_EFFECT, False, 202),
        ("Prechat_Session", SbcState.IN_EFFECT, True, 403),
        ("Prechat_Conversation", SbcState.NOT_IN_EFFECT, False, 202),
    ],
)
async def test_the_probe_tells_whether_session_based_chat_is_in_effect(
    in_process: InProcess, deployment: str, state: SbcState, closed: bool, send_status: int
) -> None:
    result, core = await _probe(in_process, deployment)
    assert result.state is state, result.notes
    assert result.end_session_status == 200 and result.listed_closed is closed
    assert result.send_after_status == send_status and result.session_ended_entry is True
    conv = in_process.runtime.conversations[str(result.conversation_id)]
    assert conv.closed is closed and conv.subject == core.subject
    texts = [m["text"] for m in conv.to_control()["messages"] if m["role"] == "EndUser"]
    assert texts[0] == PROBE_TEXT


async def test_a_runtime_that_lists_closed_but_accepts_messages_is_inconsistent(in_process: InProcess) -> None:
    async def lying_list(request: httpx.Request) -> httpx.Response:
        response = await in_process.http.send(request)
        if request.url.path.endswith("/conversation/list"):
            data = response.json()
            for conv in data["conversations"]:
                conv["endTimestamp"] = 1
            return httpx.Response(200, json=data)
        return response

    async with httpx.AsyncClient(transport=httpx.MockTransport(lying_list), base_url="http://127.0.0.1:9") as http:
        result, _ = await _probe(in_process, "Existing_Channel", http)
    assert result.state is SbcState.INCONSISTENT
    assert "closed but a message to it was accepted" in result.notes[-1]


async def test_a_refused_session_end_leaves_the_state_unknown(in_process: InProcess) -> None:
    async def no_session_end(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE" and request.url.path.endswith("/session"):
            return httpx.Response(404, json={"message": "no such endpoint"})
        return await in_process.http.send(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(no_session_end), base_url="http://127.0.0.1:9") as http:
        result, _ = await _probe(in_process, "New_Channel", http)
    assert result.state is SbcState.UNKNOWN and result.end_session_status == 404
    assert "ending the session as the end user was refused: 404" in result.notes[0]


@pytest.mark.parametrize(
    ("forms", "values"),
    [
        ([], {}),
        (
            [{"formType": "PreChat", "formFields": [{"name": "A", "type": "Email", "required": True}]}],
            {"A": "probe@example.invalid"},
        ),
        ([{"formType": "PreChat", "formFields": [{"name": "B", "type": "Checkbox", "required": False}]}], {}),
        ([{"formType": "Other", "formFields": [{"name": "C", "required": True}]}], {}),
        (
            [{"formType": "PreChat", "formFields": [{"name": "D", "type": "Odd", "required": True}]}],
            {"D": "miaw-harness probe"},
        ),
    ],
)
def test_placeholder_prechat_fills_required_fields_only(forms: list[dict[str, Any]], values: dict[str, Any]) -> None:
    assert placeholder_prechat({"forms": forms}) == values
