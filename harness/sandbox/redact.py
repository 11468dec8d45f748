"""Secret redaction: access tokens, customer JWTs and bearer credentials never reach output, logs or reports."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MASK", "RedactingFilter", "Redactor"]

MASK = "[redacted]"

# Any JWT (header.payload.signature, base64url, header starting with '{"' -> 'eyJ'), and bearer credentials.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_MIN_SECRET = 8  # shorter strings are too likely to match innocent text


class Redactor:
    """Masks known secrets (exact strings it was told about) and anything shaped like a JWT or bearer token."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= _MIN_SECRET:
            self._secrets.add(secret)

    def text(self, value: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            value = value.replace(secret, MASK)
        value = _JWT.sub(MASK, value)
        return _BEARER.sub(lambda m: m.group(1) + MASK, value)

    def value(self, data: Any) -> Any:
        """A copy of a JSON-like structure with every string redacted (keys included)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {self.text(str(k)): self.value(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.value(v) for v in data]
        return data


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message through a `Redactor` (install on handlers)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__("miaw-harness-redaction")
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redactor.text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True

    def install(self, logger: logging.Logger | None = None) -> None:
        """Attach to `logger` (default: root) and each of its handlers, so propagated records are covered too."""
        target = logger or logging.getLogger()
        target.addFilter(self)
        for handler in target.handlers:
            handler.addFilter(self)

    def uninstall(self, logger: logging.Logger | None = None) -> None:
        target = logger or logging.getLogger()
        target.removeFilter(self)
        for handler in target.handlers:
            handler.removeFilter(self)
