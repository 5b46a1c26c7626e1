"""Schema-encoded keys and values -> data, through the schema's compiled codec.

:func:`decode_schema_value` is the one step the decoder calls for a framed (or
topic-schema) key or value. It never raises; its :class:`SchemaDecoded` says which of
three things happened:

- decoded: ``data``, ``format`` (``avro``, ``protobuf``, ``json-schema``) and ``schema``
  (id, guid, subject, version, record or message name; for JSON Schema also ``valid``
  and, when not, ``invalid`` with the first failing path);
- malformed (``error``): the body does not decode with its schema, or the framing is
  broken - the record breaks what it claims;
- undecoded (``undecoded``): the schema cannot be had or used (yet); ``pending`` when a
  fetch is under way and the record can be decoded again once it has settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.core.formats.framing import Framed, FramingError, SchemaRef, unframe
from monitor.core.formats.schemas import (
    AVRO,
    JSON_SCHEMA,
    PROTOBUF,
    Pending,
    Schema,
    SchemaSource,
    Unavailable,
)

UNDECODED = "undecoded"


@dataclass(slots=True)
class SchemaDecoded:
    format: str
    data: Any = None
    schema: dict[str, Any] | None = None
    error: str | None = None
    undecoded: str | None = None
    pending: bool = False
    name: str | None = None


class SchemaUnusable(ValueError):
    """A schema that cannot be compiled (bad text, missing or circular references)."""


def codec_for(schema: Schema) -> Any:
    """The schema's compiled codec, built once; raises SchemaUnusable (also once: the
    failure is kept, so a bad schema is not recompiled for every record)."""
    codec = schema.codec
    if codec is None:
        try:
            if schema.format == AVRO:
                from monitor.core.formats.avro import AvroCodec

                codec = AvroCodec(schema)
            elif schema.format == PROTOBUF:
                from monitor.core.formats.protobuf import ProtobufCodec

                codec = ProtobufCodec(schema)
            elif schema.format == JSON_SCHEMA:
                from monitor.core.formats.json_schema import JsonSchemaCodec

                codec = JsonSchemaCodec(schema)
            else:
                codec = SchemaUnusable(f"unknown schema type {schema.format!r}")
        except SchemaUnusable as exc:
            codec = exc
        except RecursionError:
            codec = SchemaUnusable("the schema refers to itself without end")
        except Exception as exc:  # any library's complaint about the schema text
            codec = SchemaUnusable(f"{type(exc).__name__}: {exc}")
        schema.codec = codec
    if isinstance(codec, SchemaUnusable):
        raise codec
    return codec


def decode_schema_value(
    value: bytes,
    header: bytes | None,
    topic: str | None,
    is_key: bool,
    schemas: SchemaSource,
) -> SchemaDecoded | None:
    """Decode ``value`` by its framing (or ``topic``'s local schema); ``None`` when it is
    neither framed nor has a schema for its topic. Never raises."""
    what = "key" if is_key else "value"
    try:
        framed = unframe(value, header)
    except FramingError as exc:
        return SchemaDecoded("binary", error=f"{what} {exc}")
    if framed is None:
        if not schemas.claims(topic, is_key):
            return None
        framed = Framed(SchemaRef(), value)
        ref: SchemaRef | None = None
    else:
        ref = framed.ref
    answer = schemas.lookup(ref, topic, is_key)
    known: dict[str, Any] = ref.as_info() if ref is not None else {}
    if isinstance(answer, Pending):
        return SchemaDecoded(
            UNDECODED, schema={**known, "pending": True}, undecoded=answer.reason, pending=True
        )
    if isinstance(answer, Unavailable):
        return SchemaDecoded(UNDECODED, schema=known or None, undecoded=answer.reason)
    try:
        codec = codec_for(answer)
    except SchemaUnusable as exc:
        return SchemaDecoded(
            UNDECODED,
            schema={**known, **answer.info()},
            undecoded=f"{_label(ref, answer)} cannot be used: {exc}",
        )
    try:
        if answer.format == JSON_SCHEMA:
            data, name, failure = codec.decode(framed.body)
            info = {**known, **answer.info(name), "valid": failure is None}
            if failure is not None:
                info["invalid"] = failure
            return SchemaDecoded(answer.format, data, info, name=name)
        if answer.format == PROTOBUF:
            data, name = codec.decode(framed.body, ref is not None, framed.indexes)
        else:
            data, name = codec.decode(framed.body)
    except Exception as exc:  # ValueError from the codecs; anything else is as bad
        reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        return SchemaDecoded(
            answer.format,
            schema={**known, **answer.info()},
            error=f"{what} does not decode as {answer.format} with {_label(ref, answer)}: {reason}",
        )
    # One dict per schema, reference and record name, shared by the events it decoded.
    shared = answer.infos.get((ref, name))
    if shared is not None:
        return SchemaDecoded(answer.format, data, shared, name=name)
    if len(answer.infos) > 256:
        answer.infos.clear()
    made = answer.infos[(ref, name)] = {**known, **answer.info(name)}
    return SchemaDecoded(answer.format, data, made, name=name)


def _label(ref: SchemaRef | None, schema: Schema) -> str:
    return ref.describe() if ref is not None else f"the local schema {schema.subject}"
