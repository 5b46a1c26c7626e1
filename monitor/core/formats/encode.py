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

import datetime as dt
import io
import json
import re
from typing import Any

from monitor.core.formats.avro_fit import misfit
from monitor.core.formats.avro_inputs import NotTheType, avro_inputs
from monitor.core.formats.codecs import SchemaUnusable, codec_for
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.proto_messages import message_path, messages
from monitor.core.formats.schemas import AVRO, JSON_SCHEMA, PROTOBUF, Schema


class DoesNotFit(ValueError):
    """Data that the schema does not accept; ``str()`` names the field and the reason.
    ``fits``: for a Protobuf schema's default message, the other messages the data does
    fit (so the refusal can say which to choose)."""

    def __init__(self, reason: str, *, fits: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.fits = fits

    @property
    def reason(self) -> str:
        """The reason on one line, without a closing full stop, to go inside a sentence
        (protobuf's reasons span lines)."""
        return " ".join(str(self).split()).rstrip(".")


def encode_with_schema(data: Any, schema: Schema, message: str | None = None) -> bytes:
    """``data`` encoded with ``schema`` behind a v0 prefix with the schema's id. For
    Protobuf, ``message`` names the message (see :mod:`.proto_messages`); without it,
    the schema's first message (index ``[0]``), as the serializers' default is. Data is
    not matched to another message by its fields: a guess could send a record of a type
    its consumers do not expect. When it does not fit the first message but fits
    another, :attr:`DoesNotFit.fits` names that one, for the refusal to say."""
    if schema.id is None:
        raise ValueError("the schema has no registry id to frame the value with")
    if schema.format != PROTOBUF:
        if message is not None:
            raise ValueError(
                f"only a Protobuf schema has messages to choose; this one is {schema.format}"
            )
        return frame_v0(schema.id, encode_body(data, schema))
    indexes = message_choice(schema, message)[0] if message is not None else (0,)
    try:
        body = encode_body(data, schema, indexes)
    except DoesNotFit as exc:
        if message is not None:
            raise
        raise DoesNotFit(str(exc), fits=_fitting_messages(data, schema, indexes)) from None
    return frame_v0(schema.id, message_index_bytes(indexes) + body)


def message_choice(schema: Schema, message: str) -> tuple[tuple[int, ...], str]:
    """``(index path, full name)`` of a Protobuf schema's message named ``message``;
    raises ValueError (:class:`.proto_messages.UnknownMessage`) listing its messages."""
    return message_path(_codec(schema).file, message)


def schema_messages(schema: Schema) -> list[str]:
    """The full names of a Protobuf schema's messages (none for other formats)."""
    if schema.format != PROTOBUF:
        return []
    return [name for name, _ in messages(_codec(schema).file)]


def encode_body(data: Any, schema: Schema, indexes: tuple[int, ...] = (0,)) -> bytes:
    """``data`` encoded with ``schema``, without any framing: the caller puts the prefix
    (and, for Protobuf, the message-index list) in front. ``indexes`` picks the Protobuf
    message, nested ones included. Raises :class:`DoesNotFit`, or ValueError for a schema
    that cannot be used."""
    codec = _codec(schema)
    if schema.format == AVRO:
        return _avro(data, codec)
    if schema.format == PROTOBUF:
        return _protobuf(data, codec, indexes)
    if schema.format == JSON_SCHEMA:
        error = next(iter(codec.validator.iter_errors(data)), None)
        if error is not None:
            raise DoesNotFit(_json_schema_reason(error))
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    raise ValueError(f"cannot encode with a {schema.format} schema")


def _codec(schema: Schema) -> Any:
    try:
        return codec_for(schema)
    except SchemaUnusable as exc:
        raise ValueError(f"the schema cannot be used: {exc}") from exc


def _fitting_messages(data: Any, schema: Schema, tried: tuple[int, ...]) -> tuple[str, ...]:
    codec = _codec(schema)
    fits = []
    for name, path in messages(codec.file):
        if path == tried:
            continue
        try:
            _protobuf(data, codec, path)
        except (DoesNotFit, ValueError):
            continue
        fits.append(name)
    return tuple(fits)


def _json_schema_reason(error: Any) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.validator_value, list):
        have = error.instance if isinstance(error.instance, dict) else {}
        missing = next((n for n in error.validator_value if n not in have), None)
        if missing is not None:
            where = f"{path.removeprefix('.')}." if path else ""
            return f"{where}{missing} is missing, and the schema requires it"
    return f"${path}: {error.message}"


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


def _named_types(schema: Any) -> dict[str, Any]:
    """A parsed schema's named types by full name; a top-level union (records of several
    kinds on one topic) keeps them on each branch, not on a dict of its own."""
    if isinstance(schema, dict):
        return dict(schema.get("__named_schemas", {}))
    named: dict[str, Any] = {}
    for branch in schema if isinstance(schema, list) else ():
        if isinstance(branch, dict):
            named.update(branch.get("__named_schemas", {}))
    return named


def _avro(data: Any, codec: Any) -> bytes:
    import fastavro
    from fastavro.validation import ValidationError, validate

    schema = codec.logical_parsed
    named = _named_types(schema)
    try:
        record = avro_inputs(data, schema, named)
    except NotTheType as exc:
        raise DoesNotFit(str(exc)) from None
    reason = misfit(record, schema, named)
    if reason is not None:
        raise DoesNotFit(reason)
    try:  # what avro_fit does not know of is still never written half-checked
        validate(record, schema, raise_errors=True)
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, record)
    except (ValidationError, ValueError, TypeError) as exc:
        raise DoesNotFit(str(exc)) from None
    return out.getvalue()


_PB_NO_FIELD = re.compile(r'Message type "([\w.]+)" has no field named "([^"]+)"')
_PB_FIELD = re.compile(r"^Failed to parse (\w+) field: (.*?)\.?(?: at ([\w.]+)\.)?$", re.S)
_PY_KINDS = {"int": "a number", "float": "a number", "bool": "true/false", "dict": "an object",
             "list": "a list", "str": "text", "NoneType": "null"}  # fmt: skip


def _protobuf(data: Any, codec: Any, indexes: tuple[int, ...]) -> bytes:
    # protobuf's own JSON mapping: it takes what the app shows (lowerCamelCase names, a
    # Timestamp as RFC 3339, 64-bit integers as text) as well as the .proto field names.
    from google.protobuf import json_format

    cls, name = codec.message_class(indexes)
    if not isinstance(data, dict):
        raise DoesNotFit(f"{name} is written as a JSON object, not {_kind(data)}")
    try:
        message = json_format.ParseDict(_pb_timestamps(data, cls.DESCRIPTOR), cls())
    except json_format.ParseError as exc:
        raise DoesNotFit(_protobuf_reason(str(exc))) from None
    body: bytes = message.SerializeToString()
    return body


def _pb_timestamps(data: dict[str, Any], descriptor: Any, where: str = "") -> dict[str, Any]:
    """``data`` with its ``google.protobuf.Timestamp`` texts read by the app's rules, as
    for Avro: a time without a zone is UTC, a space may stand for the ``T``. protobuf's
    own parser takes only the strict RFC 3339 form, and says so in its words."""
    out = dict(data)
    for field in descriptor.fields:
        for name in (field.json_name, field.name):
            value = out.get(name)
            if value is None or field.message_type is None:
                continue
            path = f"{where}.{name}" if where else name
            if field.message_type.full_name == "google.protobuf.Timestamp":
                if isinstance(value, int | float) and not isinstance(value, bool):
                    raise DoesNotFit(
                        f"{path}: {value!r} is a number; write a time as text, like "
                        "2026-12-06T10:00:00Z"
                    )
                if isinstance(value, str):
                    out[name] = _rfc3339(value, path)
                elif isinstance(value, list):
                    out[name] = [_rfc3339(v, path) if isinstance(v, str) else v for v in value]
            elif isinstance(value, dict):
                out[name] = _pb_timestamps(value, field.message_type, path)
            elif isinstance(value, list):
                out[name] = [
                    _pb_timestamps(v, field.message_type, path) if isinstance(v, dict) else v
                    for v in value
                ]
    return out


def _rfc3339(text: str, where: str) -> str:
    try:
        at = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise DoesNotFit(
            f"{where}: {text!r} is not a time; write it like 2026-12-06T10:00:00Z"
        ) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _protobuf_reason(text: str) -> str:
    """protobuf's parse errors, said as the other formats' are: the field first."""
    text = " ".join(text.split())
    found = _PB_NO_FIELD.search(text)
    if found:
        return f"{found.group(2)} is not a field of {found.group(1)}"
    found = _PB_FIELD.match(text)
    if found:
        field, why, where = found.groups()
        kind = re.search(r"got '(\w+)'", why)
        if kind and "expected string" in why:
            why = (
                f"{_PY_KINDS.get(kind.group(1), kind.group(1))} is given; the schema wants a string"
            )
        path = where.split(".", 1)[1] if where and "." in where else field
        return f"{path}: {why}"
    return text


def _kind(data: Any) -> str:
    return _PY_KINDS.get(type(data).__name__, type(data).__name__)
