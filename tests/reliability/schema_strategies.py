"""Hypothesis strategies drawn from the runtime's own OpenAPI document: well-formed values and hostile ones."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

LONE_SURROGATES = ("\ud800", "a\udfffb", "\udc00\ud800")
HOSTILE_BODIES: tuple[bytes, ...] = (
    b"",
    b"[" * 50_000,
    b'{"a":' * 40 + b"1" + b"}" * 40,
    b'{"seconds": ' + b"9" * 5000 + b"}",
    b'{"seconds": NaN}',
    b'{"seconds": 1e400}',
    b'{"by": []}',
    b'{"t": "\xff\xfe"}',
    b"null",
    b'"text"',
)

_text = st.text(max_size=24)
hostile_text = st.one_of(_text, st.sampled_from(LONE_SURROGATES), st.text(min_size=200, max_size=400))
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
any_json: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        hostile_text,
    ),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_text, children, max_size=4)),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that fit `schema` (the subset of JSON Schema the document uses)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "uuid":
            return st.uuids(version=4).map(str)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: len(s) < 200)
        return st.text(min_size=schema.get("minLength", 0), max_size=24)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "number":
        return st.floats(min_value=schema.get("minimum"), max_value=schema.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), min_size=schema.get("minItems", 0), max_size=3)
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        if not properties:
            return st.dictionaries(_text, any_json, max_size=3)
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in properties.items() if k in required},
            optional={k: from_schema(v) for k, v in properties.items() if k not in required},
        )
    return any_json


def value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Mostly well-formed, sometimes anything at all."""
    return st.one_of(from_schema(schema), from_schema(schema), any_json)


def body(schema: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """A request body: the schema's shape with hostile leaves, any JSON, or hostile bytes."""
    shaped = from_schema(schema)
    if schema.get("type") == "object" and schema.get("properties"):
        properties = schema["properties"]
        shaped = st.one_of(
            shaped,
            st.fixed_dictionaries({k: value(v) for k, v in properties.items()}),
        )
    as_json = st.one_of(shaped, shaped, any_json).map(lambda v: json.dumps(v).encode())
    return st.one_of(as_json, as_json, as_json, st.sampled_from(HOSTILE_BODIES), st.binary(max_size=64))
