"""Request bodies, checked before any route code sees them: size (413), encoding and JSON (400), content
type (415). Whatever a client sends, malformed input ends here as a 4xx, never as a 5xx further in.

UTF-8 is checked twice: the bytes must decode, and the JSON must not spell a lone surrogate as an escape
(`"\\ud800"` is valid JSON text but no Unicode character; stored, it is text DynamoDB and every client
reading it back would choke on).

Numbers are checked once, here, wherever they are in the body (a field the route ignores included): JSON
has no NaN or Infinity, yet Python's parser takes `NaN`, `Infinity`, `-Infinity` and turns `1e400` into
infinity; such a body is a 400 naming `body`."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from questline.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from questline.http.json_text import loads

MAX_JSON_DEPTH = 32
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def raw_body(event: Mapping[str, Any], max_bytes: int) -> bytes | None:
    """The body's bytes, refusing anything over `max_bytes` (413) or undecodable base64 (400)."""
    body = event.get("body")
    if body is None or body == "" or _method(event) in _BODYLESS_METHODS:
        return None
    if event.get("isBase64Encoded"):
        if len(body) > (max_bytes * 4) // 3 + 4:
            raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise BadRequest("the body is not valid base64", field="body") from error
    else:
        raw = str(body).encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    return raw


def prepare_json_body(event: dict[str, Any], raw: bytes | None) -> dict[str, Any]:
    """The event with its body as checked UTF-8 JSON text (or no body), ready for the route's validation."""
    if raw is None:
        return {**event, "body": None, "isBase64Encoded": False}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type and not _is_json_like(media_type):
        raise UnsupportedMediaType(f"send the body as application/json, not {media_type[:60]}", field="body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest("the body is not valid UTF-8", field="body") from error
    try:
        parsed = loads(text, parse_constant=_not_a_json_number)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"the body is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})",
            field="body",
        ) from error
    except RecursionError as error:
        raise BadRequest(
            f"the body is nested more than {MAX_JSON_DEPTH} levels deep", field="body"
        ) from error
    if _depth(parsed) > MAX_JSON_DEPTH:
        raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep", field="body")
    # Only a \uD800-\uDFFF escape can make a lone surrogate: most bodies skip the walk.
    if ("\\ud" in text or "\\uD" in text) and not _all_unicode(parsed):
        raise BadRequest("the body holds a \\u escape that is not a Unicode character", field="body")
    headers["content-type"] = "application/json"
    return {**event, "body": text, "isBase64Encoded": False, "headers": headers}


def _not_a_json_number(constant: str) -> float:
    raise BadRequest(f"the body holds {constant}, a number that is not finite (JSON has none)", field="body")


def wrap_bare_array(event: dict[str, Any], field: str) -> dict[str, Any]:
    """A prepared event whose body is a JSON array, with the body `{field: array}` instead."""
    body = event.get("body")
    if not body or not str(body).lstrip().startswith("["):
        return event
    return {**event, "body": '{"' + field + '":' + str(body) + "}"}


def _method(event: Mapping[str, Any]) -> str:
    return str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()


def _is_json_like(media_type: str) -> bool:
    # text/plain is what navigator.sendBeacon sends; "+json" covers application/vnd.*+json.
    return media_type in ("application/json", "text/plain", "application/x-json") or media_type.endswith(
        "+json"
    )


def _depth(value: Any) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in current)
    return deepest


def _all_unicode(value: Any) -> bool:
    """False when a string (or key) holds a lone surrogate, which UTF-8 cannot encode."""
    stack: list[Any] = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return True
