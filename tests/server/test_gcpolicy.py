"""The serving process's garbage-collector policy, and the event loop `serve_forever` runs on."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from harness.server import gcpolicy
from harness.server.serve import bind_socket, serve_forever


@pytest.fixture
def policy() -> Iterator[None]:
    gcpolicy.install(sweep_growth=1e9)  # no sweep: the frozen count never grows that much
    try:
        yield
    finally:
        gcpolicy.uninstall()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


def test_survivors_of_a_full_collection_are_frozen(policy: None) -> None:
    kept = [Node() for _ in range(100)]
    gc.collect()
    old = {id(x) for x in gc.get_objects(generation=2)}
    assert not any(id(x) in old for x in kept)
    assert gc.get_freeze_count() >= len(kept)


def test_survivors_of_a_middle_collection_are_frozen_so_full_collections_walk_only_the_new(policy: None) -> None:
    gc.collect()
    assert gc.get_objects(generation=2) == []  # everything older sits in the permanent generation
    frozen = gc.get_freeze_count()
    fresh = [Node() for _ in range(10)]
    gc.collect(1)
    assert gc.get_objects(generation=2) == []
    assert gc.get_freeze_count() >= frozen + len(fresh)


def test_old_cycles_are_reclaimed_at_a_sweep() -> None:
    import weakref

    gcpolicy.install(sweep_growth=0.0, min_base=0)  # every full collection sweeps
    try:
        holder = [_cycle()]
        probe = weakref.ref(holder[0])
        gc.collect()  # the cycle survives (still referenced) and is frozen
        holder.clear()  # now it is cyclic garbage among frozen objects
        gc.collect()
        assert probe() is None
    finally:
        gcpolicy.uninstall()


def test_a_due_sweep_reaches_a_full_collection_without_an_explicit_one() -> None:
    import weakref

    gcpolicy.install(sweep_growth=0.0, min_base=0)
    try:
        installed = gcpolicy.policy()
        assert installed is not None
        holder = [_cycle()]
        probe = weakref.ref(holder[0])
        gc.collect()
        holder.clear()
        sweeps = installed.sweeps
        churn = []
        while installed.sweeps == sweeps:  # allocations alone drive the collector to the next full collection
            churn.append([Node() for _ in range(100)])
        assert probe() is None
    finally:
        gcpolicy.uninstall()


def test_a_sweep_waits_until_the_frozen_count_may_have_grown_by_the_factor() -> None:
    import weakref

    gcpolicy.install(sweep_growth=2.0, min_base=0)
    try:
        installed = gcpolicy.policy()
        assert installed is not None
        # each middle collection freezes at most what was allocated since the previous one
        per_middle = gc.get_threshold()[0] * gc.get_threshold()[1]
        assert installed.sweep_after * per_middle >= installed.base > (installed.sweep_after - 1) * per_middle
        holder = [_cycle()]
        probe = weakref.ref(holder[0])
        gc.collect()
        holder.clear()
        for _ in range(installed.sweep_after - 1):
            gc.collect(1)
        gc.collect()
        assert probe() is not None  # frozen cyclic garbage: no sweep yet, the frozen count cannot have doubled
        sweeps = installed.sweeps
        gc.collect(1)  # the count may have doubled now: the frozen objects are handed back for a full collection
        gc.collect()
        assert installed.sweeps == sweeps + 1
        assert probe() is None
    finally:
        gcpolicy.uninstall()


def test_install_is_idempotent_and_uninstall_restores_the_default(policy: None) -> None:
    gcpolicy.install()
    assert sum(isinstance(cb, gcpolicy._Policy) for cb in gc.callbacks) == 1
    gcpolicy.uninstall()
    assert gc.get_freeze_count() == 0
    assert not any(isinstance(cb, gcpolicy._Policy) for cb in gc.callbacks)


def test_serve_forever_runs_on_the_event_loop_the_config_names() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append(type(asyncio.get_running_loop()).__module__)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, loop="uvloop", lifespan="off", log_level="warning"))
    thread = threading.Thread(target=serve_forever, args=(server, sock), daemon=True)
    thread.start()
    try:
        while not server.started:  # uvicorn sets `started` once listening
            assert thread.is_alive()
            thread.join(timeout=0.01)
        answer = httpx.get(f"http://127.0.0.1:{sock.getsockname()[1]}/", timeout=10)
        assert answer.text == "ok"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        gcpolicy.uninstall()
    assert seen == ["uvloop"]
