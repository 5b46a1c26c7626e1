"""Avro logical types rendered straight from their encoded values, without the objects
fastavro would make for them (a ``Decimal``, a ``datetime``) and then be turned into text:
a third of the cost of a typical record. The text is the same as
:func:`monitor.core.formats.render.json_ready` gives for those objects.

Only a record's own fields are done this way (a logical type, or a union of null and one);
anything deeper keeps fastavro's conversion.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_DAY = dt.date(1970, 1, 1)
_minute_prefixes: dict[int, str] = {}  # minutes since the epoch -> "YYYY-MM-DDTHH:MM:"


def _minute_prefix(minute: int) -> str:
    prefix = _minute_prefixes.get(minute)
    if prefix is None:
        if len(_minute_prefixes) >= 4096:
            _minute_prefixes.clear()
        stamp = _EPOCH + dt.timedelta(minutes=minute)
        prefix = _minute_prefixes[minute] = stamp.isoformat(timespec="minutes") + ":"
    return prefix


def _timestamp(unit: int, zone: str) -> Callable[[Any], Any]:
    """``timestamp-millis`` (unit 1000) or ``-micros`` (1,000,000) as RFC 3339 text."""

    def render(v: Any) -> Any:
        if type(v) is not int:
            return v
        try:
            seconds, fraction = divmod(v, unit)
            minute, second = divmod(seconds, 60)
            text = f"{_minute_prefix(minute)}{second:02d}"
        except (OverflowError, ValueError):
            return v  # outside what datetime can hold: the number as it came
        if len(text) != 19:  # defensive: datetime holds years 1..9999, four digits each
            return v
        if fraction:
            micros = fraction * (1_000_000 // unit)
            text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
        return text + zone

    return render


def _decimal(scale: int) -> Callable[[Any], Any]:
    """``decimal`` on bytes or fixed: the exact digits, ``"12.50"`` for scale 2."""

    def render(v: Any) -> Any:
        if type(v) is not bytes:
            return v
        n = int.from_bytes(v, "big", signed=True)
        if scale <= 0:
            return str(n * 10**-scale) if scale else str(n)
        digits = str(abs(n)).rjust(scale + 1, "0")
        return ("-" if n < 0 else "") + digits[:-scale] + "." + digits[-scale:]

    return render


def _date(v: Any) -> Any:
    if type(v) is not int:
        return v
    try:
        return (_EPOCH_DAY + dt.timedelta(days=v)).isoformat()
    except (OverflowError, ValueError):
        return v


def _uuid(v: Any) -> Any:
    return v  # already the text it was written as


def _renderer(t: Any) -> Callable[[Any], Any] | None:
    """The fast renderer for a field's type, when it is one this module handles."""
    if isinstance(t, list):  # ["null", X]: None passes through every renderer
        others = [x for x in t if x != "null"]
        return _renderer(others[0]) if len(others) == 1 and len(t) == 2 else None
    if not isinstance(t, dict):
        return None
    logical, base = t.get("logicalType"), t.get("type")
    if logical == "timestamp-millis" and base == "long":
        return _timestamp(1000, "Z")
    if logical == "timestamp-micros" and base == "long":
        return _timestamp(1_000_000, "Z")
    if logical == "local-timestamp-millis" and base == "long":
        return _timestamp(1000, "")
    if logical == "local-timestamp-micros" and base == "long":
        return _timestamp(1_000_000, "")
    if logical == "decimal" and base == "bytes" and isinstance(t.get("scale", 0), int):
        return _decimal(t.get("scale", 0))
    if logical == "date" and base == "int":
        return _date
    if logical == "uuid" and base == "string":
        return _uuid
    return None


def without_top_level_logical_types(
    doc: dict[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, Callable[[Any], Any]]]]:
    """A copy of record schema ``doc`` whose own fields of the handled logical types are
    their base types, and the renderers to apply to those fields after reading."""
    plain = copy.deepcopy(doc)
    renderers: list[tuple[str, Callable[[Any], Any]]] = []
    for f in plain.get("fields", ()):
        if not isinstance(f, dict):
            continue
        render = _renderer(f.get("type"))
        if render is None:
            continue
        renderers.append((f["name"], render))
        t = f["type"]
        if isinstance(t, list):
            f["type"] = [x if x == "null" else x["type"] for x in t]
        else:
            f["type"] = t["type"]
    return plain, renderers
