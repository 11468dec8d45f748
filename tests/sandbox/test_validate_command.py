"""`miaw-harness validate` end to end over real HTTPS against a sandbox-like runtime (no control API, own CA)."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from harness.cli import main
from harness.sandbox.config import load_config
from harness.sandbox.preflight import preflight
from harness.sandbox.probe import SbcState
from harness.sandbox.waiter import Waiter

from .conftest import Sandbox, customer_jwt

FAST = ["--rate", "100", "--wait", "0"]


def _validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_new_channel_with_session_based_chat_on(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _validate(capsys, *sandbox.args("New_Channel"), *FAST)
    assert code == 0 and err == ""
    assert "ok    Session-Based Chat: in effect" in out and "the list shows it closed" in out
    assert "Web deployment, auth mode UnAuth, no pre-chat" in out
    assert "summary: Session-Based Chat is in effect on deployment New_Channel" in out and out.rstrip().endswith(
        "requests)"
    )


def test_a_channel_without_it_says_what_to_fix_in_setup(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _validate(capsys, *sandbox.args("Existing_Channel"), *FAST, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["sessionBasedChat"] == "not_in_effect"
    assert report["probe"]["listedClosed"] is False and report["probe"]["sendAfterEndStatus"] == 202
    assert report["cleanup"] == {"closed": [report["probe"]["conversationId"]], "failed": []}
    assert report["fixes"] == [
        "Session-Based Chat is not in effect: in Setup > Messaging Settings, edit the deployment's messaging channel, "
        "in the Session-Based Chat section select End chat when session ends, save, then in Embedded Service "
        "Deployment Settings click Publish (Existing_Channel)"
    ]


@pytest.mark.parametrize(
    ("deployment", "expect", "code"),
    [
        ("New_Channel", "on", 0),
        ("New_Channel", "off", 1),
        ("Existing_Channel", "on", 1),
        ("Existing_Channel", "off", 0),
    ],
)
def test_an_expectation_turns_a_finding_into_the_exit_code(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], deployment: str, expect: str, code: int
) -> None:
    got, out, _ = _validate(capsys, *sandbox.args(deployment), *FAST, "--expect", expect)
    assert got == code, out
    assert ("NOT OK" in out) is (code == 1)


def test_per_session_prechat_is_reported_and_the_probe_fills_it(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _validate(capsys, *sandbox.args("Prechat_Session"), *FAST, "--json")
    report = json.loads(out)
    assert code == 0 and report["sessionBasedChat"] == "in_effect"
    assert report["deployment"]["prechat"] == "Session" and report["deployment"]["requiredPrechatFields"] == [
        "FirstName"
    ]


def test_verified_users_on_a_verified_channel(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = customer_jwt(exp=int(time.time()) + 3600)
    monkeypatch.setenv("MIAW_CUSTOMER_JWT", token)
    code, out, err = _validate(capsys, *sandbox.args("Verified_Channel"), *FAST)
    assert code == 0 and "(verified (customer identity token))" in out and "User Verification is on" in out
    assert "fix: Session-Based Chat can't be enabled for verified users" in out
    assert token not in out + err


BAD = [
    (["--scrt-url", "https://127.0.0.1:1"], "cannot reach https://127.0.0.1:1 (ConnectError)"),
    (["--scrt-url", "http://acme.my.salesforce-scrt.com"], "uses http for the non-loopback host"),
    (["--org-id", "00D12"], "--org-id '00D12' is not a Salesforce org id"),
    (["--org-id", "00DHA0000009ZZZAAA"], "org 00DHA0000009ZZZAAA is not this runtime's org"),
    (["--deployment", "No_Such_Channel"], "unknown or unpublished deployment 'No_Such_Channel'"),
    (["--ca-bundle", "/nonexistent.pem"], "--ca-bundle /nonexistent.pem: no such file"),
    (["--max-requests", "3"], "--max-requests must be at least 10"),
]


@pytest.mark.parametrize(("override", "fragment"), BAD)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], override: list[str], fragment: str
) -> None:
    args = sandbox.args("New_Channel")
    for flag, value in zip(override[::2], override[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    code, out, err = _validate(capsys, *args, *FAST)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("miaw-harness validate: error: ") and fragment in err, err


def test_an_untrusted_certificate_says_to_pass_the_ca_bundle(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    args = sandbox.args("New_Channel")[:-2]
    code, _, err = _validate(capsys, *args, *FAST)
    assert code == 2 and "is not trusted" in err and "pass --ca-bundle FILE" in err and err.count("\n") == 1


def test_an_expired_customer_token_is_refused_before_any_request(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = customer_jwt(exp=int(time.time()) - 120)
    monkeypatch.setenv("MIAW_CUSTOMER_JWT", token)
    code, out, err = _validate(capsys, *sandbox.args("Verified_Channel"), *FAST)
    assert code == 2 and out == "" and "MIAW_CUSTOMER_JWT expired at" in err and err.count("\n") == 1
    assert token not in err and token.split(".")[1] not in err


def test_the_environment_configures_the_target(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIAW_SCRT_URL", sandbox.url)
    monkeypatch.setenv("MIAW_ORG_ID", sandbox.org_id)
    monkeypatch.setenv("MIAW_DEPLOYMENT", "New_Channel")
    code, out, _ = _validate(capsys, "--ca-bundle", sandbox.ca_bundle, *FAST)
    assert code == 0 and "deployment New_Channel" in out


JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.")


@pytest.mark.anyio
async def test_the_issued_access_token_never_reaches_the_findings(sandbox: Sandbox) -> None:
    issued: list[str] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        if response.request.url.path.endswith("/access-token"):
            issued.append(response.json()["accessToken"])

    config = load_config(
        scrt_url=sandbox.url, org_id=sandbox.org_id, deployment="Existing_Channel", ca_bundle=sandbox.ca_bundle, env={}
    )
    async with httpx.AsyncClient(
        base_url=sandbox.url, verify=config.verify(), event_hooks={"response": [record]}
    ) as http:
        validation = await preflight(config, http, seed=3, waiter=Waiter(timeout_s=0))
    assert len(issued) == 1 and validation.session_based_chat is SbcState.NOT_IN_EFFECT
    rendered = validation.to_text() + json.dumps(validation.to_json())
    assert issued[0] not in rendered and issued[0].split(".")[1] not in rendered
    assert not JWT_SHAPE.search(rendered)


@pytest.mark.parametrize("as_json", [False, True])
def test_no_token_shape_in_validate_output(sandbox: Sandbox, capsys: pytest.CaptureFixture[str], as_json: bool) -> None:
    code, out, err = _validate(capsys, *sandbox.args("New_Channel"), *FAST, *(["--json"] if as_json else []))
    assert code == 0 and not JWT_SHAPE.search(out + err) and "Bearer" not in out + err
