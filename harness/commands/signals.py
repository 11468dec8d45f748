"""Signals and the suite's process: SIGTERM/SIGHUP end a command like Ctrl-C, and a child never outlives it.

The pytest session runs in a process group of its own, so a Ctrl-C at the terminal reaches only `miaw-harness`,
which then stops the session in one order whatever ended it (SIGINT, SIGTERM, SIGHUP):

1. one SIGINT to the session's group: pytest tears down (closing what it opened on a real org), xdist stops its
   workers;
2. after `grace_s` (a few seconds against the mock, longer against a real org), or at once on a second signal:
   SIGTERM to the group, then SIGKILL.

If `miaw-harness` itself is killed outright (SIGKILL), the kernel sends the session a SIGINT (Linux
`PR_SET_PDEATHSIG`) and step 1 happens without it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

_PR_SET_PDEATHSIG = 1
TERMINATING = (signal.SIGTERM, signal.SIGHUP)
KILL_WAIT_S = 2.0  # after SIGTERM, how long the group gets before SIGKILL
POLL_S = 0.05
_LEADERS: set[int] = set()  # pids of the sessions `start` made process-group leaders


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so every `finally` runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def terminate_like_interrupt() -> Iterator[None]:
    """While active, SIGTERM and SIGHUP raise `Terminated` in the main thread (SIGINT raises KeyboardInterrupt)."""
    previous = {signum: signal.signal(signum, _raise_terminated) for signum in TERMINATING}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform.startswith("linux") else None


def _end_with_parent() -> None:  # runs in the child between fork and exec
    os.setpgid(0, 0)  # a group of its own, still on the terminal (`--interactive` prompts on /dev/tty)
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)


def start(command: Sequence[str], *, cwd: Path, stdout: IO[bytes], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start `command` in a process group of its own, interrupted by the kernel if this process dies first."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env),
        preexec_fn=_end_with_parent,  # the CLI starts no threads before this
    )
    _LEADERS.add(process.pid)
    return process


def stop(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """End the session and everything in its process group (see the module's docstring); returns once it is gone."""
    hurry: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        hurry.append(signum)

    handled = (signal.SIGINT, *TERMINATING)
    previous = {signum: signal.signal(signum, on_signal) for signum in handled}
    try:
        for nudge, wait_s in ((signal.SIGINT, grace_s), (signal.SIGTERM, KILL_WAIT_S)):
            if process.poll() is not None:
                break
            _signal_group(process, nudge)
            deadline = time.monotonic() + wait_s
            hurried = len(hurry)
            while process.poll() is None and time.monotonic() < deadline and len(hurry) == hurried:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=POLL_S)
        if process.poll() is None:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        _signal_group(process, signal.SIGKILL)  # a worker the session left behind
        _LEADERS.discard(process.pid)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process's group when it leads one (as `start` makes it), else the process alone."""
    try:
        if process.pid in _LEADERS:
            os.killpg(process.pid, signum)
        elif process.poll() is None:
            process.send_signal(signum)
    except (ProcessLookupError, PermissionError):
        pass
