"""`miaw-harness profiles`: the bundled SDK profiles and app strategies as tables or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.sdk.profiles import CAPABILITIES, SdkProfile, load_profiles
from harness.sdk.strategies import AppStrategy, load_strategies

HELP = "List the SDK profiles and app strategies (bundled plus --profiles-dir / --apps-dir)."

_EVIDENCE_MARK = {"documented": "", "inferred": "~", "unknown": "?"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--profiles-dir", type=Path, action="append", default=[], metavar="DIR", help="extra SDK profile TOML files"
    )
    parser.add_argument(
        "--apps-dir", type=Path, action="append", default=[], metavar="DIR", help="extra app strategy TOML files"
    )


def run(args: argparse.Namespace) -> int:
    profiles = load_profiles(args.profiles_dir)
    strategies = load_strategies(args.apps_dir)
    if args.json:
        json.dump(
            {"profiles": [profile_json(p) for p in profiles], "strategies": [strategy_json(s) for s in strategies]},
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    console = Console(width=max(200, Console().width))
    console.print(_profile_table(profiles))
    console.print("value suffix: ~ inferred, ? unknown (unmarked: documented)")
    console.print(_strategy_table(strategies))
    return 0


def profile_json(profile: SdkProfile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "platform": profile.platform,
        "version": profile.version,
        "release_date": profile.release_date,
        "description": profile.description,
        "capabilities": {
            key: {"value": cap.value, "evidence": cap.evidence, "source": cap.source}
            for key, cap in profile.capabilities.items()
        },
    }


def strategy_json(strategy: AppStrategy) -> dict[str, Any]:
    return {
        "name": strategy.name,
        "description": strategy.description,
        "id_policy": strategy.id_policy.value,
        "on_failed_send": strategy.on_failed_send.value,
        "new_conversation_button": strategy.new_conversation_button,
        "hide_end_chat": strategy.hide_end_chat,
        "platforms": list(strategy.platforms),
        "source": strategy.source,
    }


def _cell(profile: SdkProfile, key: str) -> str:
    cap = profile.capabilities[key]
    value = cap.value
    text = ("Y" if value else "N") if isinstance(value, bool) else str(value)
    return text + _EVIDENCE_MARK[cap.evidence]


# Column headings: the behaviour ids of sdk-versions.md §4.1 where there is one.
_SHORT = {
    "exposes_conversation_status": "B1 status",
    "typed_close_entry": "B2 close",
    "session_status_entries": "B3 sess",
    "readonly_closed_view": "B4 r/o",
    "auto_new_conversation": "B5 auto",
    "create_conversation_api": "B6 create",
    "end_chat": "B7 end",
    "hide_end_chat": "B8 hide",
    "close_conversation_api": "B9 close",
    "sdk_persists_conversation_id": "B10 keep",
    "realtime_reconnect": "B11 stream",
    "closed_send_ui": "B12 send",
    "conversation_updated_callback": "updated",
    "list_conversations": "list",
    "unknown_entries": "unknown",
    "rest_api": "API",
}


def _profile_table(profiles: list[SdkProfile]) -> Table:
    table = Table(title="SDK profiles")
    table.add_column("profile", no_wrap=True, min_width=12)
    table.add_column("released", no_wrap=True, min_width=10)
    keys = [key for key in CAPABILITIES if key in _SHORT]
    for key in keys:
        table.add_column(_SHORT[key], justify="center", no_wrap=True)
    for profile in profiles:
        table.add_row(profile.name, profile.release_date, *(_cell(profile, key) for key in keys))
    return table


def _strategy_table(strategies: list[AppStrategy]) -> Table:
    table = Table(title="App strategies")
    for column in ("name", "id policy", "failed send", "new-chat button", "platforms", "description"):
        table.add_column(column)
    for s in strategies:
        table.add_row(
            s.name,
            s.id_policy.value,
            s.on_failed_send.value,
            "Y" if s.new_conversation_button else "N",
            ", ".join(s.platforms),
            s.description,
        )
    return table
