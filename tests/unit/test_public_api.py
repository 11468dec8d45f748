"""The curated public surface of the package."""

from __future__ import annotations

import harness


def test_all_is_sorted_and_importable() -> None:
    assert harness.__all__ == sorted(harness.__all__)
    for name in harness.__all__:
        assert hasattr(harness, name), name
