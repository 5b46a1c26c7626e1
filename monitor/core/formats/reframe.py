"""A schema-encoded value encoded again (after an edit) and framed exactly as it came.

A consumer reads the schema reference from the record, not from us: an edited value must
name the very schema it named before, in the same framing. So the prefix is kept byte for
byte (v0 magic + id, or v1 magic + GUID), a ``__value_schema_id`` header is left as it is
(the caller keeps the record's headers), and for Protobuf the message-index list that
picks the message (a nested one too) is kept as it was written: only the body after it
is new. A value read with a local schema file for its topic had no framing and gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.core.formats.encode import encode_body
from monitor.core.formats.framing import SchemaRef, unframe
from monitor.core.formats.protobuf import read_message_indexes
from monitor.core.formats.schemas import PROTOBUF, Schema


@dataclass(frozen=True, slots=True)
class Framing:
    """How a schema-encoded value was framed: what goes back in front of a new body.

    ``ref``: the schema the value names (``None``: no framing, a local schema by topic);
    ``prefix``: the bytes before the body, kept as they were (the v0/v1 prefix, then
    Protobuf's message-index list when it is in the value); ``indexes``: the Protobuf
    message those pick (``(0,)``, the first, when nothing says otherwise).
    """

    ref: SchemaRef | None
    prefix: bytes
    indexes: tuple[int, ...] = (0,)


def framing_of(value: bytes, header: bytes | None, fmt: str) -> Framing:
    """The framing of ``value`` (``header``: its raw ``__value_schema_id`` header, if any)
    decoded as ``fmt``. Raises ValueError (a FramingError) when the framing is broken."""
    framed = unframe(value, header)
    if framed is None:
        return Framing(None, b"")
    prefix = value[: len(value) - len(framed.body)]
    if fmt != PROTOBUF:
        return Framing(framed.ref, prefix)
    if framed.indexes is not None:  # header framing: the list is in the header, kept there
        indexes = read_message_indexes(framed.indexes)[1] if framed.indexes else (0,)
        return Framing(framed.ref, prefix, indexes)
    used, indexes = read_message_indexes(framed.body)
    return Framing(framed.ref, prefix + framed.body[:used], indexes)


def reframed(framing: Framing, data: Any, schema: Schema) -> bytes:
    """``data`` encoded with ``schema`` behind ``framing``'s prefix. Raises DoesNotFit
    (naming the field and the reason) or ValueError (a schema that cannot be used)."""
    return framing.prefix + encode_body(data, schema, framing.indexes)
