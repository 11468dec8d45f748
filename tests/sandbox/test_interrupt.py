"""Ctrl-C during `validate`: the run stops with exit 130 and the conversation it opened is closed anyway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from harness.server.state import Runtime

from .conftest import Sandbox


def _runtime(sandbox: Sandbox) -> Runtime:
    server = sandbox.server._server
    assert server is not None
    runtime: Runtime = server.config.app.state.runtime
    return runtime


def _wait_for(condition: object, bound_s: float = 30.0) -> bool:
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)  # polling pace of a condition on another process' progress
    return False


def test_ctrl_c_still_closes_the_probe_conversation(sandbox: Sandbox) -> None:
    runtime = _runtime(sandbox)
    before = set(runtime.conversations)
    command = [sys.executable, "-m", "harness", "validate", *sandbox.args("Existing_Channel"), "--rate", "2"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIAW_")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert _wait_for(lambda: set(runtime.conversations) - before), "the probe never opened its conversation"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    [opened] = set(runtime.conversations) - before
    assert process.returncode == 130, (out, err)
    assert err.strip().endswith("miaw-harness validate: interrupted") and "Traceback" not in err
    assert runtime.conversations[opened].closed, "the interrupted run left its conversation open"
