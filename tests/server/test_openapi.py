"""The OpenAPI document is generated from the route table and describes every served operation."""

from __future__ import annotations

import jsonschema
import pytest
from starlette.routing import Route

from harness.server import create_app
from harness.server.openapi import OPERATIONS, UndocumentedRoute, build_document, iter_operations
from server.server_helpers import Target, make_config

pytestmark = pytest.mark.anyio


async def test_the_served_document_is_the_route_table(target: Target) -> None:
    r = await target.http.get("/openapi.json")
    assert r.status_code == 200
    document = r.json()
    app = create_app(make_config())
    served = {(m, p) for m, p, _ in iter_operations(app.routes)}
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert served == documented == set(OPERATIONS)
    assert document["openapi"].startswith("3.1")


def test_without_the_control_api_the_document_has_no_control_paths() -> None:
    app = create_app(make_config(), control=False)
    paths = build_document(app.routes)["paths"]
    assert paths and not any(p.startswith("/control") for p in paths)
    assert "/iamessage/api/v2/conversation/{cid}/message" in paths


def test_an_undocumented_route_is_refused() -> None:
    async def extra(request: object) -> None:
        raise AssertionError("never called")

    app = create_app(make_config())
    with pytest.raises(UndocumentedRoute, match="GET /extra"):
        build_document([*app.routes, Route("/extra", extra, methods=["GET"])])


def test_every_schema_in_the_document_is_valid_json_schema() -> None:
    document = build_document(create_app(make_config()).routes)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for param in operation["parameters"]:
                jsonschema.Draft202012Validator.check_schema(param["schema"])
            body = operation.get("requestBody")
            if body is not None:
                jsonschema.Draft202012Validator.check_schema(body["content"]["application/json"]["schema"])
            assert all(400 <= int(s) < 500 for s in operation["responses"] if not s.startswith("2")), (method, path)
