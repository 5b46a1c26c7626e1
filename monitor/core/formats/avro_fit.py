"""Why Avro data does not fit its schema, in a sentence that names the field.

fastavro's own validation says only that a field's value "does not fit" (a missing field
shows as ``None``), its writer raises bare sentences such as "Scale provided in schema
does not match the decimal", and it drops fields the schema does not have without a word.
:func:`misfit` walks the data (already turned into fastavro's objects by
:mod:`.avro_inputs`) along the parsed schema and says what is wrong and where: a field
that is missing, one the record does not have, a value of the wrong kind with the kind
the schema wants, a decimal with too many places or digits, a number beyond an int's
range, an enum symbol the schema lacks. ``None`` means it fits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

_INT_RANGE = {"int": 2**31, "long": 2**63}
_WANTED = {
    "null": "null",
    "boolean": "true or false",
    "int": "an int",
    "long": "a long",
    "float": "a number",
    "double": "a number",
    "string": "a string",
    "bytes": "bytes (base64 text)",
}
_LOGICAL_WANTED = {
    "decimal": 'a decimal (text such as "1.50")',
    "uuid": "a UUID",
    "date": "a date",
    "time-millis": "a time of day",
    "time-micros": "a time of day",
}
# The objects avro_inputs makes of the text forms, by logical type.
_LOGICAL_OBJECTS: dict[str, type] = {
    "date": dt.date,
    "time-millis": dt.time,
    "time-micros": dt.time,
}


def misfit(data: Any, schema: Any, named: dict[str, Any], where: str = "") -> str | None:
    """Why ``data`` cannot be written with ``schema`` (a parsed schema; ``named``: its
    named types by full name), or ``None`` when it can."""
    if isinstance(schema, str):
        found = named.get(schema)
        if found is not None:
            return misfit(data, found, named, where)
        return _primitive(data, schema, where)
    if isinstance(schema, list):
        return _union(data, schema, named, where)
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if isinstance(logical, str) and isinstance(kind, str):
        handled, reason = _logical(data, schema, logical, kind, where)
        if handled:
            return reason
    if kind == "record":
        return _record(data, schema, named, where)
    if kind == "enum":
        symbols = schema.get("symbols", [])
        if isinstance(data, str) and data in symbols:
            return None
        if isinstance(data, str):
            return f"{_at(where)}{data!r} is not one of {', '.join(symbols)}"
        return _wrong(data, wanted(schema, named), where)
    if kind == "array":
        if not isinstance(data, list):
            return _wrong(data, "a list", where)
        items = schema.get("items")
        return _first(misfit(x, items, named, f"{where}[{i}]") for i, x in enumerate(data))
    if kind == "map":
        if not isinstance(data, dict):
            return _wrong(data, "an object (a map)", where)
        values = schema.get("values")
        return _first(misfit(v, values, named, _join(where, k)) for k, v in data.items())
    if kind == "fixed":
        size = schema.get("size")
        if not isinstance(data, bytes):
            return _wrong(data, f"{size} bytes (base64 text)", where)
        if len(data) != size:
            return f"{_at(where)}{len(data)} bytes; the schema wants exactly {size}"
        return None
    if isinstance(kind, str | dict | list):  # {"type": "string"} or a named type by name
        return misfit(data, kind, named, where)
    return None


def wanted(schema: Any, named: dict[str, Any]) -> str:
    """What ``schema`` takes, for a sentence: ``a string``, ``a shop.Money record``."""
    if isinstance(schema, str):
        found = named.get(schema)
        return wanted(found, named) if found is not None else _WANTED.get(schema, schema)
    if isinstance(schema, list):
        return " or ".join(dict.fromkeys(wanted(b, named) for b in schema))
    if not isinstance(schema, dict):
        return str(schema)
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if isinstance(logical, str):
        if "timestamp" in logical:
            return "a timestamp"
        if logical in _LOGICAL_WANTED:
            return _LOGICAL_WANTED[logical]
    if kind == "record":
        return f"a {schema.get('name')} record"
    if kind == "enum":
        return f"one of {', '.join(schema.get('symbols', []))}"
    if kind == "array":
        return "a list"
    if kind == "map":
        return "an object (a map)"
    if kind == "fixed":
        return f"{schema.get('size')} bytes (base64 text)"
    return wanted(kind, named)


def described(data: Any) -> str:
    """``5 is a number``, ``'five' is text``: the value and its JSON kind."""
    if data is None:
        return "null is given"
    if isinstance(data, bool):
        return f"{str(data).lower()} is true/false"
    if isinstance(data, int | float | Decimal):
        return f"{data} is a number"
    if isinstance(data, str):
        return f"{_short(data)} is text"
    if isinstance(data, dict):
        return "an object is given"
    if isinstance(data, list):
        return "a list is given"
    if isinstance(data, bytes):
        return "bytes are given"
    return f"{_short(data)} is a {type(data).__name__}"


def _logical(
    data: Any, schema: dict[str, Any], logical: str, kind: str, where: str
) -> tuple[bool, str | None]:
    """``(handled, reason)``: logical types it does not know are left to the base type."""
    if logical == "decimal" and kind in ("bytes", "fixed"):
        if not isinstance(data, Decimal):
            return True, _wrong(data, _LOGICAL_WANTED["decimal"], where)
        return True, _decimal(data, schema, where)
    if logical == "uuid" and kind == "string":
        if not isinstance(data, str):
            return True, _wrong(data, _LOGICAL_WANTED["uuid"], where)
        try:
            uuid.UUID(data)
        except ValueError:  # fastavro would write any text, and readers choke on it
            return True, f"{_at(where)}{_short(data)} is not a UUID"
        return True, None
    if "timestamp" in logical and kind == "long":
        wanted_text = "a timestamp (RFC 3339 text or a number since the epoch)"
        object_type: type = dt.datetime
    elif logical in _LOGICAL_OBJECTS and kind in ("int", "long"):
        wanted_text, object_type = _LOGICAL_WANTED[logical], _LOGICAL_OBJECTS[logical]
    else:
        return False, None
    if _is_int(data):  # the base type's number, written as it is
        return True, _primitive(data, kind, where)
    return True, None if isinstance(data, object_type) else _wrong(data, wanted_text, where)


def _decimal(value: Decimal, schema: dict[str, Any], where: str) -> str | None:
    if not value.is_finite():
        return f"{_at(where)}{value} is not a decimal number"
    scale = int(schema.get("scale", 0))
    precision = int(schema.get("precision", 0))
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > scale:
        return (
            f"{_at(where)}{value} has {places} decimal place{'' if places == 1 else 's'}; "
            f"the schema allows {scale}"
        )
    whole = max(value.adjusted() + 1, 0) if value else 0
    if precision and whole > precision - scale:
        room = precision - scale
        return (
            f"{_at(where)}{value} has {whole} digit{'' if whole == 1 else 's'} before the "
            f"point; the schema allows {room} (precision {precision}, scale {scale})"
        )
    return None


def _record(data: Any, schema: dict[str, Any], named: dict[str, Any], where: str) -> str | None:
    name = schema.get("name")
    if not isinstance(data, dict):
        return _wrong(data, f"a {name} record (an object)", where)
    fields = schema.get("fields", ())
    known = {f["name"] for f in fields}
    # fastavro would drop it without a word, and the sender believe it was sent.
    unknown = next((k for k in data if k not in known), None)
    if unknown is not None:
        return f"{_join(where, unknown)} is not a field of {name}"
    for f in fields:
        field = f["name"]
        if field not in data:
            if "default" in f:
                continue  # written with the schema's default
            return f"{_join(where, field)} is missing, and {name} requires it"
        reason = misfit(data[field], f["type"], named, _join(where, field))
        if reason is not None:
            return reason
    return None


def _union(data: Any, branches: list[Any], named: dict[str, Any], where: str) -> str | None:
    reasons = [misfit(data, b, named, where) for b in branches]
    if any(r is None for r in reasons):
        return None
    # One branch of the value's kind (a record among null and string): its reason is the
    # precise one (the nested field), not "an object; the schema wants null or ...".
    of_kind = [r for b, r in zip(branches, reasons, strict=True) if _same_kind(data, b, named)]
    if len(of_kind) == 1:
        return of_kind[0]
    return _wrong(data, wanted(branches, named), where)


def _same_kind(data: Any, schema: Any, named: dict[str, Any]) -> bool:
    if isinstance(schema, str) and schema in named:
        schema = named[schema]
    kind = schema.get("type") if isinstance(schema, dict) else schema
    if isinstance(data, dict):
        return kind in ("record", "map")
    if isinstance(data, list):
        return kind == "array"
    return False


def _primitive(data: Any, kind: str, where: str) -> str | None:
    if kind == "null":
        ok = data is None
    elif kind == "boolean":
        ok = isinstance(data, bool)
    elif kind in _INT_RANGE:
        if _is_int(data):
            limit = _INT_RANGE[kind]
            if -limit <= data < limit:
                return None
            return f"{_at(where)}{data} is beyond the range of {_WANTED[kind]}"
        ok = False
    elif kind in ("float", "double"):
        ok = isinstance(data, int | float) and not isinstance(data, bool)
    elif kind == "string":
        ok = isinstance(data, str)
    elif kind == "bytes":
        ok = isinstance(data, bytes)
    else:
        return None  # not a type of ours to judge: fastavro's validation has the last word
    return None if ok else _wrong(data, _WANTED[kind], where)


def _wrong(data: Any, wanted_text: str, where: str) -> str:
    return f"{_at(where)}{described(data)}; the schema wants {wanted_text}"


def _is_int(data: Any) -> bool:
    return isinstance(data, int) and not isinstance(data, bool)


def _first(reasons: Any) -> str | None:
    return next((r for r in reasons if r is not None), None)


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
