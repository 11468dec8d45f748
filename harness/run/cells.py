"""The run matrix: one cell per (SDK profile, app strategy, runtime variant) that a scenario runs under."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.run.records import VariantInfo
from harness.run.variants import Assignment, Variant, variants_for
from harness.sdk.profiles import SdkProfile, apply_pins, load_profiles, select_profiles
from harness.sdk.strategies import AppStrategy, compatible, load_strategies, select_strategies

if TYPE_CHECKING:
    from harness.clients.spec import ClientSpec

__all__ = ["DEFAULT_SEED", "ORG_TAG", "WEB_TAG", "Cell", "Selection", "cell_seed"]

DEFAULT_SEED = 20251028  # the base seed of every run route (`miaw-harness run` and the plain pytest session)

ORG_TAG = "org"  # org-level scenario: runs once, with no SDK or app
WEB_TAG = "web"  # Enhanced Web Chat only


@dataclass(frozen=True)
class Cell:
    profile: SdkProfile | None
    strategy: AppStrategy | None
    variant: Variant
    # Values this run gives SDK flags nobody knows (the SDK variant axis); empty: the profile's own values.
    assumed: Assignment = ()
    client: ClientSpec | None = None  # a real client (`run --client`) instead of a simulated profile and app

    @property
    def id(self) -> str:
        """The cell's identity (and its seed): the same for every SDK assumption it runs under."""
        if self.client is not None:
            return f"{self.client.label}/{self.variant.name}"
        if self.profile is None or self.strategy is None:
            return f"org/{self.variant.name}"
        return f"{self.profile.name}/{self.strategy.name}/{self.variant.name}"

    def assuming(self, assignment: Assignment) -> Cell:
        """This cell with its profile's unknown flags set as `assignment` says (a fork of the same run)."""
        if self.profile is None or not assignment:
            return Cell(self.profile, self.strategy, self.variant, ())
        profile = self.profile
        for flag, value in assignment:
            profile = profile.assume(flag, value)
        return Cell(profile, self.strategy, self.variant, assignment)

    def variant_json(self, assumptions: list[dict[str, Any]] | None = None) -> VariantInfo:
        """The record's `variant`: the runtime variant and the SDK assumptions the run's verdict rested on."""
        data = VariantInfo(name=self.variant.name, settings=dict(self.variant.settings))
        if assumptions:
            data["assumptions"] = assumptions
        return data


@dataclass(frozen=True)
class Selection:
    """Which profiles and strategies a run covers (`--sdk`, `--app`, `--profiles-dir`, `--apps-dir`)."""

    profiles: tuple[SdkProfile, ...]
    strategies: tuple[AppStrategy, ...]
    client: ClientSpec | None = None  # `--client`: every scenario runs with it, once per runtime variant

    @classmethod
    def load(
        cls,
        sdk_patterns: Sequence[str] = (),
        app_patterns: Sequence[str] = (),
        profiles_dirs: Sequence[Path] = (),
        apps_dirs: Sequence[Path] = (),
        pins: Sequence[str] = (),
    ) -> Selection:
        profiles = apply_pins(load_profiles(profiles_dirs), pins)
        strategies = load_strategies(apps_dirs)
        if sdk_patterns:
            profiles = select_profiles(profiles, sdk_patterns)
        if app_patterns:
            strategies = select_strategies(strategies, app_patterns)
        return cls(tuple(profiles), tuple(strategies))

    def pairs(self) -> list[tuple[SdkProfile, AppStrategy]]:
        return [(p, s) for p in self.profiles for s in self.strategies if compatible(p, s)]

    def cells_for(self, tags: Iterable[str]) -> list[Cell]:
        tagset = set(tags)
        if self.client is not None:  # org-level checks use no app; web-only ones need a web page
            if ORG_TAG in tagset or (WEB_TAG in tagset and self.client.kind != "browser"):
                return []
            # how a real client treats each closed-send status is not written down anywhere: it runs under every one
            return [Cell(None, None, v, client=self.client) for v in variants_for(tagset, every_status=True)]
        if ORG_TAG in tagset:
            return [Cell(None, None, v) for v in variants_for(tagset)]
        pairs = self.pairs()
        if WEB_TAG in tagset:
            pairs = [(p, s) for p, s in pairs if p.platform == "web"]
        return [Cell(p, s, v) for p, s in pairs for v in variants_for(tagset, p)]


def cell_seed(base_seed: int, scenario_id: str, cell: Cell) -> int:
    """A per-run seed that depends only on the base seed, the scenario and the cell (stable across workers)."""
    return zlib.crc32(f"{base_seed}|{scenario_id}|{cell.id}".encode()) & 0x7FFFFFFF
