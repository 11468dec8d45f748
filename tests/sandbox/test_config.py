"""Target configuration: flags over environment, one actionable line per mistake, secrets kept out of sight."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.sandbox.config import is_loopback_host, load_config

from .conftest import customer_jwt

NOW = 1_800_000_000.0
ORG = "00DHA0000001HRNAAA"


def _load(env: dict[str, str] | None = None, **flags: str | None) -> object:
    base = {"scrt_url": "https://acme.my.salesforce-scrt.com", "org_id": ORG, "deployment": "Web_Chat"}
    base.update(flags)
    return load_config(env=env or {}, now_s=lambda: NOW, **base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("[::1]", True),
        ("app.localhost", True),
        ("acme.my.salesforce-scrt.com", False),
        ("10.0.0.1", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_flags_win_over_the_environment_and_the_environment_fills_gaps() -> None:
    env = {
        "MIAW_SCRT_URL": "https://env.my.salesforce-scrt.com/",
        "MIAW_ORG_ID": "00DHA0000001ENV",
        "MIAW_DEPLOYMENT": "Env",
    }
    config = load_config(org_id=ORG, env=env, now_s=lambda: NOW)
    assert config.scrt_url == "https://env.my.salesforce-scrt.com"
    assert config.org_id == ORG and config.deployment == "Env" and config.customer_jwt is None
    assert not config.loopback and config.host == "env.my.salesforce-scrt.com"


def test_plain_http_is_accepted_on_loopback_only() -> None:
    config = load_config(scrt_url="http://127.0.0.1:8765", org_id=ORG, deployment="X", env={}, now_s=lambda: NOW)
    assert config.loopback


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        ({"scrt_url": None}, "no SCRT URL: pass --scrt-url"),
        ({"scrt_url": "ftp://acme.example"}, "is not an http(s) URL"),
        ({"scrt_url": "https://"}, "is not an http(s) URL"),
        ({"scrt_url": "http://acme.my.salesforce-scrt.com"}, "uses http for the non-loopback host"),
        ({"scrt_url": "https://acme.example?x=1"}, "must be a bare base URL"),
        ({"scrt_url": "https://acme.example:99999"}, "--scrt-url"),
        ({"org_id": None}, "no org id"),
        ({"org_id": "00Dxyz"}, "is not a Salesforce org id"),
        ({"org_id": "001HA0000001HRNAAA"}, "starts with 00D"),
        ({"deployment": None}, "no deployment"),
        ({"deployment": "web chat"}, "is not a deployment API name"),
        ({"deployment": "Web__Chat"}, "is not a deployment API name"),
        ({"deployment": "1Web"}, "is not a deployment API name"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "--ca-bundle /nonexistent/ca.pem: no such file"),
    ],
)
def test_each_mistake_is_one_line_saying_what_to_fix(flags: dict[str, str | None], fragment: str) -> None:
    with pytest.raises(UserError) as caught:
        _load(**flags)
    message = str(caught.value)
    assert fragment in message and "\n" not in message


def test_a_ca_bundle_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(UserError, match="not a readable PEM certificate bundle"):
        _load(ca_bundle=str(bogus))


def test_an_expired_customer_token_is_named_but_never_printed() -> None:
    token = customer_jwt(exp=int(NOW) - 60)
    with pytest.raises(UserError) as caught:
        _load(env={"MIAW_CUSTOMER_JWT": token})
    message = str(caught.value)
    assert "MIAW_CUSTOMER_JWT expired at 2027-01-15 07:59:00 UTC" in message and "mint a fresh" in message
    assert token not in message and token.split(".")[1] not in message


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b", "eyJhbGciOiJIUzI1NiJ9.!!!.sig"])
def test_a_customer_token_that_is_not_a_jwt_is_refused_without_echo(token: str) -> None:
    with pytest.raises(UserError) as caught:
        _load(env={"MIAW_CUSTOMER_JWT": token})
    assert "is not a JWT" in str(caught.value) and token not in str(caught.value)


def test_a_valid_customer_token_is_kept_out_of_repr() -> None:
    token = customer_jwt(exp=int(NOW) + 3600)
    config = _load(env={"MIAW_CUSTOMER_JWT": token})
    assert config.customer_jwt == token  # type: ignore[attr-defined]
    assert token not in repr(config) and token not in str(config.describe())  # type: ignore[attr-defined]
    assert config.describe()["identity"].startswith("verified")  # type: ignore[attr-defined]
