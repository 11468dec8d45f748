"""Cleanup closes every open conversation of the identities the harness minted, and only those."""

from __future__ import annotations

import anyio
import pytest

from harness.sandbox.cleanup import Cleanup

from .conftest import InProcess
from .test_public_oracle import _open, _user

pytestmark = pytest.mark.anyio


async def test_open_conversations_of_tracked_identities_are_closed(in_process: InProcess) -> None:
    _, mine = await _user(in_process, "Existing_Channel")
    _, theirs = await _user(in_process, "Existing_Channel")
    a = await _open(in_process, mine, "Existing_Channel")
    b = await _open(in_process, mine, "Existing_Channel")
    other = await _open(in_process, theirs, "Existing_Channel")
    cleanup = Cleanup(in_process.http, "Existing_Channel", tokens=lambda: [mine])
    report = await cleanup.close_all()
    assert sorted(report.closed) == sorted([a, b]) and report.failed == []
    convs = in_process.runtime.conversations
    assert convs[a].closed and convs[b].closed and not convs[other].closed
    again = await cleanup.close_all()
    assert again.closed == [] and again.failed == []


async def test_cleanup_still_runs_when_the_run_is_cancelled(in_process: InProcess) -> None:
    _, token = await _user(in_process, "Existing_Channel")
    cid = await _open(in_process, token, "Existing_Channel")
    cleanup = Cleanup(in_process.http, "Existing_Channel")
    cleanup.track(token)
    with anyio.CancelScope() as scope:
        try:
            scope.cancel()  # what Ctrl-C does to the run's task
            await anyio.sleep(1)
        finally:
            report = await cleanup.close_all()
    assert scope.cancelled_caught and report.closed == [cid] and in_process.runtime.conversations[cid].closed


async def test_failures_are_reported_without_the_token(in_process: InProcess) -> None:
    cleanup = Cleanup(in_process.http, "Existing_Channel")
    cleanup.track("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bogus-signature")
    report = await cleanup.close_all()
    assert report.closed == [] and len(report.failed) == 1
    assert report.failed[0].startswith("(listing): 401") and "eyJ" not in report.failed[0]
