"""Real uvicorn on loopback: TLS with the self-signed certificate, sandbox-like mode, and the serve command."""

from __future__ import annotations

import argparse
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from harness.cli import main
from harness.commands import serve as serve_command
from harness.errors import UserError
from harness.server import start_in_thread
from harness.server.clock import DEFAULT_START_MS
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


def _serve_lines(*flags: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    while "control" not in lines:
        key, _, value = proc.stdout.readline().partition(":")
        lines[key.strip()] = value.strip()
    return proc, lines


@pytest.mark.parametrize(
    ("flags", "mode"),
    [((), "wall"), (("--clock", "frozen"), "frozen"), (("--clock", "wall", "--clock-start", "0"), "wall")],
)
def test_serve_follows_the_wall_clock_unless_told_otherwise(flags: tuple[str, ...], mode: str) -> None:
    before_ms = time.time_ns() // 1_000_000
    proc, lines = _serve_lines(*flags)
    try:
        assert lines["clock"] == mode
        now_ms = httpx.get(f"{lines['base URL']}/control/clock", timeout=30).json()["now_ms"]
        if not flags:  # the entries a real client sees carry today's date
            assert before_ms <= now_ms <= time.time_ns() // 1_000_000
        elif mode == "frozen":
            assert now_ms == DEFAULT_START_MS
        else:  # an explicit start is kept, and time runs from there
            assert 0 <= now_ms < before_ms
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_serve_clock_start_takes_iso_8601_and_refuses_nonsense() -> None:
    assert serve_command.clock_start_ms("2026-03-01T09:00:00Z") == 1772355600000
    assert serve_command.clock_start_ms("1772355600000") == 1772355600000
    with pytest.raises(UserError, match="--clock-start"):
        serve_command.clock_start_ms("next tuesday")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("", "sends no CONVERSATION_CLOSE_CONVERSATION; a send to a closed conversation gets 403"),
        (
            "[deployments.MIAW_Harness]\nemit_close_event_on_sbc_end = true\nclosed_send_status = 400\n",
            "sends CONVERSATION_CLOSE_CONVERSATION; a send to a closed conversation gets 400",
        ),
    ],
)
def test_serve_defaults_follow_11_1_and_11_2_and_says_so(tmp_path: Path, config: str, expected: str) -> None:
    """miaw-api.md §11.2 (no close event when Session-Based Chat closes) and §11.1 (403) are `serve`'s defaults."""
    flags: tuple[str, ...] = ()
    if config:
        path = tmp_path / "runtime.toml"
        path.write_text(config, encoding="utf-8")
        flags = ("--config", str(path))
    proc, _ = _serve_lines(*flags)
    try:
        assert proc.stdout is not None
        key, _, value = proc.stdout.readline().partition(":")
        assert key == "closing" and value.strip().endswith(expected)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
