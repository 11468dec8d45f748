"""The JSON-body edge: hostile bodies get a 4xx with a JSON message, nothing stored breaks a later read."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from harness.server import RunningServer
from harness.server.bodies import MAX_DEPTH, find_unencodable, parse_json_object
from harness.server.state import ApiError
from server.server_helpers import V2, Target, new_user

pytestmark = pytest.mark.anyio

JSON = {"Content-Type": "application/json"}


# -- the pure core ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[" * 50_000, "nested deeper"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper"),
        (b'{"n": ' + b"9" * 5000 + b"}", "too long"),
        (b'{"n": 1e400}', "out of range"),
        (b'{"n": NaN}', "NaN is not JSON"),
        (b'{"n": -Infinity}', "-Infinity is not JSON"),
        (b'{"t": "\\ud800"}', "body.t is not valid text"),
        (b'{"\\udfff": 1}', "(a key) is not valid text"),
        (b'{"a": [{"b": "x\\udc00y"}]}', "body.a[0].b is not valid text"),
        (b'{"t": "\xff"}', "malformed JSON"),
        (b'{"t": "\xed\xa0\x80"}', "body.t is not valid text"),  # a surrogate encoded raw, without an escape
        ('{"t": "x"}'.encode("utf-16-le").replace(b"x\x00", b"\x00\xd8"), "body.t is not valid text"),
        (b"[" * 20 + b"]" * 20 + b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper"),
        (b"", "empty"),
        (b"[]", "must be a JSON object"),
    ],
)
def test_hostile_bodies_are_refused_with_400(body: bytes, expected: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json_object(body)
    assert caught.value.status == 400
    assert expected in caught.value.message


def test_ordinary_bodies_pass_unchanged() -> None:
    body = b'{"a": [1, 2.5, -3e2, true, null, "\\ud83d\\ude00 \\u00e9"], "b": {"c": "[{\\"not\\": nesting}]"}}'
    assert parse_json_object(body) == {
        "a": [1, 2.5, -300.0, True, None, "\U0001f600 \u00e9"],
        "b": {"c": '[{"not": nesting}]'},
    }
    nested = b'{"a":' * (MAX_DEPTH - 1) + b"1" + b"}" * (MAX_DEPTH - 1)
    assert parse_json_object(nested)["a"] is not None


def test_find_unencodable_names_the_path() -> None:
    assert find_unencodable({"a": ["ok", {"b": "\ud800"}]}) == "body.a[1].b"
    assert find_unencodable({"a": ["ok", "\u00e9"]}) is None


# -- over both transports ---------------------------------------------------------------------------------------------
async def test_lone_surrogate_in_a_message_is_refused_and_the_conversation_stays_readable(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    for field in ('"id": "\\ud800", "text": "hi"', '"id": "m-1", "text": "a\\ud800b"'):
        message_id, text = field.split(", ")
        body = (
            '{"message": {' + message_id + ', "messageType": "StaticContentMessage", '
            '"staticContent": {"formatType": "Text", ' + text + "}}}"
        )
        r = await target.http.post(
            f"{V2}/conversation/{cid}/message", content=body.encode(), headers={**JSON, **user.headers}
        )
        assert r.status_code == 400, r.text
        assert "lone UTF-16 surrogate" in r.json()["message"]
    entries = await target.http.get(f"{V2}/conversation/{cid}/entries", headers=user.headers)
    assert entries.status_code == 200
    assert (await target.control.conversation(cid)) is not None


async def test_lone_surrogate_in_a_rep_message_is_refused(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    body = b'{"role": "Agent", "text": "\\udfff"}'
    r = await target.http.post(f"/control/conversations/{cid}/messages", content=body, headers=JSON)
    assert r.status_code == 400
    snapshot = await target.control.conversation(cid)
    assert snapshot is not None


CLIENT_MISTAKES: list[tuple[str, str, bytes]] = [
    ("POST", f"{V2}/authorization/unauthenticated/access-token", b"[" * 50_000),
    ("POST", f"{V2}/authorization/unauthenticated/access-token", b'{"orgId": ' + b"7" * 5000 + b"}"),
    ("POST", "/control/clock/advance", b'{"seconds": 1e308}'),
    ("POST", "/control/clock/advance", b'{"seconds": NaN}'),
    ("POST", "/control/clock/advance", b'{"seconds": Infinity}'),
    ("POST", "/control/clock/advance", b'{"seconds": 1e400}'),
    ("POST", "/control/faults", b'{"kind": "fail", "route": [], "status": 500}'),
    ("PUT", "/control/deployments/MIAW_Harness", b'{"channel_type": []}'),
]


@pytest.mark.parametrize(("method", "path", "body"), CLIENT_MISTAKES)
async def test_client_mistakes_get_4xx_with_a_json_message(target: Target, method: str, path: str, body: bytes) -> None:
    r = await target.http.request(method, path, content=body, headers=JSON)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["message"]


async def test_wrong_type_for_by_on_session_end_is_400(target: Target) -> None:
    user = await new_user(target)
    cid = await user.create()
    for by in ([], {}, 3):
        r = await target.http.post(f"/control/conversations/{cid}/session/end", json={"by": by})
        assert r.status_code == 400, r.text
        assert "by must be one of" in r.json()["message"]


def _exchange(conn: http.client.HTTPConnection, method: str, path: str, body: bytes) -> int:
    conn.request(method, path, body=body, headers=JSON)
    response = conn.getresponse()
    response.read()
    return response.status


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/control/clock/advance", b'{"seconds": NaN}'),
        ("/control/clock/advance", b'{"seconds": ' + b"1" * 5000 + b"}"),
        (f"{V2}/authorization/unauthenticated/access-token", b"[" * 50_000),
    ],
)
def test_connection_is_kept_after_a_client_mistake(loopback_server: RunningServer, path: str, body: bytes) -> None:
    url = urlsplit(loopback_server.base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        for _ in range(3):
            assert 400 <= _exchange(conn, "POST", path, body) < 500
            assert _exchange(conn, "GET", "/control/clock", b"") == 200
    finally:
        conn.close()
