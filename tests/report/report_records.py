"""Fake run records shaped like the ones the pytest plugin writes, and a small bundled-like matrix of them."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.timeline import Kind, Timeline

SCENARIOS = {
    "session-based-chat/a-rep-ends-the-session": (
        "A rep ends the session",
        "session_based_chat/session_end.feature",
        12,
    ),
    "session-based-chat/the-user-ends-the-chat": (
        "The user ends the chat",
        "session_based_chat/session_end.feature",
        24,
    ),
    "opt-out/keyword-keeps-conversation-open": ("An opt-out keyword keeps it open", "opt_out/keyword.feature", 5),
}
PROFILES = {
    "ios-1.9": ("ios", "1.9.0"),
    "ios-1.10": ("ios", "1.10.0"),
    "android-1.8": ("android", "1.8.0"),
    "android-1.10": ("android", "1.10.0"),
    "web": ("web", "1.0.0"),
}


@dataclass(frozen=True)
class FakeCapability:
    value: Any
    evidence: str
    source: str = ""


@dataclass(frozen=True)
class FakeProfile:
    """Shaped like harness.sdk.profiles.SdkProfile."""

    name: str
    platform: str
    version: str
    release_date: str | None = None
    capabilities: dict[str, FakeCapability] = field(default_factory=dict)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def fake_profiles() -> list[FakeProfile]:
    return [
        FakeProfile(
            name,
            platform,
            version,
            "2025-10-28",
            {
                "typed_close_entry": FakeCapability(_numbers(version) >= (1, 10), "documented", "sdk-versions.md 4.2"),
                "reconnects": FakeCapability(True, "inferred"),
            },
        )
        for name, (platform, version) in PROFILES.items()
    ]


def evidence(reason: str) -> list[dict[str, Any]]:
    timeline = Timeline()
    timeline.add(Kind.ACTION, "user", "tap send 'hello'")
    timeline.add(Kind.REQUEST, "app", "POST /conversation/c1/message", {"status": 202}, at_ms=0)
    timeline.add(Kind.CONTROL, "rep", "rep ends the session", at_ms=1000)
    timeline.add(Kind.EVENT, "server", "CONVERSATION_CLOSE_CONVERSATION", at_ms=1000)
    timeline.add(Kind.UI, "app", "composer read-only <closed>")
    timeline.add(Kind.NOTE, "harness", reason)
    return timeline.to_json()


def make_run(
    scenario_id: str = "session-based-chat/a-rep-ends-the-session",
    sdk: str = "android-1.10",
    app: str = "persist-forever",
    verdict: str = "pass",
    reason_code: str = "recovered",
    variant: str = "close-event",
    seed: int = 1234,
    **extra: Any,
) -> dict[str, Any]:
    name, feature_file, line = SCENARIOS.get(scenario_id, (scenario_id, "extra.feature", 3))
    platform, version = PROFILES.get(sdk, ("android", "1.0.0"))
    record: dict[str, Any] = {
        "scenario_id": scenario_id,
        "scenario": name,
        "feature": "Session-Based Chat closes the conversation when a session ends",
        "feature_file": feature_file,
        "feature_line": 1,
        "scenario_line": line,
        "tags": ["closing", "needs_rep"],
        "article": ["Any messaging session ended by a service rep, bot, or end user also ends the conversation."],
        "sdk": {"name": sdk, "platform": platform, "version": version},
        "app": app,
        "variant": {"name": variant, "settings": {"emit_close_event_on_sbc_end": variant == "close-event"}},
        "verdict": verdict,
        "reason_code": reason_code,
        "reason": f"{verdict} because {reason_code}",
        "seed": seed,
        "evidence": evidence(f"judged {verdict}"),
        "steps": [
            {
                "keyword": "Given",
                "name": "a published deployment",
                "line": line + 1,
                "status": "passed",
                "duration_ms": 0.25,
                "error": None,
            },
            {
                "keyword": "When",
                "name": "a rep ends the session",
                "line": line + 2,
                "status": "passed",
                "duration_ms": 0.5,
                "error": None,
            },
            {
                "keyword": "Then",
                "name": "the user can message again",
                "line": line + 3,
                "status": "failed" if verdict in ("blocked", "error") else "passed",
                "duration_ms": 0.75,
                "error": "AssertionError: stuck" if verdict == "blocked" else None,
            },
        ],
        "nodeid": f"suite.py::test_{scenario_id.split('/')[-1]}[{sdk}-{app}-{variant}]",
        "duration_ms": 3.1,
        "worker": "gw0",
    }
    record.update(extra)
    return record


def _verdict_for(scenario_id: str, sdk: str, app: str, variant: str) -> tuple[str, str]:
    closed_aware = sdk.endswith("1.10") or sdk == "web"
    if scenario_id.startswith("opt-out"):
        return ("not_applicable", "not_applicable") if sdk == "web" else ("pass", "recovered")
    if app == "persist-forever" and not closed_aware:
        return ("blocked", "reused_closed_id") if variant == "close-event" else ("degraded", "ui_lied")
    if app == "persist-forever":
        return ("degraded", "message_lost") if variant == "no-close-event" else ("pass", "recovered")
    return ("pass", "recovered")


def matrix_records(seed: int = 7) -> list[dict[str, Any]]:
    """A small matrix: every scenario x profile x app strategy x runtime variant, with a plausible verdict spread."""
    rng = random.Random(seed)
    records = []
    for scenario_id in SCENARIOS:
        for sdk in PROFILES:
            for app in ("persist-forever", "persist-until-closed-event"):
                for variant in ("close-event", "no-close-event"):
                    verdict, code = _verdict_for(scenario_id, sdk, app, variant)
                    records.append(make_run(scenario_id, sdk, app, verdict, code, variant, seed=rng.randrange(10**6)))
    return records


def write_records(
    directory: Path, records: list[dict[str, Any]], workers: int = 1, shuffle_seed: int | None = None
) -> None:
    """Spread records over `runs-<worker>.jsonl` files in a (possibly shuffled) finishing order, like xdist does."""
    directory.mkdir(parents=True, exist_ok=True)
    order = list(records)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(order)
    names = ["main"] if workers == 1 else [f"gw{i}" for i in range(workers)]
    for i, name in enumerate(names):
        mine = order[i::workers]
        with (directory / f"runs-{name}.jsonl").open("w", encoding="utf-8") as handle:
            for record in mine:
                handle.write(json.dumps({**record, "worker": name}) + "\n")
        (directory / f"collected-{name}.json").write_text(json.dumps({"collected": len(records)}), encoding="utf-8")
