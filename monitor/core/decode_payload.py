"""A value's bytes as JSON, text or opaque bytes, by its content type: what the general
path of the decoder parses, with the limits on size and nesting."""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from monitor.core.decoder_config import DecoderConfig
from monitor.core.envelope import (
    JSON_CONTENT_TYPE,
)
from monitor.core.media import (
    STRUCTURED_CONTENT_TYPE,
)
from monitor.core.media import media_type as _media_type

# Payload kinds (_SCHEMA: decoded by a schema or a binary format into JSON-ready data).
_NONE, _JSON, _TEXT, _OPAQUE, _SCHEMA = object(), object(), object(), object(), object()
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# What a content type says about the payload, cached like _media_type.
_PLAIN, _STRUCTURED, _OTHER = "plain", "structured", "other"


_MEDIA_KINDS: dict[str, str] = {}


def _media_kind(ctype: str) -> str:
    """:data:`_PLAIN` for JSON, :data:`_STRUCTURED` for a structured-mode CloudEvent (JSON
    too), :data:`_OTHER` for anything that is not parsed as JSON."""
    if len(_MEDIA_KINDS) > 256:
        _MEDIA_KINDS.clear()
    media = _media_type(ctype)
    if not (
        not media or media == JSON_CONTENT_TYPE or media.endswith("+json") or media == "text/json"
    ):
        kind = _OTHER
    elif media.startswith(STRUCTURED_CONTENT_TYPE):
        kind = _STRUCTURED
    else:
        kind = _PLAIN
    _MEDIA_KINDS[ctype] = kind
    return kind


def _parse_payload(
    value: bytes, media: str, config: DecoderConfig
) -> tuple[Any, str | None, object]:
    """``(data, error, kind)``. JSON is expected when the content type is JSON-ish or absent.

    With no content type, a value that does not start like a JSON object, array or string
    is not claiming to be JSON: it is text when it is UTF-8, else binary (no error).
    """
    if len(value) > config.max_bytes:
        return None, f"payload too large ({len(value)} bytes, limit {config.max_bytes})", _OPAQUE
    json_ish = (
        not media or media == JSON_CONTENT_TYPE or media.endswith("+json") or media == "text/json"
    )
    if not json_ish and not media.startswith("text/"):
        return None, None, _OPAQUE
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not media and value.lstrip()[:1] not in _JSON_CLAIMS:
            return None, None, _OPAQUE
        return None, f"invalid UTF-8 at byte {exc.start}", _OPAQUE
    if not json_ish:
        return text, None, _TEXT
    if text.startswith("\ufeff"):
        text = text[1:]
    too_deep = f"JSON nested too deeply (more than {config.max_depth} levels)"
    if _too_deep(value, config.max_depth):
        return None, too_deep, _OPAQUE
    try:
        return _loads(text), None, _JSON
    except RecursionError:
        return None, too_deep, _OPAQUE
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        if not media and stripped.lstrip()[:1] not in _JSON_START_CHARS:
            # Without a content type, control characters (but tabs and line ends) say
            # binary that happens to be valid UTF-8, not text a person wrote.
            if _CONTROL_BYTES.search(value):
                return None, None, _OPAQUE
            return text, None, _TEXT
        if exc.pos >= len(stripped) or exc.msg.startswith("Unterminated string"):
            what = "truncated JSON"
        else:
            what = "invalid JSON"
        # "(char N)", not "at char N": some of json's messages end in "at" already
        # ("Unterminated string starting at").
        return None, f"{what}: {exc.msg} (char {exc.pos})", _OPAQUE
    except ValueError as exc:  # e.g. an integer beyond int_max_str_digits
        return None, f"invalid JSON: {exc}", _OPAQUE


# What a value with no content type must start with to claim it is JSON when it fails to
# parse (a bare number or word that fails is text, such as "42 apples" or "true story").
_JSON_START_CHARS = frozenset('{["')


_JSON_CLAIMS = frozenset((b"{", b"[", b'"'))


# Brackets inside strings do not nest, so strings are cut out before counting.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


_raw_decode = json.JSONDecoder().raw_decode


def _loads(text: str) -> Any:
    """``json.loads`` minus its wrapper overhead (a third of the time on small payloads)."""
    try:
        obj, end = _raw_decode(text)
    except json.JSONDecodeError:
        return json.loads(text)  # leading whitespace is fine; real errors raise from here
    if end != len(text) and not text[end:].isspace():
        return json.loads(text)  # raises "Extra data"
    return obj


def _too_deep(value: bytes, max_depth: int) -> bool:
    """Whether the JSON nests deeper than ``max_depth``, in C-speed passes with no recursion.

    Cheap for the common case: fewer opening brackets than the limit cannot nest deeper.
    """
    if value.count(b"[") + value.count(b"{") <= max_depth:
        return False
    if b'"' in value:
        value = _JSON_STRING.sub(b"", value)
    steps = memoryview(value.translate(_STEPS, _NOT_BRACKET)).cast("b")
    return max(accumulate(steps), default=0) > max_depth
