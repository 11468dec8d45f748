"""A run record: one scenario run under one cell and variant, as the pytest layer writes it and reports read it.

One JSON line per run (`runs-<worker>.jsonl`). `RunRecord` is the one shape both sides use: the plugin's run state
builds it (`harness.steps.runtime.RunState.record`) and `harness.report.results` reads it back with
`read_record`, which checks what every reader relies on and leaves the rest to `.get` (older records may lack it).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, cast

from harness.errors import UserError

__all__ = ["ORG_SDK", "RunRecord", "SdkInfo", "VariantInfo", "read_record"]


class SdkInfo(TypedDict):
    name: str
    platform: str
    version: str


class VariantInfo(TypedDict):
    name: str
    settings: dict[str, Any]
    assumptions: NotRequired[list[dict[str, Any]]]  # the unknown SDK flags the run consulted, with their values


ORG_SDK = SdkInfo(name="org-settings", platform="org", version="-")  # the row of checks without an SDK profile


class RunRecord(TypedDict):
    scenario_id: str
    scenario: str
    feature: str
    feature_file: str
    feature_line: int
    scenario_line: int
    tags: list[str]
    article: list[str]
    sdk: SdkInfo
    app: str  # an app strategy's name, "-" without one
    variant: VariantInfo
    verdict: str
    reason_code: str
    reason: str
    recovery: str | None  # how the user got back to a rep (a `RecoveryPath` value); None: not attempted
    seed: int
    evidence: list[dict[str, Any]]  # the run's timeline (`harness.timeline.Timeline.to_json`)
    steps: list[dict[str, Any]]
    nodeid: str
    duration_ms: float
    worker: str
    client: NotRequired[dict[str, Any]]  # a real client (`run --client`): {kind, name, file}


def read_record(data: Any, where: str) -> RunRecord:
    """`data` as a run record, once the fields every reader indexes are there (scenario, cell, verdict)."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: a run record must be a JSON object")
    for key in ("scenario_id", "app", "verdict"):
        if not isinstance(data.get(key), str):
            raise UserError(f"{where}: run record has no string '{key}'")
    sdk = data.get("sdk")
    if not isinstance(sdk, dict) or not isinstance(sdk.get("name"), str):
        raise UserError(f"{where}: run record has no 'sdk.name'")
    return cast(RunRecord, data)
