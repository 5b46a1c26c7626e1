"""Finding things in a decoded record: ids, types and times in payload fields and
headers, the record's own origin id and time, and text for whatever a client hands over.
Shared by every path of the decoder."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.core.decoder_config import DecoderConfig, trace_id_from_traceparent
from monitor.core.envelope import (
    now,
    parse_time,
)

# Years 1..9999: what format_time can render.
_MIN_TIME, _MAX_TIME = -62135596800.0, 253402300799.0


def _correlation_of(
    obj: Mapping[str, Any], lower: Mapping[str, str], config: DecoderConfig
) -> str | None:
    """The correlation id from a payload field, else from a header."""
    corr = _find_field(obj, config.correlation_fields, config.nested_fields)
    return corr if corr is not None else _header_correlation(lower, config)


def _causation_of(
    obj: Mapping[str, Any], lower: Mapping[str, str], config: DecoderConfig
) -> str | None:
    """The causation id from a payload field, else from a header."""
    caus = _find_field(obj, config.causation_fields, config.nested_fields)
    return caus if caus is not None else _find_header(lower, config._caus_headers)


def _header_correlation(lower: Mapping[str, str], config: DecoderConfig) -> str | None:
    """The correlation id from a header, else from the W3C trace context."""
    corr = _find_header(lower, config._corr_headers)
    if corr is None and config._traceparent:
        corr = trace_id_from_traceparent(lower.get(config._traceparent))
    return corr


def _first_time(obj: Mapping[str, Any], names: Sequence[str]) -> float | None:
    """The first usable time under ``names``."""
    for name in names:
        if name in obj:
            t = _coerce_time(obj[name])
            if t is not None:
                return t
    return None


def _text(v: object) -> str:
    """Header names/values and keys as text, whatever a client library hands over."""
    if v is None:
        return ""
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", "backslashreplace")
    return v if isinstance(v, str) else str(v)


def _origin_id(topic: str | None, partition: int | None, offset: int | None) -> str | None:
    if topic is None or partition is None or offset is None:
        return None
    return f"{topic}-{partition}-{offset}"


def _record_time(timestamp_ms: int | None) -> float:
    # Kafka reports -1 for "no timestamp".
    if timestamp_ms is not None and timestamp_ms >= 0:
        return timestamp_ms / 1000.0
    return now()


def _coerce_time(v: Any) -> float | None:
    """RFC 3339 text, or epoch seconds / milliseconds (above 1e11), -> epoch seconds."""
    if type(v) is str:
        return parse_time(v)
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            t = float(v)
        except OverflowError:
            return None
        if not math.isfinite(t):
            return None
        if abs(t) > 1e11:
            t /= 1000.0
        return t if _MIN_TIME <= t <= _MAX_TIME else None
    return None


def _id_str(v: Any) -> str | None:
    if type(v) is str:
        return v or None
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _find_field(
    obj: Mapping[str, Any], names: Sequence[str], nested: Sequence[str] = ()
) -> str | None:
    """The first usable id (a non-empty string or an integer) under ``names``: top level
    first, then one level down in the ``nested`` objects."""
    for name in names:
        v = obj.get(name)
        if v is not None:
            if type(v) is str:  # the usual id: skip the call
                if v:
                    return v
            elif s := _id_str(v):
                return s
    return _nested_field(obj, names, nested) if nested else None


def _nested_field(
    obj: Mapping[str, Any], names: Sequence[str], nested: Sequence[str]
) -> str | None:
    """:func:`_find_field`'s second step: one level down in the ``nested`` objects."""
    for inner in nested:
        sub = obj.get(inner)
        if type(sub) is dict:
            for name in names:
                v = sub.get(name)
                if v is not None and (s := _id_str(v)):
                    return s
    return None


def _find_header(lower: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        v = lower.get(name)
        if v:
            return v
    return None


def _pop_ext(ext: dict[str, Any], names: Sequence[str]) -> str | None:
    """Remove every listed extension (they have Envelope fields); the first usable value."""
    found: str | None = None
    for name in names:
        if name in ext:
            s = _id_str(ext.pop(name))
            if found is None:
                found = s
    return found
