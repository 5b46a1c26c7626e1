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

The decoder by path: this module holds the entry and the fast paths (plain JSON objects,
well-formed binary-mode CloudEvents with JSON data, and schema records decoded into an
object), which return early for the common records;
:mod:`~monitor.core.decode_general` the general path, which handles every record and
gives the same envelopes for the common ones (tests hold the paths to it);
:mod:`~monitor.core.decode_payload` parsing a value by its content type;
:mod:`~monitor.core.decode_fields` finding ids, types and times;
:mod:`~monitor.core.decoder_config` the settings; :mod:`monitor.core.formats` the
schema-encoded and binary formats. The encoders (``encode_binary``,
``encode_structured``) live in :mod:`monitor.core.encoding`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from monitor.core.decode_fields import (
    _causation_of,
    _correlation_of,
    _find_field,
    _find_header,
    _first_time,
    _origin_id,
    _pop_ext,
    _record_time,
    _text,
)
from monitor.core.decode_general import _key_parts, decode_general
from monitor.core.decode_payload import _JSON, _MEDIA_KINDS, _NONE, _OTHER, _PLAIN, _media_kind
from monitor.core.decoder_config import DEFAULT_CONFIG, DecoderConfig, trace_id_from_traceparent
from monitor.core.envelope import (
    JSON_CONTENT_TYPE,
    SPECVERSION,
    Envelope,
    new_event_id,
    parse_time,
)
from monitor.core.formats.codecs import SchemaDecoded, decode_schema_value
from monitor.core.formats.framing import KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER
from monitor.core.formats.schemas import SchemaSource
from monitor.core.media import CE_ATTRS

_CE_HEADERS = frozenset({f"ce_{a}" for a in CE_ATTRS})

__all__ = ["DEFAULT_CONFIG", "DecoderConfig", "decode_record", "trace_id_from_traceparent"]


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
        # orjson reads an integer past 64 bits as a float and loses its digits: 20 digits
        # in a row (rare: 2**64 has 20) go to the general path, which keeps them all.
        and _LONG_DIGIT_RUN not in value.translate(_DIGITS_AS_ZERO)
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

    return decode_general(
        value,
        headers,
        hdrs,
        lower,
        ctype,
        key,
        topic,
        partition,
        offset,
        timestamp_ms,
        config,
        schemas,
        kind,
        data,
    )


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
# Every digit becomes "0" and every other byte a space: a run of 20 digits is then a run
# of 20 zeros, found with one C-level search.
_DIGITS_AS_ZERO = bytes.maketrans(
    bytes(range(256)), bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
)
_LONG_DIGIT_RUN = b"0" * 20


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
