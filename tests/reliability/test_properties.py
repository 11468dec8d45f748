"""Property-based run against /openapi.json: no 5xx, no status outside the document, the connection always kept.

Every operation of the served document gets `EXAMPLES` generated requests (derandomised: the same on every run):
path parameters that name real, foreign or made-up objects; query parameters and headers from the document's
schemas or hostile text; bodies shaped by the schemas with hostile leaves, arbitrary JSON, or hostile bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from server.server_helpers import V2, make_config

from harness.server import RunningServer, create_app
from harness.server.openapi import build_document
from reliability import schema_strategies as gen

EXAMPLES = 12
DOCUMENT = build_document(create_app(make_config()).routes)
OPERATIONS = [(path, method, op) for path, ops in DOCUMENT["paths"].items() for method, op in ops.items()]
# Operations that change configuration or time: the world is rebuilt after each of their examples.
MUTATING = ("/control/reset", "/control/deployments", "/control/clock/advance", "/control/faults", "/control/retention")
TRIES: dict[str, int] = {}


@dataclass
class World:
    """Two end users with a conversation each, on a freshly reset runtime."""

    http: httpx.Client
    base: str
    tokens: tuple[str, str] = ("", "")
    subjects: tuple[str, str] = ("", "")
    cids: tuple[str, str] = ("", "")

    def build(self) -> None:
        self.http.post("/control/reset", json={}).raise_for_status()
        tokens, subjects, cids = [], [], []
        for i in range(2):
            r = self.http.post(
                f"{V2}/authorization/unauthenticated/access-token",
                json={"orgId": "00DHA0000001HRNAAA", "esDeveloperName": "MIAW_Harness"},
            )
            r.raise_for_status()
            token = r.json()["accessToken"]
            cid = f"0000000{i}-0000-4000-8000-000000000000"
            created = self.http.post(
                f"{V2}/conversation",
                json={"conversationId": cid, "esDeveloperName": "MIAW_Harness"},
                headers={"Authorization": f"Bearer {token}"},
            )
            created.raise_for_status()
            tokens.append(token)
            subjects.append(r.json()["context"]["endUser"]["subject"])
            cids.append(cid)
        self.tokens = (tokens[0], tokens[1])
        self.subjects = (subjects[0], subjects[1])
        self.cids = (cids[0], cids[1])


@pytest.fixture(scope="module")
def world(server: RunningServer) -> Iterator[World]:
    with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
        w = World(http, server.base_url)
        w.build()
        yield w


def _path_value(world: World, name: str) -> st.SearchStrategy[str]:
    real = {"cid": list(world.cids), "subject": list(world.subjects), "name": ["MIAW_Harness", "MIAW_Verified"]}
    return st.one_of(st.sampled_from(real.get(name, ["x"])), st.uuids(version=4).map(str), gen.hostile_text)


def _auth(world: World) -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.sampled_from([f"Bearer {world.tokens[0]}", f"Bearer {world.tokens[1]}"]),
        st.none(),
        gen.header_text,
        gen.header_text.map(lambda t: f"Bearer {t}"),
    )


@st.composite
def requests(draw: st.DrawFn, world: World, path: str, op: dict[str, Any]) -> tuple[str, dict[str, str], bytes | None]:
    url = path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for param in op["parameters"]:
        where, name = param["in"], param["name"]
        if where == "path":
            raw = draw(_path_value(world, name))
            url = url.replace(f"{{{name}}}", quote(raw.encode("utf-8", "surrogatepass"), safe="") or "x")
        elif name == "Authorization":
            auth = draw(_auth(world))
            if auth is not None and auth.strip():
                headers[name] = auth.strip()
        elif draw(st.booleans()) or param["required"]:
            drawn = draw(st.one_of(gen.from_schema(param["schema"]), gen.header_text))
            text = json.dumps(drawn) if isinstance(drawn, bool) else str(drawn)
            if where == "header":
                headers[name] = "".join(c for c in text if " " <= c <= "~").strip()
            else:
                query.append((name, text))
    if query:
        url += "?" + "&".join(f"{k}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in query)
    body = None
    if "requestBody" in op:
        body = draw(gen.body(op["requestBody"]["content"]["application/json"]["schema"]))
        headers["Content-Type"] = "application/json"
    return url, headers, body


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=[o["operationId"] for _, _, o in OPERATIONS])
def test_no_5xx_and_no_answer_outside_the_document(world: World, path: str, method: str, op: dict[str, Any]) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure prints its request as drawn, in bounded time
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        url, headers, body = data.draw(requests(world, path, op))
        TRIES[op["operationId"]] = TRIES.get(op["operationId"], 0) + 1
        try:
            with world.http.stream(method.upper(), url, headers=headers, content=body) as response:
                status = response.status_code
                content = b"" if response.headers.get("content-type", "").startswith("text/event-stream") else None
                if content is None:
                    content = response.read()
        finally:
            if path.startswith(MUTATING):
                world.build()
        assert status < 500, (method, url, body, content)
        assert str(status) in op["responses"], (method, url, status, content)
        if status >= 400:
            message = json.loads(content)["message"]
            assert isinstance(message, str) and message

    run()
