"""Access tokens: signed JWTs minted and checked against the virtual clock, and customer identity tokens."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import jwt

from harness.wire.ids import org_id_key

_ALGORITHM = "HS256"
_CACHE_SIZE = 10_000  # bounded: a long-running runtime sees an endless stream of tokens
_PEM_ALGORITHMS = ["RS256", "RS512"]


class TokenError(Exception):
    """A token that does not authorise the request (maps to 401)."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    """The verified claims of an access token."""

    subject: str
    org_id: str
    deployment: str
    client_id: str
    serial: int
    issued_ms: int
    expires_ms: int
    api_version: str = "v2"


class TokenAuthority:
    """Mints and verifies access tokens; the expiry is judged on the runtime's virtual clock, not wall time."""

    def __init__(self, signing_key: str, org_id: str) -> None:
        self._key = signing_key
        self._org_id = org_id
        self._serials = itertools.count(1)
        self._revoked_upto: dict[str, int] = {}  # subject (or "*") -> tokens with serial <= this are expired
        self._revoked: set[int] = set()  # serials of tokens revoked one by one
        # Signature checks dominate a request's cost; a token's claims never change, so each is checked once.
        self._verified: dict[str, AccessToken] = {}

    def mint(
        self,
        *,
        subject: str,
        deployment: str,
        now_ms: int,
        ttl_s: int,
        client_id: str,
        api_version: str = "v2",
        expires_ms: int | None = None,
    ) -> tuple[str, int]:
        """A signed token; `expires_ms` pins the expiry (a continuation keeps its parent's, miaw-api.md §11.7)."""
        serial = next(self._serials)
        if expires_ms is None:
            expires_ms = now_ms + ttl_s * 1000
        claims = {
            "sub": subject,
            "orgId": self._org_id[:15],  # the JWT carries the 15-character org id (§11.4)
            "esDeveloperName": deployment,
            "clientId": client_id,
            "apiVersion": api_version,
            "iss": "orgJwt",
            "jti": str(serial),
            "iat": now_ms // 1000,
            "exp": expires_ms // 1000,
            "expMs": expires_ms,
            "iatMs": now_ms,
        }
        return jwt.encode(claims, self._key, algorithm=_ALGORITHM), expires_ms

    def verify(self, token: str, *, now_ms: int) -> AccessToken:
        access = self._verified.get(token)
        if access is None:
            access = self._check_signature(token)
            if len(self._verified) >= _CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = access
        self.check(access, now_ms=now_ms)
        return access

    def check(self, access: AccessToken, *, now_ms: int) -> None:
        """Raise TokenError when a verified token has since expired or been revoked (open streams ask this too)."""
        if now_ms >= access.expires_ms:
            raise TokenError("access token expired: request a new token (or a continuation token before expiry)")
        if access.serial <= max(self._revoked_upto.get(access.subject, 0), self._revoked_upto.get("*", 0)):
            raise TokenError("access token expired: request a new token")
        if access.serial in self._revoked:
            raise TokenError("access token revoked: request a new token")

    def is_valid(self, access: AccessToken, *, now_ms: int) -> bool:
        try:
            self.check(access, now_ms=now_ms)
        except TokenError:
            return False
        return True

    def _check_signature(self, token: str) -> AccessToken:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[_ALGORITHM],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"invalid access token: {exc}") from exc
        try:
            access = AccessToken(
                subject=str(claims["sub"]),
                org_id=str(claims["orgId"]),
                deployment=str(claims["esDeveloperName"]),
                client_id=str(claims["clientId"]),
                serial=int(claims["jti"]),
                issued_ms=int(claims["iatMs"]),
                expires_ms=int(claims["expMs"]),
                api_version=str(claims.get("apiVersion", "v2")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenError(f"invalid access token: missing or bad claim {exc}") from exc
        if org_id_key(access.org_id) != org_id_key(self._org_id):
            raise TokenError("invalid access token: issued for another org")
        return access

    def cached(self) -> int:
        return len(self._verified)

    def expire_all(self, subject: str | None = None) -> None:
        """Every token minted so far (for `subject`, or for everyone) is treated as expired from now on."""
        upto = next(self._serials)
        self._serials = itertools.count(upto + 1)
        self._revoked_upto[subject or "*"] = upto

    def revoke(self, access: AccessToken) -> None:
        """This one token is refused from now on (other tokens of the subject are untouched)."""
        self._revoked.add(access.serial)

    def reset(self) -> None:
        """Forget per-subject revocations, and revoke every token minted so far: none outlives a reset.

        Serial numbers keep counting across resets, so a token minted before one can never pass for a new one.
        """
        upto = next(self._serials)
        self._serials = itertools.count(upto + 1)
        self._revoked_upto = {"*": upto}
        self._revoked.clear()
        self._verified.clear()


def verify_identity_token(token: str, key: str) -> dict[str, Any]:
    """Check a customer identity JWT against the configured key; returns its claims (raises TokenError).

    `exp` and `nbf`, when present, are judged on the wall clock: the identity token comes from the customer's
    identity provider, which lives in real time, not in the runtime's virtual time.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=_PEM_ALGORITHMS if key.lstrip().startswith("-----BEGIN") else ["HS256"],
            options={"verify_exp": True, "verify_aud": False, "require": ["sub"]},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenError(f"customer identity token rejected: {exc}") from exc
    return claims
