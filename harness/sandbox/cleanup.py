"""Closing what the harness opened: every open conversation of every end-user identity it minted on the target."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import anyio
import httpx

from harness.sandbox.public_oracle import API, PublicApiError, list_conversations

__all__ = ["CLEANUP_BOUND_S", "Cleanup", "CleanupReport"]

CLEANUP_BOUND_S = 30.0


@dataclass
class CleanupReport:
    closed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "<conversation id>: <why>" (never a token)


class Cleanup:
    """Knows the access tokens of the identities the harness minted; `close_all()` closes their open conversations.

    Only harness-minted anonymous identities are ever registered, so nothing a real user opened is touched. The
    close runs shielded from cancellation and bounded in time, so it also happens on Ctrl-C.
    """

    def __init__(self, http: httpx.AsyncClient, deployment: str, tokens: Callable[[], Iterable[str]] = tuple) -> None:
        self.http = http
        self.deployment = deployment
        self._tokens_of = tokens
        self._tokens: list[str] = []

    def track(self, token: str | None) -> None:
        if token and token not in self._tokens:
            self._tokens.append(token)

    async def close_all(self) -> CleanupReport:
        report = CleanupReport()
        for token in self._tokens_of():
            self.track(token)
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLEANUP_BOUND_S):
            for token in self._tokens:
                await self._close_open(token, report)
        return report

    async def _close_open(self, token: str, report: CleanupReport) -> None:
        try:
            listed = await list_conversations(self.http, token)
        except PublicApiError as exc:
            report.failed.append(f"(listing): {exc.status} {exc.message}")
            return
        for conv in listed:
            if conv.end_ms != 0:
                continue
            try:
                response = await self.http.delete(
                    f"{API}/conversation/{conv.conversation_id}",
                    params={"esDeveloperName": self.deployment},
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.HTTPError as exc:
                report.failed.append(f"{conv.conversation_id}: network error {type(exc).__name__}")
                continue
            if response.is_success:
                report.closed.append(conv.conversation_id)
            else:
                report.failed.append(f"{conv.conversation_id}: {response.status_code}")
