"""Avro bodies (fastavro), with logical types rendered as people read them."""

from __future__ import annotations

import io
import json
from typing import Any

from monitor.core.formats.avro_logical import without_top_level_logical_types
from monitor.core.formats.render import json_ready
from monitor.core.formats.schemas import Schema

# Types whose values fastavro hands back as something JSON has no form for.
_NEEDS_RENDERING = ('"logicalType"', '"bytes"', '"fixed"')


class AvroCodec:
    """A parsed Avro schema (with its references) that decodes schemaless bodies."""

    def __init__(self, schema: Schema) -> None:
        import fastavro

        named: dict[str, Any] = {}
        texts = []
        for ref in _references_first(schema, set()):
            fastavro.parse_schema(json.loads(ref.text), named_schemas=named)
            texts.append(ref.text)
        doc = json.loads(schema.text)
        # A record's own logical-type fields are read as their base types and rendered
        # straight from those (see avro_logical); the result is the same text.
        self.fast_fields: list[tuple[str, Any]] = []
        if isinstance(doc, dict) and doc.get("type") == "record":
            reading, self.fast_fields = without_top_level_logical_types(doc)
        else:
            reading = doc
        self.parsed = fastavro.parse_schema(reading, named_schemas=named)
        texts.append(json.dumps(reading))
        self.name: str | None = self.parsed.get("name") if isinstance(self.parsed, dict) else None
        self.render = any(marker in t for t in texts for marker in _NEEDS_RENDERING)
        # A record: only its fields that can hold such values are rendered (most fields
        # are strings and numbers; walking them all costs as much as decoding).
        self.render_fields: list[str] | None = None
        if self.render and isinstance(reading, dict) and reading.get("type") == "record":
            fast = {name for name, _ in self.fast_fields}
            self.render_fields = [
                f["name"]
                for f in reading.get("fields", ())
                if f["name"] not in fast and _may_need_rendering(f.get("type"))
            ]
        self._read = fastavro.schemaless_reader
        # For encoding (publishing, edited dead letters): the schema with its logical
        # types, which formats.avro_inputs walks to read the forms the app shows.
        self.logical_parsed = fastavro.parse_schema(doc, named_schemas=dict(named))

    def decode(self, body: bytes) -> tuple[Any, str | None]:
        """``(data, record name)``; raises ValueError when the body does not fit."""
        stream = io.BytesIO(body)
        try:
            value = self._read(stream, self.parsed, None)
        except (EOFError, StopIteration):
            raise ValueError("body ends early (truncated)") from None
        except IndexError:
            # fastavro reads a string or bytes past the end as an index error: a body cut
            # short, or a length that does not belong to this schema.
            raise ValueError(
                "body ends early (truncated), or a length in it does not fit the schema"
            ) from None
        except (KeyError, UnicodeDecodeError, OverflowError, TypeError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            raise ValueError(f"body does not fit the schema ({why})") from None
        left = len(body) - stream.tell()
        if left:
            raise ValueError(f"{left} bytes left over after the record: not this schema")
        if self.fast_fields and type(value) is dict:
            for name, render in self.fast_fields:
                value[name] = render(value[name])
        if self.render:
            fields = self.render_fields
            if fields is None or type(value) is not dict:
                value = json_ready(value)
            else:
                for name in fields:
                    value[name] = json_ready(value[name])
        return value, self.name


_PRIMITIVES = frozenset(
    ("null", "boolean", "int", "long", "float", "double", "string", "record", "enum", "array",
     "map", "error")
)  # fmt: skip


def _may_need_rendering(t: Any) -> bool:
    """Whether a field of type ``t`` can hold a value JSON has no form for: a logical type,
    bytes or fixed anywhere in it, or a named type defined elsewhere (not looked into)."""
    if isinstance(t, str):
        return t not in _PRIMITIVES
    if isinstance(t, list):
        return any(_may_need_rendering(x) for x in t)
    if isinstance(t, dict):
        if "logicalType" in t or t.get("type") in ("bytes", "fixed"):
            return True
        inner = [t.get("type"), t.get("items"), t.get("values")]
        inner += [f.get("type") for f in t.get("fields", ()) if isinstance(f, dict)]
        return any(_may_need_rendering(x) for x in inner if x is not None)
    return False


def _references_first(schema: Schema, seen: set[int]) -> list[Schema]:
    """The referenced schemas, depth first, each once (a cycle stops at the repeat)."""
    out: list[Schema] = []
    for ref in schema.references.values():
        if id(ref) in seen:
            continue
        seen.add(id(ref))
        out.extend(_references_first(ref, seen))
        out.append(ref)
    return out
