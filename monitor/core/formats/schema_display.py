"""The schema an event was decoded with, found again and written for people to read.

The details pane shows an event's value or key schema. :func:`find_schema` asks the
same :class:`~monitor.core.formats.schemas.SchemaSource` the decoder asked (local schema
files by topic, then the registry by id or GUID) and waits for a fetch without blocking
the loop (:func:`~monitor.core.formats.schema_wait.wait_for_schema`).
:func:`readable_schema` is the text: Avro and JSON Schema as indented JSON, Protobuf as
``.proto`` text (written back from the descriptor the registry serves), followed by the
schemas it references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schema_wait import wait_for_schema
from monitor.core.formats.schemas import (
    AVRO,
    JSON_SCHEMA,
    PROTOBUF,
    Schema,
    SchemaSource,
    Unavailable,
)

_KIND_NAMES = {AVRO: "Avro", PROTOBUF: "Protobuf", JSON_SCHEMA: "JSON Schema"}
# How long the pane waits for a registry: longer than a request's own 5 s timeout, as a
# schema's references are requests too, and the user asked to see this one schema.
FETCH_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class SchemaRequest:
    """Which schema to show: an event's ``schema`` (or ``key_schema``) info and where the
    record came from, since local schema files are chosen by topic."""

    info: dict[str, Any]
    topic: str | None
    is_key: bool = False

    @property
    def ref(self) -> SchemaRef | None:
        """The registry reference the record carried, if any."""
        if isinstance(self.info.get("id"), int):
            return SchemaRef(id=self.info["id"])
        if isinstance(self.info.get("guid"), str):
            return SchemaRef(guid=self.info["guid"])
        return None

    def describe(self) -> str:
        """``value schema orders-value v3 (id 42)`` and the like."""
        info = self.info
        bits = [f"{'key' if self.is_key else 'value'} schema"]
        if info.get("subject"):
            version = f" v{info['version']}" if info.get("version") is not None else ""
            bits.append(f"{info['subject']}{version}")
        ref = self.ref
        if ref is not None:
            bits.append(f"({ref.describe().removeprefix('schema ')})")
        return " ".join(bits)


async def find_schema(
    source: SchemaSource, request: SchemaRequest, *, give_up_after: float = FETCH_TIMEOUT
) -> Schema | Unavailable:
    """The schema ``request`` names, from ``source``; waits (without blocking the loop)
    while the source fetches it. Never raises for a missing schema: the reason is in the
    :class:`Unavailable` answer."""
    return await wait_for_schema(
        source, request.ref, request.topic, request.is_key, wait_seconds=give_up_after
    )


def kind_name(schema: Schema) -> str:
    return _KIND_NAMES.get(schema.format, schema.format)


def readable_schema(schema: Schema) -> str:
    """The schema's text as people read it, then each schema it references."""
    parts = [_readable_text(schema)]
    seen = {id(schema)}
    for name, referenced in _references(schema, seen):
        where = referenced.subject or name
        version = f" v{referenced.version}" if referenced.version is not None else ""
        parts.append(f"// referenced as {name}: {where}{version}\n{_readable_text(referenced)}")
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def _references(schema: Schema, seen: set[int]) -> list[tuple[str, Schema]]:
    """Every schema ``schema`` references, depth first, each once."""
    out = []
    for name, referenced in schema.references.items():
        if id(referenced) in seen:
            continue
        seen.add(id(referenced))
        out.append((name, referenced))
        out += _references(referenced, seen)
    return out


def _readable_text(schema: Schema) -> str:
    if schema.format == PROTOBUF:
        return _proto_text(schema)
    try:
        return json.dumps(json.loads(schema.text), indent=2, ensure_ascii=False)
    except ValueError:
        return schema.text  # shown as it came: it decoded, so the decoder could read it


def _proto_text(schema: Schema) -> str:
    from monitor.core.formats.proto_print import proto_source
    from monitor.core.formats.protobuf import file_descriptor

    if not _looks_serialized(schema.text):
        return schema.text  # .proto text already (a local file, a registry's default)
    try:
        return proto_source(file_descriptor(schema.text, schema.subject or "schema.proto"))
    except ValueError:
        return schema.text


def _looks_serialized(text: str) -> bool:
    """Base64 of a descriptor, as opposed to ``.proto`` text (which has spaces, ``;``)."""
    stripped = text.strip()
    return bool(stripped) and not any(c in stripped for c in " ;{\n")
