"""`miaw-harness serve`: the TLS key lives in a private folder that goes with the server, however it is stopped;
no temporary folder without --tls; a warning when the control API listens off loopback."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from harness.commands.serve import exposure_warning

STOP_WAIT_S = 60.0  # a hang guard only


def _serve(tmp: Path, *argv: str) -> subprocess.Popen[str]:
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _banner(process: subprocess.Popen[str]) -> dict[str, str]:
    """The lines the server prints once it listens, up to `control:`."""
    assert process.stdout is not None
    lines: dict[str, str] = {}
    for line in process.stdout:
        key, _, value = line.partition(":")
        lines[key.strip()] = value.strip()
        if key.strip() == "control":
            return lines
    raise AssertionError(f"the server ended early: {process.communicate(timeout=STOP_WAIT_S)}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_tls_key_is_private_and_removed_when_stopped(tmp_path: Path, signum: signal.Signals) -> None:
    process = _serve(tmp_path, "--tls")
    try:
        banner = _banner(process)
        folder = Path(banner["CA bundle"]).parent
        assert folder.parent == tmp_path
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        keys = list(folder.glob("*key*"))
        assert keys and all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)
        process.send_signal(signum)
        _, err = process.communicate(timeout=STOP_WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signum, err
    assert list(tmp_path.iterdir()) == []


def test_no_temporary_folder_without_tls(tmp_path: Path) -> None:
    process = _serve(tmp_path)
    try:
        assert "CA bundle" not in _banner(process)
        assert list(tmp_path.iterdir()) == []
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=STOP_WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("address", "control", "warned"),
    [
        ("127.0.0.1", True, False),
        ("::1", True, False),
        ("0.0.0.0", True, True),
        ("192.168.1.20", True, True),
        ("::", True, True),
        ("0.0.0.0", False, False),
    ],
)
def test_a_warning_when_control_listens_off_loopback(address: str, control: bool, warned: bool) -> None:
    warning = exposure_warning(address, control)
    assert (warning is not None) == warned
    if warning is not None:
        assert address in warning and "--sandbox-like" in warning


def test_the_warning_is_printed_by_serve(tmp_path: Path) -> None:
    process = _serve(tmp_path, "--host", "0.0.0.0")
    try:
        _banner(process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=STOP_WAIT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert err.startswith("warning: listening on 0.0.0.0")
