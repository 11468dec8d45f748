"""Access tokens against the virtual clock; customer identity tokens."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.server.auth import TokenAuthority, TokenError, verify_identity_token

ORG = "00DHA0000001HRNAAA"
KEY = "k" * 40


def test_tokens_verify_until_their_virtual_expiry() -> None:
    authority = TokenAuthority(KEY, ORG)
    token, expires = authority.mint(subject="s", deployment="D", now_ms=1000, ttl_s=60, client_id="c")
    assert expires == 61_000
    access = authority.verify(token, now_ms=60_999)
    assert (access.subject, access.deployment, access.client_id) == ("s", "D", "c")
    with pytest.raises(TokenError, match="expired"):
        authority.verify(token, now_ms=61_000)


def test_other_orgs_and_other_keys_are_refused() -> None:
    token, _ = TokenAuthority(KEY, "00DXX0000001HRNAAA").mint(
        subject="s", deployment="D", now_ms=0, ttl_s=60, client_id=""
    )
    with pytest.raises(TokenError, match="another org"):
        TokenAuthority(KEY, ORG).verify(token, now_ms=0)
    with pytest.raises(TokenError, match="invalid"):
        TokenAuthority("z" * 40, "00DXX0000001HRNAAA").verify(token, now_ms=0)


def test_expire_all_hits_only_earlier_tokens_of_that_subject() -> None:
    authority = TokenAuthority(KEY, ORG)
    mine, _ = authority.mint(subject="me", deployment="D", now_ms=0, ttl_s=60, client_id="")
    yours, _ = authority.mint(subject="you", deployment="D", now_ms=0, ttl_s=60, client_id="")
    authority.expire_all("me")
    with pytest.raises(TokenError):
        authority.verify(mine, now_ms=0)
    authority.verify(yours, now_ms=0)
    later, _ = authority.mint(subject="me", deployment="D", now_ms=0, ttl_s=60, client_id="")
    authority.verify(later, now_ms=0)


def test_identity_tokens_with_shared_secret_and_rsa_public_key() -> None:
    assert verify_identity_token(jwt.encode({"sub": "u1"}, KEY, algorithm="HS256"), KEY)["sub"] == "u1"
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert verify_identity_token(jwt.encode({"sub": "u2"}, private, algorithm="RS256"), public_pem)["sub"] == "u2"
    with pytest.raises(TokenError, match="sub"):
        verify_identity_token(jwt.encode({"name": "x"}, KEY, algorithm="HS256"), KEY)
