"""The decoder's general path: every record the fast paths in :mod:`monitor.core.decoding`
do not take (tombstones, schema-framed values that did not decode into an object,
MessagePack, CBOR, CloudEvents in either mode, text, binary, and everything malformed),
and the key, decoded on its own."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from monitor.core.decode_fields import (
    _coerce_time,
    _find_field,
    _find_header,
    _first_time,
    _header_correlation,
    _origin_id,
    _pop_ext,
    _record_time,
    _text,
)
from monitor.core.decode_payload import _JSON, _NONE, _OPAQUE, _SCHEMA, _TEXT, _parse_payload
from monitor.core.decoder_config import DecoderConfig
from monitor.core.envelope import (
    JSON_CONTENT_TYPE,
    SPECVERSION,
    Envelope,
    new_event_id,
    parse_time,
)
from monitor.core.formats.binary import MEDIA_FORMATS, MSGPACK, decode_cbor, decode_msgpack
from monitor.core.formats.codecs import UNDECODED, decode_schema_value
from monitor.core.formats.framing import KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER
from monitor.core.formats.schemas import NO_SCHEMAS, SchemaSource
from monitor.core.media import (
    CE_ATTRS,
    REQUIRED,
    STRUCTURED_CONTENT_TYPE,
)
from monitor.core.media import coerce_str as _coerce_str
from monitor.core.media import media_type as _media_type

_REQUIRED = REQUIRED
_CE_ATTRS = CE_ATTRS
_CE_HEADERS = frozenset({f"ce_{a}" for a in _CE_ATTRS})


def decode_general(
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    hdrs: dict[str, str],
    lower: dict[str, str],
    ctype: str | None,
    key: bytes | None,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    timestamp_ms: int | None,
    config: DecoderConfig,
    schemas: SchemaSource | None,
    kind: object,
    data: Any,
) -> Envelope:
    """The general path: every kind of record, by the steps the module docstring of
    :mod:`monitor.core.decoding` lists. ``kind``/``data``: a JSON object the caller parsed
    already (``_JSON``), else ``_NONE``."""
    if value is not None and type(value) is not bytes:
        value = bytes(value)
    key_text, key_format, key_schema = _key_parts(key, lower, headers, topic, schemas)
    env = Envelope(
        type="",
        source="",
        id="",
        time=None,
        datacontenttype=None,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key_text,
        headers=hdrs,
        key_format=key_format,
        key_schema=key_schema,
    )
    errors: list[str] = []
    ext: dict[str, Any] = {}
    media = _media_type(ctype) if ctype else ""
    structured_header = media.startswith(STRUCTURED_CONTENT_TYPE)
    binary = not structured_header and "ce_specversion" in lower
    fmt = "json"
    record_name = None
    undecoded = None

    if kind is _JSON and (
        VALUE_SCHEMA_HEADER in lower or (schemas is not None and schemas.claims(topic, False))
    ):
        kind, data = _NONE, None  # parsed as JSON above, but a schema says what it is
    if kind is _JSON:
        pass  # parsed above, for the general path
    elif not value:
        # In binary mode an empty value is an event without data, not a tombstone.
        kind = _NONE
        fmt = "cloudevents" if binary else "tombstone"
    elif (
        value[0] <= 1
        or VALUE_SCHEMA_HEADER in lower
        or (schemas is not None and schemas.claims(topic, False))
    ) and (
        sd := decode_schema_value(
            value, _raw_header(headers, VALUE_SCHEMA_HEADER), topic, False, schemas or NO_SCHEMAS
        )
    ) is not None:
        fmt, data, env.schema, record_name = sd.format, sd.data, sd.schema, sd.name
        kind = _SCHEMA
        if sd.error:
            errors.append(sd.error)
        elif sd.undecoded:
            undecoded = sd.undecoded
    elif (binary_format := MEDIA_FORMATS.get(media)) is not None:
        fmt = binary_format
        try:
            data = decode_msgpack(value) if fmt == MSGPACK else decode_cbor(value)
            kind = _SCHEMA
        except ValueError as exc:
            errors.append(f"{exc} (content-type {ctype})")
            kind = _OPAQUE
    else:
        data, perr, kind = _parse_payload(value, media, config)
        if perr:
            errors.append(perr)
        if kind is _TEXT:
            fmt = "text"
        elif kind is _OPAQUE and not perr:
            fmt = "binary"
    obj = data if (kind is _JSON or kind is _SCHEMA) and type(data) is dict else None

    if binary:
        _apply_binary(env, lower, ext, errors, ctype, kind)
        fmt = "cloudevents" if kind is _JSON or kind is _NONE else fmt
    elif (
        obj is not None
        and kind is _JSON
        and (structured_header or all(k in obj for k in _REQUIRED))
    ):
        data = _apply_structured(env, obj, ext, errors)
        fmt = "cloudevents"
    else:
        if structured_header and value and kind is not _OPAQUE:
            errors.append("structured-mode CloudEvent is not a JSON object")
        env.datacontenttype = ctype or (JSON_CONTENT_TYPE if kind is _JSON else None)
        if obj is not None:
            _apply_plain(env, obj, config)
        # The type falls back: a type header, a type field, the record's name, the topic.
        header_type = _find_header(lower, config._type_headers) if lower else None
        env.type = header_type or env.type or record_name or topic or ""

    corr = caus = None
    if ext:
        corr = _pop_ext(ext, config.correlation_extensions)
        caus = _pop_ext(ext, config.causation_extensions)
    if type(data) is dict:
        if corr is None:
            corr = _find_field(data, config.correlation_fields, config.nested_fields)
        if caus is None:
            caus = _find_field(data, config.causation_fields, config.nested_fields)
    if corr is None:
        corr = _header_correlation(lower, config)
    env.correlation_id = corr
    env.causation_id = caus if caus is not None else _find_header(lower, config._caus_headers)

    if not env.id:
        env.id = _origin_id(topic, partition, offset) or new_event_id()
    env.type = env.type or config.default_type
    env.source = env.source or config.default_source
    if env.time is None:
        env.time = _record_time(timestamp_ms)
    env.data = data
    env.extensions = ext
    env.format = fmt
    if errors:
        env.malformed = True
        env.error = "; ".join(errors)
        env.raw = value if value is not None else b""
    elif undecoded is not None:
        env.format = UNDECODED
        env.error = undecoded
        env.raw = value
    elif kind is _TEXT or kind is _OPAQUE:
        # A decoded schema record is in data already, like JSON (a dead letter keeps its
        # record's bytes apart, for a replay byte for byte).
        env.raw = value
    return env


def _key_parts(
    key: bytes | None,
    lower: Mapping[str, str],
    headers: Sequence[tuple[str, bytes | None]] | None,
    topic: str | None,
    schemas: SchemaSource | None,
) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """The key as text, its format and its schema info. A schema-encoded key is decoded
    on its own (its own framing, header and schema) and shown as compact JSON text."""
    if key is None:
        return None, None, None
    if type(key) is not bytes:
        if isinstance(key, bytearray | memoryview):
            key = bytes(key)
        else:
            return _text(key), "text", None
    if (key and (key[0] <= 1 or KEY_SCHEMA_HEADER in lower)) or (
        schemas is not None and schemas.claims(topic, True)
    ):
        header = _raw_header(headers, KEY_SCHEMA_HEADER) if KEY_SCHEMA_HEADER in lower else None
        sd = decode_schema_value(key, header, topic, True, schemas or NO_SCHEMAS)
        if sd is not None and sd.error is None and sd.undecoded is None:
            data = sd.data
            text = data if type(data) is str else orjson.dumps(data).decode()
            return text, sd.format, sd.schema
        if sd is not None:
            # Kept readable as bytes; the schema info says which schema it needs.
            text = key.decode("utf-8", "backslashreplace")
            return text, sd.format, {**(sd.schema or {}), "error": sd.error or sd.undecoded}
    try:
        return key.decode("utf-8"), "text", None
    except UnicodeDecodeError:
        return key.decode("utf-8", "backslashreplace"), "binary", None


def _raw_header(headers: Sequence[tuple[str, bytes | None]] | None, name: str) -> bytes | None:
    """The raw bytes of header ``name`` (schema-id headers are binary, not text)."""
    for hname, hval in headers or ():
        if hname == name:
            return bytes(hval) if hval is not None else b""
    return None


def _apply_binary(
    env: Envelope,
    lower: Mapping[str, str],
    ext: dict[str, Any],
    errors: list[str],
    ctype: str | None,
    kind: object,
) -> None:
    get = lower.get
    spec, eid, etype, source = get("ce_specversion"), get("ce_id"), get("ce_type"), get("ce_source")
    if not (spec and eid and etype and source):
        missing = zip(_REQUIRED, (spec, eid, etype, source), strict=True)
        errors.append(
            "CloudEvents binary mode record lacks "
            + ", ".join(f"ce_{name}" for name, v in missing if not v)
        )
    env.specversion = spec or SPECVERSION
    env.id, env.type, env.source = eid or "", etype or "", source or ""
    env.subject = get("ce_subject") or None
    t = get("ce_time")
    env.time = parse_time(t) if t else None
    env.datacontenttype = (
        ctype or get("ce_datacontenttype") or (JSON_CONTENT_TYPE if kind is _JSON else None)
    )
    for name in lower:
        if name[:3] == "ce_" and name not in _CE_HEADERS and len(name) > 3:
            ext[name[3:]] = lower[name]


def _apply_structured(
    env: Envelope, obj: dict[str, Any], ext: dict[str, Any], errors: list[str]
) -> Any:
    """Fill ``env`` from a structured-mode event; returns its data."""
    missing = [a for a in _REQUIRED if obj.get(a) in (None, "")]
    if missing:
        errors.append(f"CloudEvents structured record lacks {', '.join(missing)}")
    attrs: dict[str, str | None] = {}
    for name in (*_REQUIRED, "subject", "datacontenttype"):
        v = obj.get(name)
        if v is not None and type(v) is not str:
            errors.append(f"CloudEvents attribute {name} is not a string")
        attrs[name] = _coerce_str(v)
    env.specversion = attrs["specversion"] or SPECVERSION
    env.id = attrs["id"] or ""
    env.type = attrs["type"] or ""
    env.source = attrs["source"] or ""
    env.subject = attrs["subject"]
    env.time = _coerce_time(obj.get("time"))
    for name, v in obj.items():
        if name not in _CE_ATTRS:
            ext[name] = v
    b64 = obj.get("data_base64")
    if b64 is not None and "data" not in obj:
        try:
            if type(b64) is not str:
                raise ValueError(b64)
            env.raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            errors.append("data_base64 is not valid base64")
        env.datacontenttype = attrs["datacontenttype"]
        return None
    env.datacontenttype = attrs["datacontenttype"] or (JSON_CONTENT_TYPE if "data" in obj else None)
    return obj.get("data")


def _apply_plain(env: Envelope, obj: dict[str, Any], config: DecoderConfig) -> None:
    # Business payloads owe us nothing: a "type" that is an object is simply not a type.
    env.id = _find_field(obj, config.id_fields) or ""
    env.type = _find_field(obj, config.type_fields) or ""
    env.source = _find_field(obj, config.source_fields) or ""
    t = _first_time(obj, config.time_fields)
    if t is not None:
        env.time = t
