"""`miaw-harness run --target` against a sandbox-like runtime: no control endpoint, rep scenarios need a rep,
and no secret (access token, customer JWT) reaches any output, record, report or timeline."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.paths import features_dir

from .conftest import Sandbox, customer_jwt

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.")


@pytest.fixture(scope="module")
def target_run(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("sandbox-run") / "report"
    secret = customer_jwt(exp=int(time.time()) + 3600, sub="must-not-leak")
    capture = pytest.MonkeyPatch()
    capture.setenv("MIAW_CUSTOMER_JWT", secret)
    try:
        import contextlib
        import io

        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(
                [
                    "run",
                    *("--target", sandbox.url, "--org-id", sandbox.org_id, "--deployment", "New_Channel"),
                    *("--ca-bundle", sandbox.ca_bundle, "--sdk", "web", "--out", str(out)),
                    *("--features", str(features_dir() / "session_based_chat")),
                ]
            )
    finally:
        capture.undo()
    return {"code": code, "out": out, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(), "secret": secret}


def _cells(target_run: dict[str, object]) -> list[dict[str, object]]:
    results = json.loads((Path(str(target_run["out"])) / "results.json").read_text(encoding="utf-8"))
    return [{**c, "reason": results["reasons"][c["reason"]]} for c in results["cells"]]  # reasons are stored once


def test_rep_scenarios_come_out_as_needs_a_rep_never_as_pass(target_run: dict[str, object]) -> None:
    assert target_run["code"] == 0, target_run["stdout"]
    cells = _cells(target_run)
    by_scenario = {str(c["scenario_id"]): c for c in cells}
    assert len(by_scenario) == 5 and all(c["sdk"] == "web" for c in cells)
    rep_scenarios = [s for s in by_scenario if s != "session_based_chat/the-end-user-taps-end-chat"]
    for scenario in rep_scenarios:
        cell = by_scenario[scenario]
        assert cell["verdict"] == "needs_rep", cell
        assert "nobody" in str(cell["reason"]) or "cannot act as Chatbot" in str(cell["reason"])
    assert by_scenario["session_based_chat/the-end-user-taps-end-chat"]["verdict"] == "not_applicable"
    assert not any(c["verdict"] == "pass" for c in cells)


def test_the_channel_was_checked_through_the_public_api_and_the_probe_cleaned_up(target_run: dict[str, object]) -> None:
    report = (Path(str(target_run["out"])) / "results.json").read_text(encoding="utf-8")
    assert "Session-Based Chat probe on New_Channel: in_effect" in report
    assert "POST /iamessage/api/v2/authorization/unauthenticated/access-token -> 200" in report
    assert "/control/" not in report.replace("GET /control/info", "")


def test_no_secret_reaches_output_records_reports_or_timelines(target_run: dict[str, object]) -> None:
    secret = str(target_run["secret"])
    texts = {"stdout": str(target_run["stdout"]), "stderr": str(target_run["stderr"])}
    for path in Path(str(target_run["out"])).rglob("*"):
        if path.is_file():
            texts[path.name] = path.read_text(encoding="utf-8", errors="replace")
    assert {"results.json", "index.html", "report.md", "junit.xml", "cucumber.json"} <= set(texts)
    for name, text in texts.items():
        assert secret not in text, f"the customer JWT leaked into {name}"
        assert secret.split(".")[1] not in text, f"the customer JWT's claims leaked into {name}"
        leaked = JWT_SHAPE.findall(text)
        assert not leaked, f"a token leaked into {name}: {leaked[0][:12]}..."
        assert "Bearer " not in text, f"a bearer credential leaked into {name}"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--target", "http://acme.my.salesforce-scrt.com"], "--target 'http://acme.my.salesforce-scrt.com' uses http"),
        (["--org-id", "00Dnope"], "--org-id '00Dnope' is not a Salesforce org id"),
        (["--deployment", "has space"], "is not a deployment API name"),
        (["--ca-bundle", "/nonexistent.pem"], "--ca-bundle /nonexistent.pem: no such file"),
    ],
)
def test_bad_target_input_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], fragment: str
) -> None:
    base = {"--target": "https://127.0.0.1:9", "--org-id": "00DHA0000001HRNAAA", "--deployment": "Web_Chat"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    code = main(["run", *(x for pair in base.items() for x in pair), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and fragment in err, err


@pytest.mark.parametrize("flag", [["--interactive"], ["--ca-bundle", "x.pem"]])
def test_sandbox_flags_need_a_target(capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: list[str]) -> None:
    code = main(["run", *flag, "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and ("go with --target" in err or "--ca-bundle" in err), err
