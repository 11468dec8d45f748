"""Real uvicorn on loopback: TLS with the self-signed certificate, sandbox-like mode, and the serve command."""

from __future__ import annotations

import argparse
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from harness.cli import main
from harness.commands import serve as serve_command
from harness.errors import UserError
from harness.server import start_in_thread
from server.server_helpers import make_config

pytestmark = pytest.mark.anyio


async def test_tls_server_is_trusted_with_its_certificate() -> None:
    with start_in_thread(make_config(), tls=True) as server:
        assert server.base_url.startswith("https://127.0.0.1:") and server.cert_path is not None
        trust = ssl.create_default_context(cafile=str(server.cert_path))
        async with httpx.AsyncClient(base_url=server.base_url, verify=trust) as http:
            info = (await http.get("/control/info")).json()
        assert info["org_id"] == server.org_id and server.deployment == "MIAW_Harness"
        async with httpx.AsyncClient(base_url=server.base_url) as untrusting:
            with pytest.raises(httpx.ConnectError):
                await untrusting.get("/control/info")


async def test_sandbox_like_server_has_no_control_api() -> None:
    with start_in_thread(make_config(), control=False) as server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            r = await http.get("/control/info")
            assert r.status_code == 404 and "no such endpoint" in r.json()["message"]
            body = {"orgId": server.org_id, "esDeveloperName": server.deployment}
            r = await http.post("/iamessage/api/v2/authorization/unauthenticated/access-token", json=body)
            assert r.status_code == 200


def test_serve_command_refuses_a_bad_config_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[deployments.X]\ninactivity_timeout_s = 5\n")
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(path) in err and "deployments.X.inactivity_timeout_s" in err


def test_serve_command_refuses_a_bad_port() -> None:
    parser = argparse.ArgumentParser()
    serve_command.add_arguments(parser)
    with pytest.raises(UserError, match="--port"):
        serve_command.run(parser.parse_args(["--port", "70000"]))


def test_serve_command_prints_where_it_listens_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0", "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = dict(line.split(":", 1) for line in (proc.stdout.readline() for _ in range(5)))
        base_url, ca = lines["base URL"].strip(), lines["CA bundle"].strip()
        assert lines["org id"].strip() == "00DHA0000001HRNAAA" and lines["deployment"].strip() == "MIAW_Harness"
        # The socket listens before the lines are printed: the request waits in the backlog until uvicorn serves.
        r = httpx.get(f"{base_url}/control/clock", verify=ssl.create_default_context(cafile=ca), timeout=30)
        assert r.status_code == 200
        assert r.headers.get("access-control-allow-origin") is None  # no Origin sent: CORS adds nothing
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
