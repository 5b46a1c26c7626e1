"""Decoded values as JSON-ready data, written the way people read them.

Avro logical types, MessagePack and CBOR give Python objects JSON has no form for; these
become text: a decimal as its exact digits (``"12.50"``), a UTC time as RFC 3339
(``"2026-12-06T10:00:00.123Z"``), a date or time of day in ISO form, a UUID as its text,
bytes as base64. Map keys that are not strings become their JSON text.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any

_PLAIN = (str, int, bool, type(None))


def json_ready(v: Any, depth: int = 0) -> Any:
    """``v`` with every non-JSON value turned into readable text (see the module doc)."""
    if isinstance(v, _PLAIN):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if depth > 200:  # decoders bound nesting already; this only stops a cycle
        return "..."
    if isinstance(v, dict):
        return {
            (k if isinstance(k, str) else _key_text(k)): json_ready(x, depth + 1)
            for k, x in v.items()
        }
    if isinstance(v, list | tuple):
        return [json_ready(x, depth + 1) for x in v]
    return scalar_text(v)


def _key_text(k: Any) -> str:
    r = json_ready(k)
    return r if isinstance(r, str) else str(r).lower() if isinstance(r, bool) else str(r)


def scalar_text(v: Any) -> Any:
    """One non-JSON scalar as text (see the module doc); anything unknown as ``str(v)``."""
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None and v.utcoffset() == dt.timedelta(0):
            text = v.replace(tzinfo=None).isoformat(timespec=_timespec(v))
            return text + "Z"
        return v.isoformat(timespec=_timespec(v))
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, set | frozenset):
        return [json_ready(x) for x in v]
    return str(v)


def _timespec(v: dt.datetime) -> str:
    if v.microsecond == 0:
        return "seconds"
    return "milliseconds" if v.microsecond % 1000 == 0 else "microseconds"
