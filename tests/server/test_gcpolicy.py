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
    gcpolicy.install(sweep_every=3)
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


def test_a_full_collection_walks_only_what_came_since_the_last_one(policy: None) -> None:
    gc.collect()
    assert gc.get_objects(generation=2) == []  # everything older sits in the permanent generation
    fresh = [Node() for _ in range(10)]
    gc.collect(1)
    old = {id(x) for x in gc.get_objects(generation=2)}
    assert all(id(x) in old for x in fresh)


def test_old_cycles_are_reclaimed_at_the_periodic_sweep(policy: None) -> None:
    import weakref

    holder = [_cycle()]
    probe = weakref.ref(holder[0])
    gc.collect()  # the cycle survives (still referenced) and is frozen
    holder.clear()  # now it is cyclic garbage among frozen objects
    collected = False
    for _ in range(3):  # within `sweep_every` full collections, one walks the frozen objects too
        gc.collect()
        if probe() is None:
            collected = True
            break
    assert collected


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
