"""Redaction of access tokens, customer JWTs and bearer credentials in text, JSON and log records."""

from __future__ import annotations

import logging

import pytest

from harness.sandbox.redact import MASK, RedactingFilter, Redactor

from .conftest import customer_jwt

JWT = customer_jwt(exp=2_000_000_000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token={JWT}", f"token={MASK}"),
        (f"Authorization: Bearer {JWT}", f"Authorization: Bearer {MASK}"),
        ("authorization: bearer abcdefgh12345678", f"authorization: bearer {MASK}"),
        ("sent s3cr3t-value-xyz to the org", f"sent {MASK} to the org"),
        ("nothing secret here: GET /iamessage/api/v2/conversation/list -> 200", None),
        ("Bearer short", None),
    ],
)
def test_text_is_masked(text: str, expected: str | None) -> None:
    redactor = Redactor(["s3cr3t-value-xyz", "tiny", None])
    assert redactor.text(text) == (expected if expected is not None else text)


def test_json_values_and_keys_are_masked_and_the_input_is_untouched() -> None:
    data = {"token": JWT, "nested": [{"x": f"Bearer {JWT}"}, 3, None], JWT: True}
    cleaned = Redactor().value(data)
    assert JWT not in str(cleaned) and cleaned["nested"][1] == 3 and cleaned[MASK] is True
    assert data["token"] == JWT


def test_log_records_are_rewritten_before_any_handler_sees_them(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.sandbox.redact")
    guard = RedactingFilter(Redactor())
    guard.install(logger)
    try:
        with caplog.at_level(logging.INFO, logger="tests.sandbox.redact"):
            logger.info("issued %s for %s", JWT, "someone")
    finally:
        guard.uninstall(logger)
    assert JWT not in caplog.text and f"issued {MASK} for someone" in caplog.text
