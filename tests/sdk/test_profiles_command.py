"""`miaw-harness profiles`: tables, JSON, and one-line errors for bad data files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.commands import profiles as command
from harness.sdk.profiles import CAPABILITIES


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return command.run(parser.parse_args(list(argv)))


def test_json_lists_every_profile_and_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["profiles"]) == 15
    assert len(data["strategies"]) == 7
    android = next(p for p in data["profiles"] if p["name"] == "android-1.10")
    assert list(android["capabilities"]) == list(CAPABILITIES)
    assert android["capabilities"]["readonly_closed_view"] == {
        "value": True,
        "evidence": "documented",
        "source": android["capabilities"]["readonly_closed_view"]["source"],
    }
    web = next(s for s in data["strategies"] if s["name"] == "web-storage")
    assert web["platforms"] == ["web"]


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run() == 0
    out = capsys.readouterr().out
    for text in ("SDK profiles", "App strategies", "web-storage", "B12 send", "~ inferred"):
        assert text in out
    for profile in ("android-1.10", "ios-1.11", "web"):
        assert f"│ {profile} " in out


def test_extra_dirs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    apps = tmp_path / "apps"
    apps.mkdir()
    (apps / "mine.toml").write_text(
        'name = "mine"\ndescription = "d"\nid_policy = "persist-forever"\non_failed_send = "retry-same"\n'
        'new_conversation_button = false\nplatforms = ["android"]\nsource = "s"\n'
    )
    assert _run("--json", "--apps-dir", str(apps)) == 0
    assert "mine" in [s["name"] for s in json.loads(capsys.readouterr().out)["strategies"]]


def test_bad_profile_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.toml").write_text('name = "x"\nplatform = "palm"\n')
    assert main(["profiles", "--profiles-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err == (
        f"miaw-harness profiles: error: {tmp_path / 'broken.toml'}: key 'platform': 'palm' is not allowed; "
        "allowed: ios, android, web"
    )
