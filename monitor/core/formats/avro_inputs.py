"""Avro data in the forms the app shows it, turned back into what fastavro writes.

The decoder renders what JSON has no form for as text (:mod:`monitor.core.formats.render`):
a decimal as its digits, a timestamp as RFC 3339, a date or time of day in ISO form,
bytes and fixed as base64. Data typed (or copied from the details pane, or edited in a
dead letter) in those forms is walked along its schema, nested records, arrays, maps and
unions included, and each such text becomes the object fastavro expects; anything else is
left as given, for :mod:`.avro_fit` to accept or name. Text that claims to be a logical
type and is not raises :class:`NotTheType` with where it is.

Two rules the app keeps elsewhere too: a timestamp without a zone is UTC (as
:func:`monitor.core.envelope.parse_time` reads one; fastavro would take a naive time in
the machine's zone), except for the ``local-timestamp-*`` types, which have no zone by
definition. A decimal is text (``"1.50"``, as shown); a whole JSON number is taken too,
since it is exact, but a JSON number with a fraction is refused: it was read as a binary
double, which may not be the number typed, and a decimal exists to be exact.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any


class NotTheType(ValueError):
    """Text that does not read as the type its field has; ``str()`` says where and why."""


_NUMBERS = ("int", "long", "float", "double")


def avro_inputs(data: Any, schema: Any, named: dict[str, Any], where: str = "") -> Any:
    """``data`` with shown forms turned into fastavro's along ``schema`` (a parsed schema;
    ``named``: its named types by full name)."""
    if isinstance(schema, str):
        found = named.get(schema)
        if found is not None:
            return avro_inputs(data, found, named, where)
        return _bytes(data, where) if schema in ("bytes", "fixed") else data
    if isinstance(schema, list):
        return _union(data, schema, named, where)
    if not isinstance(schema, dict):
        return data
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if isinstance(data, str) and isinstance(logical, str):
        return _logical(data, logical, kind, where)
    if logical == "decimal" and isinstance(data, int | float) and not isinstance(data, bool):
        return _decimal_number(data, where)
    if kind == "record" and isinstance(data, dict):
        out = dict(data)
        for f in schema.get("fields", ()):
            name = f["name"]
            if name in out:
                out[name] = avro_inputs(out[name], f["type"], named, _at(where, name))
        return out
    if kind == "array" and isinstance(data, list):
        items = schema.get("items")
        return [avro_inputs(x, items, named, f"{where}[{i}]") for i, x in enumerate(data)]
    if kind == "map" and isinstance(data, dict):
        values = schema.get("values")
        return {k: avro_inputs(v, values, named, _at(where, k)) for k, v in data.items()}
    if kind in ("bytes", "fixed"):
        return _bytes(data, where)
    if isinstance(kind, str | dict | list):  # {"type": "string"} or a named type by name
        return avro_inputs(data, kind, named, where)
    return data


def _union(data: Any, branches: list[Any], named: dict[str, Any], where: str) -> Any:
    """The first branch the value reads as (fastavro picks its branch the same way); for
    an object and several record branches, the record whose fields it fits best first:
    any record "may hold" any object, and converting along the wrong one would leave the
    right one's timestamps and decimals as text."""
    if data is None:
        return None
    candidates = [b for b in branches if _may_hold(data, b, named)]
    if isinstance(data, dict) and len(candidates) > 1:
        candidates.sort(key=lambda b: _record_fit(data, b, named), reverse=True)  # stable
    for branch in candidates:
        try:
            return avro_inputs(data, branch, named, where)
        except NotTheType:
            continue
    return data  # no branch takes it: fastavro's validation names the field


def _record_fit(data: dict[str, Any], schema: Any, named: dict[str, Any]) -> tuple[bool, int]:
    """How well an object fits a record branch: (none of its keys is foreign to the
    record, how many of its keys are the record's fields)."""
    if isinstance(schema, str):
        schema = named.get(schema, schema)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return (False, 0)
    fields = {f["name"] for f in schema.get("fields", ())}
    return (fields.issuperset(data), len(fields.intersection(data)))


def _may_hold(data: Any, schema: Any, named: dict[str, Any]) -> bool:
    """Whether a value of this JSON kind can be written as ``schema``'s type."""
    if isinstance(schema, str) and schema in named:
        schema = named[schema]
    if isinstance(schema, dict):
        if isinstance(data, str) and schema.get("logicalType"):
            return True  # text for a logical type: the conversion decides
        if schema.get("logicalType") == "decimal" and isinstance(data, int | float):
            return not isinstance(data, bool)  # the conversion takes or refuses it
        kind = schema.get("type")
        if isinstance(kind, str) and kind in named:
            return _may_hold(data, named[kind], named)
        schema = kind if isinstance(kind, str) else None
    if schema == "null":
        return data is None
    if schema == "boolean":
        return isinstance(data, bool)
    if schema in _NUMBERS:
        return isinstance(data, int | float) and not isinstance(data, bool)
    if schema in ("string", "enum", "bytes", "fixed"):
        return isinstance(data, str)
    if schema in ("record", "map"):
        return isinstance(data, dict)
    if schema == "array":
        return isinstance(data, list)
    return False


def _logical(text: str, logical: str, kind: Any, where: str) -> Any:
    try:
        if logical == "decimal":
            return Decimal(text)
        if "timestamp" in logical:
            at = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if at.tzinfo is None and not logical.startswith("local-"):
                at = at.replace(tzinfo=dt.UTC)
            return at
        if logical == "date":
            return dt.date.fromisoformat(text)
        if logical.startswith("time-"):
            return dt.time.fromisoformat(text)
    except (ValueError, InvalidOperation):
        what = "timestamp" if "timestamp" in logical else logical.removeprefix("time-")
        raise NotTheType(f"{where or 'the value'}: {text!r} is not a {what}") from None
    if kind in ("bytes", "fixed"):  # an unknown logical type on bytes: base64 as shown
        return _bytes(text, where)
    return text  # uuid and unknown logical types: written from the text itself


def _decimal_number(number: float, where: str) -> Decimal:
    if isinstance(number, int):
        return Decimal(number)
    raise NotTheType(
        f"{where or 'the value'}: {number!r} is a JSON number; write a decimal as text, "
        f'e.g. "{number!r}", so that it is exact'
    )


def _bytes(data: Any, where: str) -> Any:
    if not isinstance(data, str):
        return data
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise NotTheType(f"{where or 'the value'}: {data!r} is not base64 bytes") from None


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
