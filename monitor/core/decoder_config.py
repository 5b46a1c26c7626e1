"""Where the decoder looks for ids, types, sources and times, and the limits it enforces:
:class:`DecoderConfig`, and the W3C trace context's trace id."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.core.formats.framing import KEY_SCHEMA_HEADER, VALUE_SCHEMA_HEADER
from monitor.core.media import (
    CAUSATION_EXT,
    CORRELATION_EXT,
)

_CORRELATION_EXT = CORRELATION_EXT
_CAUSATION_EXT = CAUSATION_EXT


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
