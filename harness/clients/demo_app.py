"""The demo web chat served beside the mock runtime: `/demo/` (static files) and `/demo/config.json`.

The page talks to the runtime on its own origin, so it needs no CORS and no URL to configure; `config.json` tells it
the org id and the default deployment of the runtime that serves it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from harness.clients.browser_config import BrowserClientConfig, load_browser_config

__all__ = ["DEMO_BROWSER_TOML", "DEMO_DIR", "DEMO_PATH", "add_demo_client", "demo_browser_config", "demo_url"]

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_PATH = "/demo/"
DEMO_BROWSER_TOML = DEMO_DIR / "browser-client.toml"


def demo_url(base_url: str, policy: str | None = None) -> str:
    """The page's address on a runtime at `base_url`, optionally with a conversation-id policy."""
    url = base_url.rstrip("/") + DEMO_PATH
    return f"{url}?policy={policy}" if policy else url


def demo_browser_config(base_url: str, policy: str) -> BrowserClientConfig:
    """The shipped browser-adapter description of the demo chat, pointed at a runtime and a policy."""
    config = load_browser_config(DEMO_BROWSER_TOML)
    return dataclasses.replace(config, name=f"demo chat ({policy})", url=demo_url(base_url, policy))


def _routes(org_id: str, deployment: str) -> list[BaseRoute]:
    async def config(request: Request) -> Response:
        return JSONResponse(
            {"orgId": org_id, "deployment": deployment},
            headers={"Cache-Control": "no-store"},
        )

    async def to_slash(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(DEMO_PATH + query, status_code=308)

    return [
        Route("/demo", to_slash, methods=["GET"]),
        Route(f"{DEMO_PATH}config.json", config, methods=["GET"]),
        Mount(DEMO_PATH.rstrip("/"), app=StaticFiles(directory=DEMO_DIR, html=True), name="demo"),
    ]


def add_demo_client(app: Starlette) -> None:
    """Serve the demo chat from `app` (an app made by `harness.server.app.create_app`)."""
    runtime = app.state.runtime
    app.router.routes.extend(_routes(runtime.org_id, runtime.config.default_deployment))
