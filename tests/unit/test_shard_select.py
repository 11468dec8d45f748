"""Shard selection: every key in exactly one shard, balanced, independent of input order."""

from __future__ import annotations

import random

from harness.shard import Shard


def test_shards_partition_the_keys_evenly() -> None:
    keys = [f"suite.py::test_{i % 17}|ios-1.{i % 5}|app-{i % 3}" for i in range(400)]
    unique = set(keys)
    slices = [Shard(k, 4).select(keys) for k in range(1, 5)]
    assert set().union(*slices) == unique
    assert sum(len(s) for s in slices) == len(unique)
    assert max(len(s) for s in slices) - min(len(s) for s in slices) <= 1
    shuffled = list(keys)
    random.Random(3).shuffle(shuffled)
    assert [Shard(k, 4).select(shuffled) for k in range(1, 5)] == slices


def test_one_shard_is_everything() -> None:
    assert Shard.parse(" 1 / 1 ").select(["a", "b"]) == {"a", "b"}
