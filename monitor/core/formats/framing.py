"""Schema-registry framing: which schema a Kafka key or value says it was written with.

Confluent's serializers (and Karapace's, Redpanda's, Apicurio's compatible mode) put the
schema reference either in front of the body or in a header:

- **v0**: byte ``0x00`` + a 4-byte big-endian schema id, then the body;
- **v1**: byte ``0x01`` + a 16-byte GUID, then the body;
- **header**: no prefix on the value; a ``__value_schema_id`` (``__key_schema_id``)
  header holds ``0x01`` + GUID (or ``0x00`` + id), then for Protobuf the message-index
  list.

Protobuf bodies also start with the message-index list that picks the message type in
the schema; that is read by the Protobuf codec, once the schema says it is Protobuf.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

VALUE_SCHEMA_HEADER = "__value_schema_id"
KEY_SCHEMA_HEADER = "__key_schema_id"

V0, V1 = 0, 1


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A schema as a record names it: a registry id or a GUID (one of the two)."""

    id: int | None = None
    guid: str | None = None

    def describe(self) -> str:
        return f"schema id {self.id}" if self.id is not None else f"schema GUID {self.guid}"

    def as_info(self) -> dict[str, object]:
        return {"id": self.id} if self.id is not None else {"guid": self.guid}


@dataclass(frozen=True, slots=True)
class Framed:
    """A framed key or value: the schema it names and the body after the prefix.

    ``indexes``: for header framing, the bytes after the header's reference (Protobuf's
    message-index list goes there, not in the body); ``None`` for prefix framing.
    """

    ref: SchemaRef
    body: bytes
    indexes: bytes | None = None


class FramingError(ValueError):
    """A record that claims schema framing and breaks the claim (e.g. truncated prefix)."""


def _ref_from_prefix(data: bytes, where: str) -> tuple[SchemaRef, int]:
    """The reference at the start of ``data`` and the prefix's length; raises FramingError."""
    magic = data[0]
    if magic == V0:
        if len(data) < 5:
            raise FramingError(f"{where}: schema id cut short ({len(data)} of 5 bytes)")
        return SchemaRef(id=int.from_bytes(data[1:5], "big")), 5
    if magic == V1:
        if len(data) < 17:
            raise FramingError(f"{where}: schema GUID cut short ({len(data)} of 17 bytes)")
        return SchemaRef(guid=str(uuid.UUID(bytes=bytes(data[1:17])))), 17
    raise FramingError(f"{where}: unknown magic byte 0x{magic:02x} (expected 0x00 or 0x01)")


def unframe(data: bytes, header: bytes | None = None) -> Framed | None:
    """The framing of ``data``, or ``None`` when it carries none.

    ``header`` is the raw ``__value_schema_id``/``__key_schema_id`` header, if the record
    has one: it wins over the bytes, which are then the whole body. Without it, a value
    that starts with ``0x00`` (at least 5 bytes) or ``0x01`` (at least 17) is framed: no
    text or JSON starts with those bytes. Raises :class:`FramingError` when a header is
    there but unreadable.
    """
    if header is not None:
        if not header:
            raise FramingError("schema id header is empty")
        ref, n = _ref_from_prefix(header, "schema id header")
        return Framed(ref, data, bytes(header[n:]))
    if not data:
        return None
    magic = data[0]
    if magic == V0 and len(data) >= 5:
        # A topic carries a few schema ids: their references are made once, not per record.
        prefix = data[:5]
        known = _V0_REFS.get(prefix)
        if known is not None:
            return Framed(known, data[5:])
        if len(_V0_REFS) >= 4096:
            _V0_REFS.clear()
        made = _V0_REFS[prefix] = SchemaRef(id=int.from_bytes(data[1:5], "big"))
        return Framed(made, data[5:])
    if magic == V1 and len(data) >= 17:
        ref, n = _ref_from_prefix(data, "framing")
        return Framed(ref, data[n:])
    return None


_V0_REFS: dict[bytes, SchemaRef] = {}


def frame_v0(schema_id: int, body: bytes) -> bytes:
    """``body`` behind a v0 prefix (for tests and publishing)."""
    return bytes([V0]) + schema_id.to_bytes(4, "big") + body
