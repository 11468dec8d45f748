"""The report swap under SIGKILL: at every step of a write, and at random instants of writes in a loop, `--out`
holds the old complete report or the new complete one, and the next write leaves no hidden sibling behind."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.report import directory
from harness.report.directory import MANIFEST, leftovers, prepare, recover

RANDOM_KILLS = int(os.environ.get("MIAW_RANDOM_KILLS", "20"))
SEED = 20261129
VERSIONS: list[dict[str, str]] = [
    {name: f"{name} of report {tag}\n" * (1 + 2000 * (name == "results.json")) for name in directory.FILES}
    for tag in ("A", "B")
]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _expected(files: dict[str, str]) -> set[tuple[str, bytes]]:
    return {(name, text.encode("utf-8")) for name, text in files.items()}


def _which(out: Path) -> str:
    """ "A" or "B" if `out` is exactly that complete report (manifest included), else a description of the damage."""
    tree = _tree(out) if out.is_dir() else {}
    manifest = json.loads(tree.pop(MANIFEST, b"null"))
    for tag, files in zip("AB", VERSIONS, strict=True):
        if set(tree.items()) == _expected(files) and manifest and sorted(manifest["files"]) == sorted(files):
            return tag
    return f"neither report: {sorted(tree)}"


def _hooked(counter: list[int], kill_at: int, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        if counter[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)

    return wrapped


def _write_in_child(out: Path, files: dict[str, str], kill_at: int, loop: bool = False) -> int:
    """Fork a child that writes `files` to `out` (forever, alternating A/B, with `loop`), SIGKILLing itself just
    before its `kill_at`-th file-system call; returns the child's pid. Without a kill it exits 0 and writes the
    number of calls it made to `out`'s parent as `steps`."""
    pid = os.fork()
    if pid:
        return pid
    try:  # the child: only os._exit leaves it
        counter = [0]
        for name in ("rename", "replace", "chmod", "rmdir", "unlink", "mkdir", "open", "close"):
            setattr(os, name, _hooked(counter, kill_at, getattr(os, name)))
        for name in ("write_bytes", "write_text"):
            setattr(Path, name, _hooked(counter, kill_at, getattr(Path, name)))
        directory.exchange = _hooked(counter, kill_at, directory.exchange)  # type: ignore[method-assign]
        turn = 0
        while True:
            staging = prepare(out)
            staging.commit(VERSIONS[turn % 2] if loop else files)
            turn += 1
            if not loop:
                break
        (out.parent / "steps").write_text(str(counter[0]))
        os._exit(0)
    except BaseException:
        os._exit(1)


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _fresh(tmp_path: Path, name: str) -> Path:
    base = tmp_path / name
    base.mkdir()
    out = base / "report"
    prepare(out).commit(VERSIONS[0])
    return out


def test_a_kill_at_every_step_of_a_write_keeps_one_complete_report(tmp_path: Path) -> None:
    probe = _fresh(tmp_path, "probe")
    assert _wait(_write_in_child(probe, VERSIONS[1], kill_at=0)) == 0
    steps = int((probe.parent / "steps").read_text())
    assert _which(probe) == "B"
    assert steps > 10  # the write is many calls: each is a kill point below
    outcomes: dict[str, int] = {}
    for kill_at in range(1, steps + 1):
        out = _fresh(tmp_path, f"kill-{kill_at}")
        assert _wait(_write_in_child(out, VERSIONS[1], kill_at)) == -signal.SIGKILL
        state = _which(out)
        assert state in ("A", "B"), f"killed before call {kill_at}: {state}"
        outcomes[state] = outcomes.get(state, 0) + 1
        recover(out)  # what the next write does first
        assert not leftovers(out), f"killed before call {kill_at}: {leftovers(out)}"
        assert _which(out) == state
        assert sorted(p.name for p in out.parent.iterdir()) == ["report"]
    assert set(outcomes) == {"A", "B"}  # the kills landed on both sides of the swap
    print(f"report swap: {steps} kill points, outcomes {outcomes}, 0 damaged, 0 leftovers")


def test_random_kills_of_writes_in_a_loop(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    out = _fresh(tmp_path, "loop")
    seen: dict[str, int] = {}
    for _ in range(RANDOM_KILLS):
        pid = _write_in_child(out, VERSIONS[1], kill_at=-1, loop=True)
        time.sleep(rng.uniform(0.0, 0.5))  # the kill instant is the point of the test: chosen at random
        os.kill(pid, signal.SIGKILL)
        assert _wait(pid) == -signal.SIGKILL
        state = _which(out)
        assert state in ("A", "B"), state
        seen[state] = seen.get(state, 0) + 1
    recover(out)
    assert not leftovers(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["report"]
    print(f"report swap: {RANDOM_KILLS} random kills, outcomes {seen}, 0 damaged, 0 leftovers")


@pytest.mark.parametrize("kill_before", ["rename"])
def test_the_fallback_swap_is_repaired_by_the_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill_before: str
) -> None:
    # Without an atomic exchange there is an instant with no `--out`; the next write puts the old report back.
    monkeypatch.setattr(directory, "exchange", lambda a, b: False)
    out = _fresh(tmp_path, "fallback")
    renames: list[str] = []
    real = os.rename

    def rename(source: Any, target: Any) -> None:
        renames.append(Path(source).name)
        if Path(source).name.startswith(".report.new-") and len(renames) > 1:
            raise KeyboardInterrupt  # dies between moving the old report aside and moving the new one in
        real(source, target)

    monkeypatch.setattr(directory.os, "rename", rename)
    staging = prepare(out)
    with pytest.raises(KeyboardInterrupt):
        staging.commit(VERSIONS[1])
    monkeypatch.setattr(directory.os, "rename", real)
    assert not out.exists()
    recover(out)
    assert _which(out) == "A"
    staging.discard()
    assert sorted(p.name for p in out.parent.iterdir()) == ["report"]
