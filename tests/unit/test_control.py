"""ControlClient: request shapes, URL-encoded subjects, parsed answers and ControlError on refusals."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness.run.control import ControlClient, ControlError

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _client(answers: dict[tuple[str, str], tuple[int, Any]], seen: list[httpx.Request]) -> ControlClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, body = answers[(request.method, request.url.raw_path.decode())]
        return httpx.Response(status, json=body) if body is not None else httpx.Response(status, text="oops")

    return ControlClient(httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://rt.test"))


SUBJECT = "v2/iamessage/UNAUTH/NA/uid:abc"
ENCODED = "v2%2Fiamessage%2FUNAUTH%2FNA%2Fuid%3Aabc"


async def test_subject_paths_are_url_encoded_and_answers_parsed() -> None:
    seen: list[httpx.Request] = []
    control = _client(
        {
            ("GET", f"/control/subjects/{ENCODED}/last-event-id"): (200, {"lastEventId": "7", "streams": 2}),
            ("GET", f"/control/subjects/{ENCODED}/conversations"): (200, {"conversations": [{"conversationId": "c"}]}),
            ("POST", "/control/faults"): (200, {"kind": "drop_streams", "dropped": 3, "faults": {}}),
            ("POST", "/control/clock/advance"): (200, {"now_ms": 42, "fired": 1}),
        },
        seen,
    )
    assert await control.last_event_id(SUBJECT) == 7
    assert await control.stream_count(SUBJECT) == 2
    assert await control.subject_conversations(SUBJECT) == [{"conversationId": "c"}]
    assert await control.drop_streams(SUBJECT) == 3
    assert await control.advance_clock(1.5) == 42
    assert json.loads(seen[3].content) == {"kind": "drop_streams", "subject": SUBJECT}
    assert json.loads(seen[4].content) == {"seconds": 1.5}


@pytest.mark.parametrize(
    ("call", "method", "path", "body"),
    [
        (
            lambda c: c.end_session("cid", "Chatbot"),
            "POST",
            "/control/conversations/cid/session/end",
            {"by": "Chatbot"},
        ),
        (
            lambda c: c.send_message("cid", role="Agent", text="hi"),
            "POST",
            "/control/conversations/cid/messages",
            {"role": "Agent", "text": "hi"},
        ),
        (
            lambda c: c.add_participant("cid", "Agent", "Ann"),
            "POST",
            "/control/conversations/cid/participants",
            {"role": "Agent", "displayName": "Ann"},
        ),
        (
            lambda c: c.fail_requests("sse", 503, 2),
            "POST",
            "/control/faults",
            {"kind": "fail", "route": "sse", "status": 503, "count": 2},
        ),
        (
            lambda c: c.add_latency("token", 5),
            "POST",
            "/control/faults",
            {"kind": "latency", "route": "token", "ms": 5},
        ),
        (lambda c: c.expire_tokens(), "POST", "/control/faults", {"kind": "expire_tokens"}),
        (
            lambda c: c.put_deployment("D", {"session_based_chat": True}),
            "PUT",
            "/control/deployments/D",
            {"session_based_chat": True},
        ),
        (lambda c: c.publish("D"), "POST", "/control/deployments/D/publish", {}),
        (lambda c: c.inactivate("cid"), "POST", "/control/conversations/cid/session/inactivate", {}),
        (lambda c: c.transfer("cid"), "POST", "/control/conversations/cid/transfer", {}),
        (lambda c: c.reset(), "POST", "/control/reset", {}),
    ],
)
async def test_each_method_sends_its_request(call: Any, method: str, path: str, body: dict[str, Any]) -> None:
    seen: list[httpx.Request] = []
    control = _client({(method, path): (200, {"ok": True})}, seen)
    assert await call(control) == {"ok": True}
    assert json.loads(seen[0].content) == body


async def test_refusals_raise_control_error_with_the_message() -> None:
    control = _client(
        {
            ("POST", "/control/conversations/cid/messages"): (409, {"message": "no live messaging session"}),
            ("GET", "/control/conversations/gone"): (404, {"message": "conversation gone not found"}),
            ("GET", "/control/conversations/bad"): (400, {"message": "Specify the conversationId in UUID format."}),
            ("GET", "/control/info"): (500, None),
        },
        [],
    )
    with pytest.raises(ControlError) as caught:
        await control.send_message("cid", "Agent", "hello")
    assert caught.value.status == 409 and "no live messaging session" in str(caught.value)
    assert await control.conversation("gone") is None
    with pytest.raises(ControlError, match="UUID"):
        await control.conversation("bad")
    with pytest.raises(ControlError, match="500: oops"):
        await control.info()


async def test_transport_failures_become_control_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    control = ControlClient(httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://rt.test"))
    with pytest.raises(ControlError, match="transport error"):
        await control.now_ms()
