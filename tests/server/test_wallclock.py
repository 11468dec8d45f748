"""`fidelity.clock = "wall"`: virtual time follows the wall clock and keeps the control API's jumps (DESIGN.md
decision 5; §11.7's `exp` is then comparable with a real client's clock)."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest

from harness.run.control import ControlClient
from harness.server import StreamingASGITransport, create_app
from harness.server.clock import VirtualClock, WallSync
from harness.server.config import ConfigError, ServerConfig
from harness.server.fidelity import FidelitySettings
from harness.server.wallclock import WallClockMiddleware
from server.server_helpers import SseReader, Target, make_config, new_user

pytestmark = pytest.mark.anyio


class FakeWall:
    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def test_wall_sync_follows_the_wall_and_keeps_jumps() -> None:
    wall = FakeWall(1_000_000)
    clock = VirtualClock(1_000_000)
    fired: list[int] = []
    clock.call_later(5, lambda: fired.append(clock.now_ms))
    sync = WallSync(clock, wall)
    wall.now_ms += 6000
    assert sync.sync() == 1 and fired == [1_005_000] and clock.now_ms == 1_006_000
    clock.advance(3600)  # a control API jump
    wall.now_ms += 1000
    sync.sync()
    assert clock.now_ms == 1_006_000 + 3_600_000 + 1000
    assert sync.sync() == 0  # wall time stood still: nothing moves


async def test_a_wall_clock_app_stamps_real_time_and_expires_tokens_in_real_time() -> None:
    config = make_config()  # frozen: the wall clock is wrapped around it below, with a wall the test moves
    app = create_app(config)
    wall = FakeWall(time.time_ns() // 1_000_000)
    wrapped = WallClockMiddleware(app, runtime=app.state.runtime, wall=wall, tick_s=None)
    async with httpx.AsyncClient(transport=StreamingASGITransport(wrapped), base_url="http://miaw.test") as http:
        target = Target("asgi", http, ControlClient(http), config.org_id)
        assert await target.control.now_ms() == wall.now_ms  # the default start is replaced by "now"
        user = await new_user(target)
        cid = await user.create()
        wall.now_ms += 3599_000
        assert (await user.send(cid)).status_code == 202
        wall.now_ms += 1000
        assert (await user.send(cid)).status_code == 401


async def test_an_open_stream_ends_when_the_wall_clock_passes_its_token_expiry() -> None:
    """No request and no event after `exp`: the background wall-clock sync alone ends the stream."""
    config = make_config()
    app = create_app(config)
    wall = FakeWall(time.time_ns() // 1_000_000)
    wrapped = WallClockMiddleware(app, runtime=app.state.runtime, wall=wall, tick_s=None)
    async with httpx.AsyncClient(transport=StreamingASGITransport(wrapped), base_url="http://miaw.test") as http:
        target = Target("asgi", http, ControlClient(http), config.org_id)
        user = await new_user(target)
        async with SseReader(user) as reader:
            wall.now_ms += 3599_000
            wrapped.sync()  # what the server's once-a-second tick does
            assert app.state.runtime.events.stream_count(user.subject) == 1
            wall.now_ms += 1000
            wrapped.sync()
            await reader.wait(lambda: reader.ended)
        async with SseReader(user) as again:
            await again.wait(lambda: again.ended)
        assert again.status == 401


async def test_create_app_installs_the_wall_clock_when_asked() -> None:
    config = dataclasses.replace(make_config(), fidelity=FidelitySettings(clock="wall"))
    before = time.time_ns() // 1_000_000
    app = create_app(config)
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://miaw.test") as http:
        assert await ControlClient(http).now_ms() >= before


def test_fidelity_table_in_a_config_file_is_checked() -> None:
    config = ServerConfig.from_mapping(
        {"fidelity": {"clock": "wall", "rate_limits": "auto", "x_org_id_rule": "first-15"}}
    )
    assert (config.fidelity.clock, config.fidelity.rate_limits, config.fidelity.x_org_id_rule) == (
        "wall",
        None,
        "first-15",
    )
    with pytest.raises(ConfigError, match=r"fidelity\.clock: must be one of frozen, wall"):
        ServerConfig.from_mapping({"fidelity": {"clock": "sundial"}})
    with pytest.raises(ConfigError, match=r"fidelity\.bogus: unknown setting"):
        ServerConfig.from_mapping({"fidelity": {"bogus": 1}})
    with pytest.raises(ConfigError, match="fidelity: must be a table"):
        ServerConfig.from_mapping({"fidelity": 3})


def test_with_fidelity_is_how_a_command_line_sets_the_clock() -> None:
    assert ServerConfig().with_fidelity(clock="wall").fidelity.clock == "wall"
    with pytest.raises(ConfigError, match=r"fidelity\.clock: must be one of frozen, wall, got 'lunar'"):
        ServerConfig().with_fidelity(clock="lunar")
