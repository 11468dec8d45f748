"""`miaw-harness run` killed at random points (SIGINT, SIGTERM, SIGKILL): `--out` keeps its report, no process of
the run survives, and no temporary folder is left (after SIGKILL, the next run removes what it could not)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from report import report_records as RECORDS

from harness.paths import features_dir
from harness.report.directory import MANIFEST, leftovers, write_report
from harness.report.results import aggregate

KILLS_PER_SIGNAL = int(os.environ.get("MIAW_RUN_KILLS", "2"))
SEED = 20261129
EXIT_WAIT_S = 90.0  # a hang guard only: an interrupted run normally ends within a few seconds
GONE_WAIT_S = 60.0
SELECTION = ["--sdk", "android-1.10", "--app", "persist-until-closed-event", "-n", "2", "--seed", "7"]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _complete(out: Path) -> bool:
    """`out` is a whole report: its manifest lists exactly the files present."""
    tree = _tree(out)
    manifest = json.loads(tree.pop(MANIFEST, b"null"))
    return bool(manifest) and sorted(manifest["files"]) == sorted(tree)


def _survivors(mark: str) -> list[int]:
    """Live processes (not zombies) that carry this run's marker in their environment."""
    found = []
    needle = f"MIAW_KILL_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def _wait_until_gone(mark: str) -> list[int]:
    deadline = time.monotonic() + GONE_WAIT_S
    while (alive := _survivors(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)  # polling a condition: the processes' exit
    return alive


def _start(out: Path, tmp: Path, mark: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TMPDIR=str(tmp), MIAW_KILL_MARK=mark)
    env.pop("PYTEST_XDIST_WORKER", None)
    features = features_dir() / "end_user_close"
    command = [sys.executable, "-m", "harness", "run", *SELECTION, "--features", str(features), "--out", str(out)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=out.parent)


def test_run_killed_at_random_points(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = write_report(aggregate(RECORDS.matrix_records(), 1, RECORDS.fake_profiles()), tmp_path / "report")
    before = _tree(out)
    plan = [sig for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL) for _ in range(KILLS_PER_SIGNAL)]
    rng.shuffle(plan)
    figures: list[str] = []
    killed: set[str] = set()  # run-record folders of SIGKILLed runs, for the next run to remove
    for signum in plan:
        mark = uuid.UUID(int=rng.getrandbits(128)).hex
        process = _start(out, tmp, mark)
        time.sleep(rng.uniform(0.5, 12.0))  # the kill instant is what the test varies
        sent = time.monotonic()
        process.send_signal(signum)
        _, err = process.communicate(timeout=EXIT_WAIT_S)
        took = time.monotonic() - sent
        code = process.returncode
        survivors = _wait_until_gone(mark)
        assert not survivors, f"{signum.name}: processes left {survivors}"
        assert _tree(out) == before or _complete(out), f"{signum.name}: --out damaged"
        if _tree(out) != before:
            before = _tree(out)  # the kill came after the swap: the new report is whole
        if signum is not signal.SIGKILL:
            # -signum: it arrived while Python was still importing, before the command started
            assert code in (128 + signum, -signum, 0, 1), (signum.name, code, err.decode(errors="replace"))
            if code == 128 + signum:
                assert err.decode().strip().endswith(("interrupted", f"stopped by {signum.name}")), err
            left = [p.name for p in tmp.iterdir() if not p.name.startswith(tuple(killed))]
            assert left == [], f"{signum.name}: temporary folders left"
            assert not leftovers(out), f"{signum.name}: staging folders left"
        else:
            killed.add(f"miaw-results-{process.pid}-")
        figures.append(f"{signum.name}:{code}:{took:.1f}s")
    # The next run, left to finish, removes what the SIGKILLed ones could not and writes its report.
    process = _start(out, tmp, uuid.uuid4().hex)
    _, err = process.communicate(timeout=600)
    assert process.returncode in (0, 1), err.decode(errors="replace")
    assert _complete(out)
    assert sorted(p.name for p in tmp.iterdir()) == []
    assert not leftovers(out)
    assert sorted(p.name for p in out.parent.iterdir()) == sorted(["report", "tmp"])
    print(f"run kills: {len(plan)} ({' '.join(figures)}), 0 damaged --out, 0 processes left, 0 folders left")
