"""JSON data -> a schema-encoded value: in Confluent v0 framing for publishing
(:func:`encode_with_schema`), or the bare body for an edited dead letter, which keeps the
framing it came with (:func:`encode_body`, see :mod:`monitor.core.formats.reframe`).

The data takes logical types in the forms the app shows them (a decimal as a string, an
RFC 3339 time, an ISO date, a UUID as text, bytes as base64; :mod:`.avro_inputs`), so an
event copied from the details pane can be published back as it was. Data that does not
fit the schema is refused with :class:`DoesNotFit`, naming the field and the reason,
before anything is sent.
"""

from __future__ import annotations

import io
import json
from typing import Any

from monitor.core.formats.avro_inputs import NotTheType, avro_inputs
from monitor.core.formats.codecs import SchemaUnusable, codec_for
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import AVRO, JSON_SCHEMA, PROTOBUF, Schema


class DoesNotFit(ValueError):
    """Data that the schema does not accept; ``str()`` names the field and the reason."""


def encode_with_schema(data: Any, schema: Schema) -> bytes:
    """``data`` encoded with ``schema`` behind a v0 prefix with the schema's id (for
    Protobuf, the first message of the schema: message index ``[0]``)."""
    if schema.id is None:
        raise ValueError("the schema has no registry id to frame the value with")
    body = encode_body(data, schema)
    if schema.format == PROTOBUF:
        return frame_v0(schema.id, message_index_bytes((0,)) + body)
    return frame_v0(schema.id, body)


def encode_body(data: Any, schema: Schema, indexes: tuple[int, ...] = (0,)) -> bytes:
    """``data`` encoded with ``schema``, without any framing: the caller puts the prefix
    (and, for Protobuf, the message-index list) in front. ``indexes`` picks the Protobuf
    message, nested ones included. Raises :class:`DoesNotFit`, or ValueError for a schema
    that cannot be used."""
    try:
        codec = codec_for(schema)
    except SchemaUnusable as exc:
        raise ValueError(f"the schema cannot be used: {exc}") from exc
    if schema.format == AVRO:
        return _avro(data, codec)
    if schema.format == PROTOBUF:
        return _protobuf(data, codec, indexes)
    if schema.format == JSON_SCHEMA:
        error = next(iter(codec.validator.iter_errors(data)), None)
        if error is not None:
            path = "$" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            raise DoesNotFit(f"{path}: {error.message}")
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    raise ValueError(f"cannot encode with a {schema.format} schema")


def message_index_bytes(indexes: tuple[int, ...]) -> bytes:
    """The message-index list Confluent's Protobuf framing puts before the body: zig-zag
    varints, a count then the indexes; ``[0]`` is written as a lone ``0``, as the
    serializers do."""
    if indexes == (0,):
        return b"\x00"
    return b"".join(_zigzag_varint(n) for n in (len(indexes), *indexes))


def _zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        byte = z & 0x7F
        z >>= 7
        if z:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _avro(data: Any, codec: Any) -> bytes:
    import fastavro
    from fastavro.validation import ValidationError, validate

    schema = codec.logical_parsed
    named = schema.get("__named_schemas", {}) if isinstance(schema, dict) else {}
    try:
        record = avro_inputs(data, schema, named)
    except NotTheType as exc:
        raise DoesNotFit(str(exc)) from None
    try:
        validate(record, codec.logical_parsed, raise_errors=True)
    except ValidationError as exc:
        raise DoesNotFit(_avro_reason(exc)) from None
    out = io.BytesIO()
    fastavro.schemaless_writer(out, codec.logical_parsed, record)
    return out.getvalue()


def _avro_reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None) or [str(exc)]
    first = errors[0]
    field = getattr(first, "field", None)
    datum = getattr(first, "datum", None)
    if field:
        return f"{field}: {datum!r} does not fit the field's type"
    return str(first)


def _protobuf(data: Any, codec: Any, indexes: tuple[int, ...]) -> bytes:
    # protobuf's own JSON mapping: it takes what the app shows (lowerCamelCase names, a
    # Timestamp as RFC 3339, 64-bit integers as text) as well as the .proto field names.
    from google.protobuf import json_format

    cls, _name = codec.message_class(indexes)
    try:
        message = json_format.ParseDict(data, cls())
    except json_format.ParseError as exc:
        raise DoesNotFit(str(exc)) from None
    body: bytes = message.SerializeToString()
    return body
