"""The demo chat is served by the runtime over real HTTP, only when asked for."""

from __future__ import annotations

import argparse

import httpx

from clients.conftest import sbc_config
from harness.clients.demo_app import DEMO_DIR
from harness.commands import serve
from harness.server import RunningServer, start_in_thread


def test_the_page_its_script_and_its_config_are_served(demo_server: RunningServer) -> None:
    with httpx.Client(base_url=demo_server.base_url) as http:
        page = http.get("/demo/?policy=persist-forever")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<script src="demo.js"></script>' in page.text
        script = http.get("/demo/demo.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        assert script.text == (DEMO_DIR / "demo.js").read_text(encoding="utf-8")
        config = http.get("/demo/config.json")
        assert config.json() == {"orgId": demo_server.org_id, "deployment": "MIAW_Web"}
        bare = http.get("/demo?policy=web-storage")
        assert bare.status_code == 308 and bare.headers["location"] == "/demo/?policy=web-storage"
        missing = http.get("/demo/nope.js")
        assert missing.status_code == 404


def test_without_the_flag_there_is_no_demo() -> None:
    with start_in_thread(sbc_config()) as server, httpx.Client(base_url=server.base_url) as http:
        answer = http.get("/demo/")
        assert answer.status_code == 404
        assert answer.json()["message"] == "no such endpoint: GET /demo/"


def test_serve_takes_the_flag() -> None:
    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    assert parser.parse_args(["--demo-client"]).demo_client is True
    assert parser.parse_args([]).demo_client is False
