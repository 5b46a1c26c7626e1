"""Avro bodies (fastavro), with logical types rendered as people read them."""

from __future__ import annotations

import io
import json
from typing import Any

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
        self.parsed = fastavro.parse_schema(json.loads(schema.text), named_schemas=named)
        texts.append(schema.text)
        self.name: str | None = self.parsed.get("name") if isinstance(self.parsed, dict) else None
        self.render = any(marker in t for t in texts for marker in _NEEDS_RENDERING)
        self._read = fastavro.schemaless_reader

    def decode(self, body: bytes) -> tuple[Any, str | None]:
        """``(data, record name)``; raises ValueError when the body does not fit."""
        stream = io.BytesIO(body)
        try:
            value = self._read(stream, self.parsed, None)
        except (EOFError, StopIteration):
            raise ValueError("body ends early (truncated)") from None
        except (IndexError, KeyError, UnicodeDecodeError, OverflowError, TypeError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            raise ValueError(f"body does not fit the schema ({why})") from None
        left = len(body) - stream.tell()
        if left:
            raise ValueError(f"{left} bytes left over after the record: not this schema")
        return (json_ready(value) if self.render else value), self.name


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
