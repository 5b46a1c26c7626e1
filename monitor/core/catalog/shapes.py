"""Payload shapes: what one event's payload looks like, cheaply, and the JSON Schema and
drift that follow from the shapes seen.

A *shape* is the payload's top-level field names with the Python type of each value, as
two tuples built at C speed (``tuple(data)``, ``tuple(map(type, data.values()))``): on the
hot path an event costs one such pair and one dictionary lookup, and only a shape seen
for the first time costs more (its names, its examples, its drift against the shape
before it). A payload that is not an object has the one-field shape ``("", type)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ShapeKey = tuple[tuple[str, ...], tuple[type, ...]]

# JSON Schema type names of the Python values a JSON decoder (or Avro, Protobuf) gives.
TYPE_NAMES: dict[type, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
    dict: "object",
    list: "array",
    bytes: "string",
}
_PY_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
}
NOT_AN_OBJECT = ""  # the one field name of a payload that is not a JSON object


def type_name(t: type) -> str:
    return TYPE_NAMES.get(t, "string")


def shape_of(data: Any) -> ShapeKey:
    """The shape of one payload (see the module docstring)."""
    if type(data) is dict:
        return tuple(data), tuple(map(type, data.values()))
    return (NOT_AN_OBJECT,), (type(data),)


def _example(value: Any) -> Any:
    """A short example of a field's value, kept in the catalog (never a large object)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= 80 else value[:77] + "..."
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return None
    return value if len(text) <= 120 else None


@dataclass(slots=True)
class Shape:
    """One distinct shape of a type's payload, how often it came, and a first example."""

    names: tuple[str, ...]
    types: tuple[str, ...]
    count: int = 0
    examples: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def first(cls, key: ShapeKey, data: Any) -> Shape:
        names, types = key
        shape = cls(names, tuple(type_name(t) for t in types))
        if type(data) is dict:
            for name in names:
                example = _example(data.get(name))
                if example is not None:
                    shape.examples[name] = example
        return shape

    @property
    def key(self) -> ShapeKey:
        return self.names, tuple(_PY_TYPES.get(t, str) for t in self.types)

    def fields(self) -> dict[str, str]:
        return dict(zip(self.names, self.types, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": [list(p) for p in zip(self.names, self.types, strict=True)],
            "count": self.count,
            "examples": self.examples,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Shape:
        pairs = [(str(n), str(t)) for n, t in d.get("fields", [])]
        return cls(
            tuple(n for n, _ in pairs),
            tuple(t for _, t in pairs),
            int(d.get("count", 0)),
            dict(d.get("examples") or {}),
        )


def _compatible(old: str, new: str) -> bool:
    # An integer where a number was (or the reverse) is the same JSON type to a reader.
    return old == new or {old, new} == {"integer", "number"}


def shape_changes(before: Shape, after: Shape) -> list[tuple[str, str, str | None, str | None]]:
    """``(change, field, from type, to type)`` between two shapes of one type: fields
    ``added``, ``removed``, or whose type ``changed`` (integer and number are one type)."""
    old, new = before.fields(), after.fields()
    out: list[tuple[str, str, str | None, str | None]] = []
    for name, t in new.items():
        if name not in old:
            out.append(("added", name, None, t))
        elif not _compatible(old[name], t):
            out.append(("changed", name, old[name], t))
    out += [("removed", name, t, None) for name, t in old.items() if name not in new]
    return out


def json_schema(shapes: list[Shape], title: str | None = None) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for the payloads the shapes describe: each field's
    types, the fields present in every event (``required``) and an example of each."""
    total = sum(s.count for s in shapes)
    if not shapes:
        return {"type": "object"} if title is None else {"title": title, "type": "object"}
    if all(s.names == (NOT_AN_OBJECT,) for s in shapes):
        types = sorted({s.types[0] for s in shapes})
        schema: dict[str, Any] = {"type": types[0] if len(types) == 1 else types}
        return schema if title is None else {"title": title, **schema}
    present: dict[str, int] = {}
    types_of: dict[str, set[str]] = {}
    examples: dict[str, Any] = {}
    for s in shapes:
        if s.names == (NOT_AN_OBJECT,):
            continue
        for name, t in zip(s.names, s.types, strict=True):
            present[name] = present.get(name, 0) + s.count
            types_of.setdefault(name, set()).add(t)
            if name not in examples and name in s.examples:
                examples[name] = s.examples[name]
    properties: dict[str, Any] = {}
    for name in present:
        ts = types_of[name]
        if {"integer", "number"} <= ts:
            ts = ts - {"integer"}
        ordered = sorted(ts)
        prop: dict[str, Any] = {"type": ordered[0] if len(ordered) == 1 else ordered}
        if name in examples:
            prop["examples"] = [examples[name]]
        properties[name] = prop
    schema = {"type": "object", "properties": properties}
    required = [name for name, n in present.items() if n == total]
    if required:
        schema["required"] = required
    return schema if title is None else {"title": title, **schema}
