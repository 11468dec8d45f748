"""The one place request bodies become data: size, JSON syntax, depth, number range and text are checked here.

Every handler that reads a body calls `read_json`; whatever a client sends, the outcome is either a plain JSON object
whose strings are all encodable text, or an `ApiError` (4xx) naming the problem. Nothing that passes can make a later
read fail: a lone UTF-16 surrogate (`"\\ud800"`), which Python's JSON decoder accepts but no UTF-8 encoder can write
back, is refused at the edge instead of being stored.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from harness.server.state import ApiError

MAX_DEPTH = 32  # arrays/objects nested deeper than any MIAW body needs
MAX_NUMBER_CHARS = 64  # longer number literals are refused before Python parses them (no 5,000-digit ints)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise ApiError(400, f"number literal of {len(literal)} characters is too long (at most {MAX_NUMBER_CHARS})")
    value = float(literal)
    if not math.isfinite(value):
        raise ApiError(400, f"number {literal[:20]} is out of range (must be a finite double)")
    return value


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise ApiError(400, f"number literal of {len(literal)} characters is too long (at most {MAX_NUMBER_CHARS})")
    return int(literal)


def _parse_constant(name: str) -> Any:
    raise ApiError(400, f"{name} is not JSON: numbers must be finite")


# One decoder for every body: `json.loads` with hooks builds a new one per call.
_DECODER = json.JSONDecoder(parse_float=_parse_float, parse_int=_parse_int, parse_constant=_parse_constant)


def _nesting_depth_ok(body: bytes | bytearray) -> bool:
    """A cheap pre-scan: bracket nesting (outside strings) stays within MAX_DEPTH; the decoder never recurses deep."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return True  # fewer openings than the limit in all: no nesting can exceed it (the common case, in C)
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return True


def find_unencodable(value: Any, where: str = "body") -> str | None:
    """The path of the first string (key or value) that cannot be encoded as UTF-8, or None when all can."""
    stack: list[tuple[str, Any]] = [(where, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not is_encodable(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if not is_encodable(key):
                    return f"{path} (a key)"
                stack.append((f"{path}.{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def is_encodable(text: str) -> bool:
    """True when `text` is valid Unicode text (no lone surrogates), i.e. it can be written back as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_json_object(body: bytes | bytearray) -> dict[str, Any]:
    """`body` as a JSON object of encodable text; ApiError(400) naming the problem otherwise."""
    if not body:
        raise ApiError(400, "request body is empty: a JSON object is required")
    if not _nesting_depth_ok(body):
        raise ApiError(400, f"malformed JSON body: nested deeper than {MAX_DEPTH} levels")
    try:
        data = _DECODER.decode(bytes(body).decode(json.detect_encoding(body), "surrogatepass"))  # as json.loads
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"malformed JSON body: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # belt and braces: the checks above should catch these first
        raise ApiError(400, f"malformed JSON body: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, f"request body must be a JSON object, got {type(data).__name__}")
    # A lone surrogate can only come from a \\u escape or from non-ASCII bytes: a plain ASCII body without
    # escapes holds none, and skips the walk over every string.
    bad = find_unencodable(data) if b"\\u" in body or not body.isascii() else None
    if bad is not None:
        raise ApiError(400, f"{bad} is not valid text: it holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
    return data


def _declared_over(declared: str, limit: int) -> bool:
    digits = declared.strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit()):
        return False  # not a length: the server's HTTP layer judges the framing, the stream check below the size
    return len(digits) > 18 or int(digits) > limit


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request body as a JSON object; 413 past `limit` bytes, 400 when malformed, not an object or not text."""
    declared = request.headers.get("content-length")
    if declared is not None and _declared_over(declared, limit):
        raise ApiError(413, f"request body of {declared[:20]} bytes exceeds the {limit}-byte limit")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"request body exceeds the {limit}-byte limit")
    return parse_json_object(body)
