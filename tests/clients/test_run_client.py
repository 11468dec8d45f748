"""`miaw-harness run --client`: a real client through the whole suite, with the same reports as a simulated run.

Each test runs the command line for real (the pytest session, the mock on a free loopback port, the client) over a
few bundled scenarios: the browser adapter on the demo chat must give the simulated `web` cells' verdicts for the
same policy; the command adapter drives the scripted fake device; the manual adapter reads scripted answers.
"""

from __future__ import annotations

import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.clients.demo_app import DEMO_BROWSER_TOML
from harness.paths import features_dir, fixtures_dir
from harness.report.results import from_json

FAKE_DEVICE = Path(__file__).with_name("fake_device.py")
REP_ENDS = "A rep ends the session"
END_CHAT = "The end user taps End Chat"


def feature_subset(root: Path, scenarios: dict[str, tuple[str, ...]]) -> Path:
    """A features folder with the bundled files `scenarios` names, cut down to the named scenarios (all of them for
    an empty tuple). The folders are the bundled ones, so the scenario ids are too."""
    for relative, names in scenarios.items():
        blocks = (features_dir() / relative).read_text(encoding="utf-8").split("\n\n")
        kept = [b for b in blocks if "Scenario:" not in b or not names or any(f"Scenario: {n}\n" in b for n in names)]
        out = root / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n\n".join(kept).rstrip("\n") + "\n", encoding="utf-8")
    return root


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness", "run", "-q", "--fail-on", "never", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def verdicts(out: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(scenario id, variant) -> (verdict, reason) from results.json."""
    results = from_json(json.loads((out / "results.json").read_text(encoding="utf-8")))  # reasons are table indexes
    return {(cell.scenario_id, r.variant): (r.verdict.value, r.reason) for cell in results.cells for r in cell.runs}


def records_client(out: Path) -> set[tuple[str, str]]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {(c["sdk"], c["app"]) for c in data["cells"]}


def demo_toml(tmp_path: Path, policy: str) -> Path:
    path = tmp_path / f"demo-{policy}.toml"
    text = DEMO_BROWSER_TOML.read_text(encoding="utf-8").replace("policy=web-storage", f"policy={policy}")
    path.write_text(text, encoding="utf-8")
    return path


def web_strategy(tmp_path: Path, policy: str) -> tuple[str, list[str]]:
    """The simulated app strategy for `policy` on the web profile: the bundled `web-storage` is a web strategy; a
    mobile one is copied with `platforms = ["web"]` under a name of its own (`--apps-dir`)."""
    if policy == "web-storage":
        return policy, []
    apps = tmp_path / "apps"
    apps.mkdir()
    text = (fixtures_dir() / "apps" / f"{policy}.toml").read_text(encoding="utf-8")
    name = f"{policy}-on-web"
    text = text.replace(f'name = "{policy}"', f'name = "{name}"').replace(
        'platforms = ["ios", "android"]', 'platforms = ["web"]'
    )
    (apps / f"{name}.toml").write_text(text, encoding="utf-8")
    return name, ["--apps-dir", str(apps)]


@pytest.mark.parametrize("policy", ["web-storage", "persist-forever"])
def test_the_demo_chat_through_run_gets_the_simulated_web_verdicts(tmp_path: Path, policy: str) -> None:
    features = feature_subset(
        tmp_path / "features",
        {"session_based_chat/session_end.feature": (REP_ENDS,), "web/refresh.feature": ()},
    )
    browser = run(
        *("--client", f"browser:{demo_toml(tmp_path, policy)}", "--serve-port", "0"),
        *("--features", str(features), "--out", str(tmp_path / "browser")),
    )
    assert browser.returncode == 0, browser.stderr[-2000:] + browser.stdout[-2000:]
    strategy, apps_dir = web_strategy(tmp_path, policy)
    simulated = run(
        *("--sdk", "web", "--app", strategy, *apps_dir, "--features", str(features)),
        *("--out", str(tmp_path / "simulated"), "-n", "0"),
    )
    assert simulated.returncode == 0, simulated.stderr[-2000:]

    found, expected = verdicts(tmp_path / "browser"), verdicts(tmp_path / "simulated")
    # two scenarios; the real client runs under every closed-send status, the simulated web profile only under those
    # it reacts to differently from the default one
    assert set(expected) <= set(found) and len(found) == 8 and len(expected) == 6
    assert {k: found[k][0] for k in expected} == {k: v[0] for k, v in expected.items()}, (found, expected)
    assert {v[0] for v in found.values()} <= {"pass", "degraded", "blocked"}, found  # verdicts about the app
    assert records_client(tmp_path / "browser") == {("browser:demo chat", "demo chat")}
    report = (tmp_path / "browser" / "report.md").read_text(encoding="utf-8")
    assert "Client under test: browser:demo chat" in report
    for name in ("index.html", "junit.xml", "cucumber.json"):
        assert (tmp_path / "browser" / name).is_file()


def device_toml(tmp_path: Path, policy: str, reports: str) -> Path:
    device = f'{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_DEVICE))} device.json "$MIAW_BASE_URL" {policy}'
    actions = ("launch", "send", "tap_new_conversation", "reopen_chat", "relaunch", "state")
    lines = [
        f"name = 'fake {policy}'",
        "timeout_s = 30",
        f"reports = {reports}",
        "[commands]",
        "reset = 'rm -f device.json'",
    ]
    lines += [f"{action} = '{device} {action}'" for action in actions]
    path = tmp_path / f"device-{policy}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FULL_REPORTS = '["banner", "new_conversation_button", "message_state", "message_ids", "conversation_id", "subject"]'


def test_the_fake_device_through_run_recovers_and_end_chat_is_not_applicable(tmp_path: Path) -> None:
    features = feature_subset(tmp_path / "features", {"session_based_chat/session_end.feature": (REP_ENDS, END_CHAT)})
    client = device_toml(tmp_path, "pick-first-open-from-list", FULL_REPORTS)
    done = run(
        "--client", f"command:{client}", "--serve-port", "0", "--features", str(features), "--out", str(tmp_path / "o")
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = verdicts(tmp_path / "o")
    rep = "session_based_chat/a-rep-ends-the-session"
    end = "session_based_chat/the-end-user-taps-end-chat"
    for variant in ("close-event", "no-close-event"):
        verdict, reason = found[(rep, variant)]
        assert verdict == "pass", reason
        assert reason.endswith("after: type in the chat, tap 'start a new conversation'")
        verdict, reason = found[(end, variant)]
        assert verdict == "not_applicable"
        assert reason == (
            "command client 'fake pick-first-open-from-list' cannot end the chat from the app's own menu "
            "(the client adapter has no such action)"
        )
    assert records_client(tmp_path / "o") == {
        ("command:fake pick-first-open-from-list", "fake pick-first-open-from-list")
    }


def _evidence(out: Path, scenario: str, variant: str) -> list[list[Any]]:
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    run_ = next(r for c in data["cells"] if c["scenario_id"] == scenario for r in c["runs"] if r["variant"] == variant)
    return [data["evidence"][n] for n in run_["evidence"]]


def test_a_device_that_reports_nothing_is_followed_through_the_runtimes_record(tmp_path: Path) -> None:
    """No ids, no conversation id, no identity, no banner or button: messages are matched by text, the user is found
    on the runtime, the steps it cannot do are skipped, and the runtime's record lands in the evidence."""
    features = feature_subset(tmp_path / "features", {"session_based_chat/session_end.feature": (REP_ENDS,)})
    found_by_policy = {}
    for policy in ("pick-first-open-from-list", "persist-forever"):
        client = device_toml(tmp_path, policy, "[]")
        out = tmp_path / policy
        done = run("--client", f"command:{client}", "--serve-port", "0", "--features", str(features), "--out", str(out))
        assert done.returncode == 0, done.stderr[-2000:]
        found_by_policy[policy] = verdicts(out)
    rep = "session_based_chat/a-rep-ends-the-session"
    verdict, reason = found_by_policy["pick-first-open-from-list"][(rep, "close-event")]
    assert (verdict, reason) == (
        "pass",
        "the app showed the truth and the user reached a rep after: type in the chat, reopen the chat",
    )
    verdict, reason = found_by_policy["persist-forever"][(rep, "close-event")]
    assert verdict == "not_applicable"
    assert reason == (
        "command client 'fake persist-forever' cannot read whether a new-conversation button shows: the recovery "
        "protocol could not be finished"
    )
    evidence = _evidence(tmp_path / "pick-first-open-from-list", rep, "close-event")
    records = [e for e in evidence if e[0] == "note" and e[1] == "runtime"]
    assert [e[2] for e in records] == [
        "the runtime's record: the first message reached a rep",
        "the runtime's record: after the recovery",
    ]
    after = records[-1][4]
    assert [c["state"] for c in after["conversations"]] == ["CLOSED", "OPEN"]
    assert after["new_conversation_after_close"] is True and after["left_open"] == []
    assert after["time_to_recovery_ms"] >= 0
    assert ["note", "harness", "skipped: the client cannot read whether a new-conversation button shows"] in [
        e[:3] for e in evidence
    ]


def test_a_manual_run_whose_first_message_never_reaches_the_runtime_is_a_setup_failure(tmp_path: Path) -> None:
    """The tester answers from a script; nothing was really sent, so the runtime never gets the first message: the
    scenario is an error that says so, with the runtime's record as evidence, not a verdict about the app."""
    features = feature_subset(tmp_path / "features", {"session_based_chat/session_end.feature": (REP_ENDS,)})
    per_scenario = [
        "y",  # cleared the app's data
        "y",  # launched
        "y",
        "n",
        "n",
        "",  # the screen: composer, banner, button, newest rep message
        "y",  # typed and sent
        "sent",  # how the message shows
        "y",
        "n",
        "n",
        "",  # the screen
        "",  # the screen stopped changing
        "y",
        "n",
        "n",
        "",  # the screen
    ]
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(per_scenario * 2) + "\n", encoding="utf-8")  # two variants
    transcript = tmp_path / "transcript.txt"
    env = {**_environ(), "MIAW_MANUAL_INPUT": str(answers), "MIAW_MANUAL_OUTPUT": str(transcript)}
    done = run(
        "--client", "manual", "--serve-port", "0", "--features", str(features), "--out", str(tmp_path / "o"), env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rep = "session_based_chat/a-rep-ends-the-session"
    for variant in ("close-event", "no-close-event"):
        verdict, reason = verdicts(tmp_path / "o")[(rep, variant)]
        assert verdict == "error"
        assert reason.startswith(
            "AssertionError: setup failed: the first message did not reach a rep (the runtime never got it)"
        )
        notes = [e for e in _evidence(tmp_path / "o", rep, variant) if e[1] == "runtime"]
        assert notes[0][2] == "the runtime's record: setup failed: the first message did not reach a rep"
        assert notes[0][4]["conversations"] == []
    asked = transcript.read_text(encoding="utf-8")
    assert asked.count("Launch the app and open its chat screen.") == 2
    assert records_client(tmp_path / "o") == {("manual:tester", "tester")}


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def usage_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run `miaw-harness run ARGS` in this process; it must stop before the suite with one line and exit 2."""
    assert main(["run", *args]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    ("client", "message"),
    [
        ("telnet:x.toml", "unknown client kind 'telnet' in --client 'telnet:x.toml': --client takes browser:FILE.toml"),
        ("browser", "--client browser needs its description file: --client browser:FILE.toml"),
        ("command:missing.toml", "missing.toml is not a file"),
        ("manual:answers.txt", "--client manual takes no file"),
    ],
)
def test_a_bad_client_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], client: str, message: str
) -> None:
    assert message in usage_error(capsys, "--client", client, "--out", str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_a_browser_client_without_playwright_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "playwright" else real(name, *a))
    line = usage_error(capsys, "--client", f"browser:{DEMO_BROWSER_TOML}", "--out", str(tmp_path / "o"))
    assert line.endswith(
        "--client browser needs Playwright: pip install 'miaw-harness[browser]' (no browser download needed)"
    )


def test_a_client_file_with_a_mistake_names_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = tmp_path / "chat.toml"
    chat.write_text("url = '{base_url}/x'\n[selectors]\ninput = '#i'\nmessages = '.m'\n[actions]\nreopen = 'refresh'\n")
    line = usage_error(capsys, "--client", f"browser:{chat}", "--out", str(tmp_path / "o"))
    assert line.endswith(f"{chat}: key 'actions.reopen': 'refresh' is not allowed; allowed: reload, navigate")


def test_client_options_that_do_not_go_together_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toml = device_toml(tmp_path, "persist-forever", "[]")
    out = str(tmp_path / "o")
    assert "--client replaces them" in usage_error(capsys, "--client", f"command:{toml}", "--sdk", "web", "--out", out)
    assert "a real client runs one scenario at a time" in usage_error(
        capsys, "--client", f"command:{toml}", "-n", "2", "--out", out
    )
    assert "--serve-port goes with --client" in usage_error(capsys, "--serve-port", "9999", "--out", out)
    assert "cannot reach its control API" in usage_error(
        capsys,
        *("--client", f"command:{toml}", "--target", "http://127.0.0.1:9", "--org-id", "00DHA0000001HRNAAA"),
        *("--deployment", "MIAW_Harness", "--out", out),
    )
