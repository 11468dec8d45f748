"""Identifier formats: conversation UUIDs and org ids."""

from __future__ import annotations

import random

import pytest

from harness.wire import InvalidConversationId, is_valid_org_id, new_uuid, org_id_key, validate_conversation_id


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("6cd22b8d-e14b-47c2-bffb-1d7d7015c189", None),
        ("6CD22B8D-E14B-47C2-BFFB-1D7D7015C189", "lowercase"),
        ("6cd22b8d-e14b-17c2-bffb-1d7d7015c189", "UUID format"),
        ("6cd22b8d-e14b-47c2-cffb-1d7d7015c189", "UUID format"),
        ("6cd22b8de14b47c2bffb1d7d7015c189", "UUID format"),
        (None, "UUID format"),
    ],
)
def test_conversation_ids_are_lowercase_uuid4(value: object, reason: str | None) -> None:
    if reason is None:
        assert validate_conversation_id(value) == value
    else:
        with pytest.raises(InvalidConversationId, match=reason):
            validate_conversation_id(value)


def test_new_uuid_is_valid_and_reproducible_with_a_seed() -> None:
    assert validate_conversation_id(new_uuid())
    assert new_uuid(random.Random(7)) == new_uuid(random.Random(7))
    assert new_uuid(random.Random(7)) != new_uuid(random.Random(8))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("00DHA0000001HRNAAA", True),
        ("00DHA0000001HRN", True),
        ("00DHA0000001HRNA", False),
        ("00XHA0000001HRNAAA", False),
        ("00DHA00000-1HRNAAA", False),
        (15, False),
    ],
)
def test_org_ids(value: object, valid: bool) -> None:
    assert is_valid_org_id(value) is valid


def test_org_ids_compare_on_15_characters() -> None:
    assert org_id_key("00DHA0000001HRNAAA") == org_id_key("00DHA0000001HRN")
