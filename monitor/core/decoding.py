"""Kafka records -> :class:`Envelope`.

:func:`decode_record` turns one record (value bytes, headers, key, origin) into an envelope
and never raises. What the value is, first match wins:

1. a **tombstone** (null or empty value; in CloudEvents binary mode an event without data);
2. **schema-encoded** (Avro, Protobuf, JSON Schema): Confluent framing v0/v1, a
   ``__value_schema_id`` header, or a topic with a local schema file; decoded through
   :mod:`monitor.core.formats` with the schema a :class:`SchemaSource` gives, else kept
   *undecoded* (``format="undecoded"``, the reason in ``error``, the bytes in ``raw``);
3. **MessagePack** or **CBOR** when the content type says so;
4. **CloudEvents** structured mode (content-type header or shape) or binary mode
   (``ce_specversion`` header);
5. **plain JSON**, with id/type/source/time taken from configurable fields; a JSON value
   that is not an object is fine: it becomes ``data``;
6. **text** (UTF-8 that does not claim to be JSON, or a ``text/*`` content type), else
   **binary** (data ``None``, bytes in ``raw``).

The key is decoded on its own (its own framing and schema), else kept as text.

The type falls back, in order: CloudEvents type, a type header, a type field, the Avro
record's or Protobuf message's full name, the topic. The correlation id comes from a
CloudEvents extension (``correlationid``), else a payload field (top level, then one level
down in ``metadata``/``meta``/``headers``; decoded Avro/Protobuf records too), else a
correlation header, else the trace id of a W3C ``traceparent`` header. The causation id
follows the same order, without the traceparent step. All names are in
:class:`DecoderConfig`; header names match case-insensitively.

**Malformed** (``malformed=True``, ``error``, ``raw`` as it arrived) means the record breaks
what it claims: invalid UTF-8 or JSON under a JSON content type or JSON shape, JSON nested
deeper than ``max_depth`` or over ``max_bytes``, a structured event that is not an object,
missing or non-string CloudEvents attributes, an Avro or Protobuf body that does not decode
with its schema, a schema header with an unknown magic byte. What could be decoded is
still filled in. Well-formed records keep ``raw`` only when the payload is not JSON: a
parsed JSON payload is already in ``data`` and keeping its bytes too would double the
memory of a busy tail.

The encoders (:func:`encode_binary`, :func:`encode_structured`) live in
:mod:`monitor.core.encoding` and are re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import orjson

from monitor.core.encoding import encode_binary, encode_structured
from monitor.core.envelope import (
    JSON_CONTENT_TYPE,
    SPECVERSION,
    Envelope,
    new_event_id,
    now,
    parse_time,
)
from monitor.core.formats.binary import MEDIA_FORMATS, MSGPACK, decode_cbor, decode_msgpack
from monitor.core.formats.codecs import UNDECODED, SchemaDecoded, decode_schema_value
from monitor.core.formats.framing import KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER
from monitor.core.formats.schemas import NO_SCHEMAS, SchemaSource
from monitor.core.media import (
    CAUSATION_EXT,
    CE_ATTRS,
    CORRELATION_EXT,
    REQUIRED,
    STRUCTURED_CONTENT_TYPE,
)
from monitor.core.media import coerce_str as _coerce_str
from monitor.core.media import media_type as _media_type

_REQUIRED = REQUIRED
_CE_ATTRS = CE_ATTRS
_CE_HEADERS = frozenset({f"ce_{a}" for a in _CE_ATTRS})
_CORRELATION_EXT = CORRELATION_EXT
_CAUSATION_EXT = CAUSATION_EXT
# Years 1..9999: what format_time can render.
_MIN_TIME, _MAX_TIME = -62135596800.0, 253402300799.0


@dataclass(frozen=True)
class DecoderConfig:
    """Where :func:`decode_record` looks for things, and the limits it enforces."""

    correlation_fields: tuple[str, ...] = (
        "correlationId",
        "correlation_id",
        "correlationid",
        "CorrelationId",
        "correlation-id",
    )
    causation_fields: tuple[str, ...] = (
        "causationId",
        "causation_id",
        "causationid",
        "CausationId",
        "causation-id",
    )
    # Payload objects searched (one level down) after the top level, for both ids.
    nested_fields: tuple[str, ...] = ("metadata", "meta", "headers")
    correlation_headers: tuple[str, ...] = (
        "correlation-id",
        "x-correlation-id",
        "correlation_id",
        "correlationId",
    )
    causation_headers: tuple[str, ...] = (
        "causation-id",
        "x-causation-id",
        "causation_id",
        "causationId",
    )
    correlation_extensions: tuple[str, ...] = (_CORRELATION_EXT,)
    causation_extensions: tuple[str, ...] = (_CAUSATION_EXT,)
    # Empty string: never take the correlation id from the W3C trace context.
    traceparent_header: str = "traceparent"
    # Headers naming the event type; they come before a payload's type field.
    type_headers: tuple[str, ...] = ("event-type", "event_type", "eventtype", "x-event-type")
    # Plain JSON only: CloudEvents records have these as attributes.
    type_fields: tuple[str, ...] = ("type", "eventType", "event_type")
    id_fields: tuple[str, ...] = ("id", "eventId", "event_id")
    source_fields: tuple[str, ...] = ("source",)
    time_fields: tuple[str, ...] = ("time", "timestamp", "occurredAt")
    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    default_source: str = "kafka"
    default_type: str = "unknown"
    # Lower-cased once here so the hot path never lower-cases configured names.
    _corr_headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _caus_headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _traceparent: str = field(init=False, repr=False, compare=False)
    _type_headers: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _special_headers: frozenset[str] = field(init=False, repr=False, compare=False)
    # The first name of the id, type, source, time, correlation and causation fields, for
    # the plain-JSON fast path (None, which no JSON key equals, when a list is empty).
    _first_fields: tuple[str | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "_corr_headers", tuple(h.lower() for h in self.correlation_headers))
        set_(self, "_caus_headers", tuple(h.lower() for h in self.causation_headers))
        set_(self, "_traceparent", self.traceparent_header.lower())
        set_(self, "_type_headers", tuple(h.lower() for h in self.type_headers))
        set_(
            self,
            "_special_headers",
            frozenset((*self._type_headers, VALUE_SCHEMA_HEADER, KEY_SCHEMA_HEADER)),
        )
        lists = (
            self.id_fields,
            self.type_fields,
            self.source_fields,
            self.time_fields,
            self.correlation_fields,
            self.causation_fields,
        )
        set_(self, "_first_fields", tuple(names[0] if names else None for names in lists))


DEFAULT_CONFIG = DecoderConfig()

# Re-exported: the publisher imports the encoders from here.
__all__ = ["DEFAULT_CONFIG", "DecoderConfig", "decode_record", "encode_binary", "encode_structured"]

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")


def trace_id_from_traceparent(value: str | None) -> str | None:
    """The 32-hex trace id of a valid W3C ``traceparent`` value, else ``None``.

    Invalid per the spec: version ``ff``, an all-zero trace or parent id, upper-case hex,
    and extra fields after a version ``00`` value.
    """
    if not value:
        return None
    m = _TRACEPARENT.fullmatch(value.strip())
    if m is None:
        return None
    version, trace_id, parent_id, _flags, rest = m.groups()
    if version == "ff" or (version == "00" and rest) or trace_id == "0" * 32:
        return None
    return None if parent_id == "0" * 16 else trace_id


def decode_record(
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None = None,
    *,
    key: bytes | None = None,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    timestamp_ms: int | None = None,
    config: DecoderConfig = DEFAULT_CONFIG,
    schemas: SchemaSource | None = None,
) -> Envelope:
    """One Kafka record -> an :class:`Envelope`. Never raises; see the module docstring.

    ``schemas`` answers for schema-framed keys and values (and topics with a local
    schema); without it such a record is undecoded, saying that no registry is set.

    Header values and the key are decoded as UTF-8 (bad bytes backslash-escaped, ``None``
    -> ``""``). Without an event id the id is ``"{topic}-{partition}-{offset}"`` when the
    origin is known, so decoding the same record twice gives the same id, else a UUID.
    Without an event time it is ``timestamp_ms / 1000``, else now.
    """
    try:
        return _decode(value, headers, key, topic, partition, offset, timestamp_ms, config, schemas)
    except Exception as exc:  # the contract: a bad record must never stop a tail
        try:
            reason = f"decoder error: {type(exc).__name__}: {exc}"
        except Exception:
            reason = f"decoder error: {type(exc).__name__}"
        return Envelope(
            type=config.default_type,
            source=config.default_source,
            id=_origin_id(topic, partition, offset) or new_event_id(),
            time=_record_time(timestamp_ms),
            datacontenttype=None,
            topic=topic,
            partition=partition,
            offset=offset,
            malformed=True,
            error=reason,
            raw=bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b"",
            format="binary",
        )


def _decode(
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    key: bytes | None,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    timestamp_ms: int | None,
    config: DecoderConfig,
    schemas: SchemaSource | None = None,
    fast: bool = True,
) -> Envelope:
    # ``fast=False`` skips the fast paths (the tests check both give the same envelopes).
    # This runs once per record of a busy tail: the common cases (a plain JSON object, or
    # a binary-mode CloudEvent with a JSON object as data) return early with an envelope
    # built in one positional call; everything else falls through to the general path
    # below, which handles every case and gives the same results for the common ones.
    hdrs: dict[str, str] = {}
    if headers:
        for name, hval in headers:  # a loop: cheaper than a comprehension on 3.11
            if type(name) is not str:
                name = _text(name)
            hdrs[name] = (
                hval.decode("utf-8", "backslashreplace") if type(hval) is bytes else _text(hval)
            )
        # All names already lower case (the usual case): the case-insensitive view is
        # the same dict, not a second one per record.
        lower = hdrs if _LOWER_NAMES.issuperset(hdrs) else _lower_headers(hdrs, headers)
    else:
        lower = hdrs
    ctype = lower.get("content-type") or None
    # _PLAIN (no content type, or a JSON one), _STRUCTURED, or _OTHER (not JSON).
    media_kind = _PLAIN if ctype is None else _MEDIA_KINDS.get(ctype) or _media_kind(ctype)

    data: Any = None
    kind = _NONE
    if (
        fast
        and media_kind is not _OTHER
        and type(value) is bytes
        and value
        and value[0] == 0x7B  # "{": no BOM, no leading space, an object if anything
        and len(value) <= config.max_bytes
        # _too_deep's first test, counted with memchr-based replace: twice as fast as count.
        and len(value) - len(value.replace(b"{", b"").replace(b"[", b"")) <= config.max_depth
    ):
        # orjson parses UTF-8 bytes in one C call (half the time of the json module's
        # decode-then-scan here). It is stricter (NaN, integers past 64 bits, bad UTF-8):
        # what it refuses goes to the general path, which parses it with the json module.
        try:
            obj = _fast_loads(value)
        except Exception:  # not for the fast path: the general path says what is wrong
            pass
        else:
            if type(obj) is dict:
                data, kind = obj, _JSON
    elif (
        fast
        and schemas is not None
        and media_kind is _PLAIN
        and type(value) is bytes
        and value
        and value[0] <= 1  # a v0/v1 prefix: an Avro, Protobuf or JSON Schema record
        and VALUE_SCHEMA_HEADER not in lower
        and "ce_specversion" not in lower
    ):
        # Decoded into an object, it is a plain record like a JSON one (and takes the same
        # fields); anything else (undecoded, malformed, not an object) goes the general way.
        sd = decode_schema_value(value, None, topic, False, schemas)
        if sd is not None and sd.error is None and sd.undecoded is None and type(sd.data) is dict:
            key_parts = _key_parts(key, lower, headers, topic, schemas)
            return _schema_record(
                sd, lower, hdrs, key_parts, topic, partition, offset, timestamp_ms, ctype, config
            )

    # Headers that change what the fast path does (a type header, schema-id headers): one
    # set test for all of them, false for nearly every record.
    special = bool(lower) and not config._special_headers.isdisjoint(lower)
    if (
        kind is _JSON
        and media_kind is _PLAIN
        and not (special and VALUE_SCHEMA_HEADER in lower)
        and (schemas is None or not schemas.claims(topic, False))
    ):
        key_schema = None
        if key is None:
            key_text = key_format = None
        elif type(key) is bytes and (not key or key[0] > 1) and schemas is None:
            # A key that is not schema-framed (inline: a call costs a tenth of this path).
            try:
                key_text, key_format = key.decode("utf-8"), "text"
            except UnicodeDecodeError:
                key_text, key_format = key.decode("utf-8", "backslashreplace"), "binary"
            if special and KEY_SCHEMA_HEADER in lower:
                key_text, key_format, key_schema = _key_parts(key, lower, headers, topic, schemas)
        else:
            key_text, key_format, key_schema = _key_parts(key, lower, headers, topic, schemas)
        binary_mode = "ce_specversion" in lower
        if not binary_mode and not (
            "specversion" in obj and "id" in obj and "type" in obj and "source" in obj
        ):
            # Plain JSON: what _apply_plain and the id/time steps below would do.
            # Most payloads use the first name of each list: look those six up in one
            # C-level pass, and search the lists (the same way as the general path) only
            # when the first name gives nothing usable.
            eid, etype, source, t, corr, caus = map(obj.get, config._first_fields)
            if type(eid) is not str or not eid:
                eid = _find_field(obj, config.id_fields)
            if special and (header_type := _find_header(lower, config._type_headers)):
                etype = header_type
            elif type(etype) is not str or not etype:
                etype = _find_field(obj, config.type_fields)
            if type(source) is not str or not source:
                source = _find_field(obj, config.source_fields)
            if type(t) is not str or (t := parse_time(t)) is None:
                t = _first_time(obj, config.time_fields)
            if type(corr) is not str or not corr:
                corr = _correlation_of(obj, lower, config)
            if type(caus) is not str or not caus:
                caus = _causation_of(obj, lower, config)
            return Envelope(
                etype or topic or config.default_type,
                source or config.default_source,
                eid or _origin_id(topic, partition, offset) or new_event_id(),
                t if t is not None else _record_time(timestamp_ms),
                obj,
                None,
                ctype or JSON_CONTENT_TYPE,
                SPECVERSION,
                corr,
                caus,
                topic,
                partition,
                offset,
                key_text,
                hdrs,
                False,
                None,
                None,
                {},
                "json",
                key_format,
                key_schema,
            )
        if binary_mode:
            get = lower.get
            spec, eid, etype, source = (
                get("ce_specversion"),
                get("ce_id"),
                get("ce_type"),
                get("ce_source"),
            )
            if spec and eid and etype and source:
                # Well-formed binary mode: what _apply_binary and the steps below would do.
                ext: dict[str, Any] = {
                    name[3:]: htext
                    for name, htext in lower.items()
                    if name[:3] == "ce_" and name not in _CE_HEADERS and len(name) > 3
                }
                corr = caus = None
                if ext:
                    corr = _pop_ext(ext, config.correlation_extensions)
                    caus = _pop_ext(ext, config.causation_extensions)
                if corr is None:
                    corr = _correlation_of(obj, lower, config)
                if caus is None:
                    caus = _causation_of(obj, lower, config)
                ce_time = get("ce_time")
                t = parse_time(ce_time) if ce_time else None
                return Envelope(
                    etype,
                    source,
                    eid,
                    t if t is not None else _record_time(timestamp_ms),
                    obj,
                    get("ce_subject") or None,
                    ctype or get("ce_datacontenttype") or JSON_CONTENT_TYPE,
                    spec,
                    corr,
                    caus,
                    topic,
                    partition,
                    offset,
                    key_text,
                    hdrs,
                    False,
                    None,
                    None,
                    ext,
                    "cloudevents",
                    key_format,
                    key_schema,
                )

    # The general path.
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
    ext = {}
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


def _schema_record(
    sd: SchemaDecoded,
    lower: Mapping[str, str],
    hdrs: dict[str, str],
    key_parts: tuple[str | None, str | None, dict[str, Any] | None],
    topic: str | None,
    partition: int | None,
    offset: int | None,
    timestamp_ms: int | None,
    ctype: str | None,
    config: DecoderConfig,
) -> Envelope:
    """A schema-decoded record (an object) as a plain record: the plain-JSON fast path's
    steps, with the record's name before the topic in the type's fallbacks. What the
    general path gives for it too (the tests hold the two to it)."""
    obj: Any = sd.data  # a dict, as checked by the caller
    eid, etype, source, t, corr, caus = map(obj.get, config._first_fields)
    if type(eid) is not str or not eid:
        eid = _find_field(obj, config.id_fields)
    if lower and (header_type := _find_header(lower, config._type_headers)):
        etype = header_type
    elif type(etype) is not str or not etype:
        etype = _find_field(obj, config.type_fields)
    if type(source) is not str or not source:
        source = _find_field(obj, config.source_fields)
    if type(t) is not str or (t := parse_time(t)) is None:
        t = _first_time(obj, config.time_fields)
    if type(corr) is not str or not corr:
        corr = _correlation_of(obj, lower, config)
    if type(caus) is not str or not caus:
        caus = _causation_of(obj, lower, config)
    key_text, key_format, key_schema = key_parts
    return Envelope(
        type=etype or sd.name or topic or config.default_type,
        source=source or config.default_source,
        id=eid or _origin_id(topic, partition, offset) or new_event_id(),
        time=t if t is not None else _record_time(timestamp_ms),
        data=obj,
        datacontenttype=ctype,
        correlation_id=corr,
        causation_id=caus,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key_text,
        headers=hdrs,
        format=sd.format,
        schema=sd.schema,
        key_format=key_format,
        key_schema=key_schema,
    )


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


# The fast path builds envelopes with positional arguments (half the cost of keywords):
# refuse to run with a field order it does not know rather than fill the wrong fields.
_ENVELOPE_FIELDS = (
    "type",
    "source",
    "id",
    "time",
    "data",
    "subject",
    "datacontenttype",
    "specversion",
    "correlation_id",
    "causation_id",
    "topic",
    "partition",
    "offset",
    "key",
    "headers",
    "malformed",
    "error",
    "raw",
    "extensions",
    "format",
    "key_format",
    "key_schema",
    "schema",
)
if Envelope.__match_args__ != _ENVELOPE_FIELDS:
    raise ImportError("Envelope's fields changed: update decoding._decode's fast path")

# Header names known to be lower case already; bounded, as names are producer-controlled.
_LOWER_NAMES: set[str] = set()
_LOWER_NAMES_MAX = 4096
_fast_loads: Callable[[bytes], Any] = orjson.loads


def _lower_headers(
    hdrs: dict[str, str], headers: Sequence[tuple[str, bytes | None]]
) -> dict[str, str]:
    """``hdrs`` keyed by lower-cased names; for names that differ only by case, the one
    that came last in the record wins."""
    lower: dict[str, str] = {}
    for name, text in hdrs.items():
        low = name.lower()
        lower[low] = text
        if low == name and len(_LOWER_NAMES) < _LOWER_NAMES_MAX:
            _LOWER_NAMES.add(name)
    if len(lower) == len(hdrs):
        return lower
    # Names that collide once lower-cased: ``hdrs`` lost their order in the record.
    lower = {}
    for name, hval in headers:
        text = hval.decode("utf-8", "backslashreplace") if type(hval) is bytes else _text(hval)
        lower[(name if type(name) is str else _text(name)).lower()] = text
    return lower


# What a content type says about the payload, cached like _media_type.
_PLAIN, _STRUCTURED, _OTHER = "plain", "structured", "other"
_MEDIA_KINDS: dict[str, str] = {}


def _media_kind(ctype: str) -> str:
    """:data:`_PLAIN` for JSON, :data:`_STRUCTURED` for a structured-mode CloudEvent (JSON
    too), :data:`_OTHER` for anything that is not parsed as JSON."""
    if len(_MEDIA_KINDS) > 256:
        _MEDIA_KINDS.clear()
    media = _media_type(ctype)
    if not (
        not media or media == JSON_CONTENT_TYPE or media.endswith("+json") or media == "text/json"
    ):
        kind = _OTHER
    elif media.startswith(STRUCTURED_CONTENT_TYPE):
        kind = _STRUCTURED
    else:
        kind = _PLAIN
    _MEDIA_KINDS[ctype] = kind
    return kind


def _correlation_of(
    obj: Mapping[str, Any], lower: Mapping[str, str], config: DecoderConfig
) -> str | None:
    """The correlation id from a payload field, else from a header."""
    corr = _find_field(obj, config.correlation_fields, config.nested_fields)
    return corr if corr is not None else _header_correlation(lower, config)


def _causation_of(
    obj: Mapping[str, Any], lower: Mapping[str, str], config: DecoderConfig
) -> str | None:
    """The causation id from a payload field, else from a header."""
    caus = _find_field(obj, config.causation_fields, config.nested_fields)
    return caus if caus is not None else _find_header(lower, config._caus_headers)


def _header_correlation(lower: Mapping[str, str], config: DecoderConfig) -> str | None:
    """The correlation id from a header, else from the W3C trace context."""
    corr = _find_header(lower, config._corr_headers)
    if corr is None and config._traceparent:
        corr = trace_id_from_traceparent(lower.get(config._traceparent))
    return corr


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


def _first_time(obj: Mapping[str, Any], names: Sequence[str]) -> float | None:
    """The first usable time under ``names``."""
    for name in names:
        if name in obj:
            t = _coerce_time(obj[name])
            if t is not None:
                return t
    return None


# Payload kinds (_SCHEMA: decoded by a schema or a binary format into JSON-ready data).
_NONE, _JSON, _TEXT, _OPAQUE, _SCHEMA = object(), object(), object(), object(), object()


def _parse_payload(
    value: bytes, media: str, config: DecoderConfig
) -> tuple[Any, str | None, object]:
    """``(data, error, kind)``. JSON is expected when the content type is JSON-ish or absent.

    With no content type, a value that does not start like a JSON object, array or string
    is not claiming to be JSON: it is text when it is UTF-8, else binary (no error).
    """
    if len(value) > config.max_bytes:
        return None, f"payload too large ({len(value)} bytes, limit {config.max_bytes})", _OPAQUE
    json_ish = (
        not media or media == JSON_CONTENT_TYPE or media.endswith("+json") or media == "text/json"
    )
    if not json_ish and not media.startswith("text/"):
        return None, None, _OPAQUE
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not media and value.lstrip()[:1] not in _JSON_CLAIMS:
            return None, None, _OPAQUE
        return None, f"invalid UTF-8 at byte {exc.start}", _OPAQUE
    if not json_ish:
        return text, None, _TEXT
    if text.startswith("\ufeff"):
        text = text[1:]
    too_deep = f"JSON nested too deeply (more than {config.max_depth} levels)"
    if _too_deep(value, config.max_depth):
        return None, too_deep, _OPAQUE
    try:
        return _loads(text), None, _JSON
    except RecursionError:
        return None, too_deep, _OPAQUE
    except json.JSONDecodeError as exc:
        stripped = text.rstrip()
        if not media and stripped.lstrip()[:1] not in _JSON_START_CHARS:
            return text, None, _TEXT
        if exc.pos >= len(stripped) or exc.msg.startswith("Unterminated string"):
            what = "truncated JSON"
        else:
            what = "invalid JSON"
        return None, f"{what}: {exc.msg} at char {exc.pos}", _OPAQUE
    except ValueError as exc:  # e.g. an integer beyond int_max_str_digits
        return None, f"invalid JSON: {exc}", _OPAQUE


# What a value with no content type must start with to claim it is JSON when it fails to
# parse (a bare number or word that fails is text, such as "42 apples" or "true story").
_JSON_START_CHARS = frozenset('{["')
_JSON_CLAIMS = frozenset((b"{", b"[", b'"'))
# Brackets inside strings do not nest, so strings are cut out before counting.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


_raw_decode = json.JSONDecoder().raw_decode


def _loads(text: str) -> Any:
    """``json.loads`` minus its wrapper overhead (a third of the time on small payloads)."""
    try:
        obj, end = _raw_decode(text)
    except json.JSONDecodeError:
        return json.loads(text)  # leading whitespace is fine; real errors raise from here
    if end != len(text) and not text[end:].isspace():
        return json.loads(text)  # raises "Extra data"
    return obj


def _too_deep(value: bytes, max_depth: int) -> bool:
    """Whether the JSON nests deeper than ``max_depth``, in C-speed passes with no recursion.

    Cheap for the common case: fewer opening brackets than the limit cannot nest deeper.
    """
    if value.count(b"[") + value.count(b"{") <= max_depth:
        return False
    if b'"' in value:
        value = _JSON_STRING.sub(b"", value)
    steps = memoryview(value.translate(_STEPS, _NOT_BRACKET)).cast("b")
    return max(accumulate(steps), default=0) > max_depth


def _text(v: object) -> str:
    """Header names/values and keys as text, whatever a client library hands over."""
    if v is None:
        return ""
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).decode("utf-8", "backslashreplace")
    return v if isinstance(v, str) else str(v)


def _origin_id(topic: str | None, partition: int | None, offset: int | None) -> str | None:
    if topic is None or partition is None or offset is None:
        return None
    return f"{topic}-{partition}-{offset}"


def _record_time(timestamp_ms: int | None) -> float:
    # Kafka reports -1 for "no timestamp".
    if timestamp_ms is not None and timestamp_ms >= 0:
        return timestamp_ms / 1000.0
    return now()


def _coerce_time(v: Any) -> float | None:
    """RFC 3339 text, or epoch seconds / milliseconds (above 1e11), -> epoch seconds."""
    if type(v) is str:
        return parse_time(v)
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            t = float(v)
        except OverflowError:
            return None
        if not math.isfinite(t):
            return None
        if abs(t) > 1e11:
            t /= 1000.0
        return t if _MIN_TIME <= t <= _MAX_TIME else None
    return None


def _id_str(v: Any) -> str | None:
    if type(v) is str:
        return v or None
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return None


def _find_field(
    obj: Mapping[str, Any], names: Sequence[str], nested: Sequence[str] = ()
) -> str | None:
    """The first usable id (a non-empty string or an integer) under ``names``: top level
    first, then one level down in the ``nested`` objects."""
    for name in names:
        v = obj.get(name)
        if v is not None:
            if type(v) is str:  # the usual id: skip the call
                if v:
                    return v
            elif s := _id_str(v):
                return s
    return _nested_field(obj, names, nested) if nested else None


def _nested_field(
    obj: Mapping[str, Any], names: Sequence[str], nested: Sequence[str]
) -> str | None:
    """:func:`_find_field`'s second step: one level down in the ``nested`` objects."""
    for inner in nested:
        sub = obj.get(inner)
        if type(sub) is dict:
            for name in names:
                v = sub.get(name)
                if v is not None and (s := _id_str(v)):
                    return s
    return None


def _find_header(lower: Mapping[str, str], names: Sequence[str]) -> str | None:
    for name in names:
        v = lower.get(name)
        if v:
            return v
    return None


def _pop_ext(ext: dict[str, Any], names: Sequence[str]) -> str | None:
    """Remove every listed extension (they have Envelope fields); the first usable value."""
    found: str | None = None
    for name in names:
        if name in ext:
            s = _id_str(ext.pop(name))
            if found is None:
                found = s
    return found
