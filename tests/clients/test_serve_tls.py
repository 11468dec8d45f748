"""`serve --tls-host NAME` and `serve --tls-cert/--tls-key`: a client that reaches the mock under another name (a
`*.my.salesforce-scrt.com` name mapped to it, the Android emulator's 10.0.2.2, a LAN address) passes the name check
of a real TLS handshake; a team's own certificate is served as it is and left in place."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from harness.server.serve import self_signed_cert

STOP_WAIT_S = 60.0  # a hang guard only
SCRT = "acme.my.salesforce-scrt.com"


def serve(tmp: Path, *argv: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0", *argv],
        env=dict(os.environ, TMPDIR=str(tmp)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner: dict[str, str] = {}
    for line in process.stdout:
        key, _, value = line.partition(":")
        banner[key.strip()] = value.strip()
        if key.strip() == "control":
            return process, banner
    process.kill()
    raise AssertionError(f"serve ended early: {process.communicate(timeout=STOP_WAIT_S)}")


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def get_info(port: int, ca: str, name: str) -> str:
    """GET /control/info over TLS to 127.0.0.1, checking the certificate against `name` as a client reaching the
    mock under that name does; the status line."""
    context = ssl.create_default_context(cafile=ca)
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        tls.sendall(f"GET /control/info HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        return tls.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def port_of(banner: dict[str, str]) -> int:
    return int(banner["base URL"].rsplit(":", 1)[1])


def test_extra_names_pass_the_name_check(tmp_path: Path) -> None:
    process, banner = serve(tmp_path, "--tls", "--tls-host", "*.my.salesforce-scrt.com", "--tls-host", "10.0.2.2")
    try:
        assert banner["TLS names"] == "localhost, 127.0.0.1, *.my.salesforce-scrt.com, 10.0.2.2"
        ca, port = banner["CA bundle"], port_of(banner)
        assert get_info(port, ca, SCRT) == "HTTP/1.1 200 OK"
        assert get_info(port, ca, "127.0.0.1") == "HTTP/1.1 200 OK"
        with pytest.raises(ssl.SSLCertVerificationError):
            get_info(port, ca, "acme.example.com")
    finally:
        stop(process)
    assert list(tmp_path.iterdir()) == []  # the fresh certificate and key went with the server


def test_without_extra_names_a_scrt_name_fails_the_name_check(tmp_path: Path) -> None:
    process, banner = serve(tmp_path, "--tls")
    try:
        assert banner["TLS names"] == "localhost, 127.0.0.1"
        with pytest.raises(ssl.SSLCertVerificationError):
            get_info(port_of(banner), banner["CA bundle"], SCRT)
    finally:
        stop(process)


def test_a_teams_own_certificate_is_served_and_left_in_place(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    cert, key = self_signed_cert(own, ["chat.internal.example"])
    process, banner = serve(tmp_path / "tmp", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert banner["base URL"].startswith("https://")
        assert banner["TLS cert"] == f"{cert} (your own)" and "CA bundle" not in banner
        assert get_info(port_of(banner), str(cert), "chat.internal.example") == "HTTP/1.1 200 OK"
    finally:
        stop(process)
    assert cert.is_file() and key.is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-host", "bad name!"], "--tls-host 'bad name!' is not a host name"),
        (["--tls-host", "*.com"], "--tls-host '*.com' is not a host name"),
        (["--tls-cert", "missing.pem", "--tls-key", "k.pem"], "--tls-cert missing.pem: No such file or directory"),
    ],
)
def test_tls_mistakes_are_one_line_and_exit_2(tmp_path: Path, argv: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--port", "0", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path: Path) -> None:
    cert, _ = self_signed_cert(tmp_path / _mkdir(tmp_path, "a"))
    _, other_key = self_signed_cert(tmp_path / _mkdir(tmp_path, "b"))
    done = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--tls-cert", str(cert), "--tls-key", str(other_key)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "is not the key of --tls-cert" in done.stderr


def _mkdir(root: Path, name: str) -> str:
    (root / name).mkdir()
    return name
