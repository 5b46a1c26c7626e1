"""Recognising dead-letter topics and reading what the failing framework wrote.

A topic is a dead-letter topic when its name follows a common convention (``orders.DLT``,
``orders-dlt``, ``orders.dlq``, ``dlq-orders``, ``orders_DLQ``, ... or a pattern the
profile adds), or when a record carries the headers that Spring Kafka's
``DeadLetterPublishingRecoverer`` or Kafka Connect's dead-letter queue write.

Spring writes the original partition as a 4-byte and offsets and timestamps as 8-byte
big-endian integers, and the rest as UTF-8 text; Connect writes everything as text.
:func:`dead_letter_from_record` decodes both into a
:class:`~monitor.core.deadletters.DeadLetter` with the original destination and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.raw_record import (
    FAILURE_HEADER_PREFIXES,
    REPLAY_HEADER,
    RawRecord,
    is_failure_header,
)

# (regex, group holding the original topic name)
BUILTIN_PATTERNS: tuple[str, ...] = (
    r"(?i)^(?P<origin>.+?)[._-](?:dlt|dlq|dead[._-]?letters?)$",
    r"(?i)^(?:dlt|dlq|dead[._-]?letters?)[._-](?P<origin>.+)$",
)

SPRING, CONNECT = FAILURE_HEADER_PREFIXES

RawHeaders = Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True, slots=True)
class DeadLetterTopicRules:
    """Which topic names mean "dead letters". Extra patterns are regular expressions; a
    named group ``origin`` in one says where the original topic name is."""

    extra_patterns: tuple[str, ...] = ()

    def _compiled(self) -> list[re.Pattern[str]]:
        return [re.compile(p) for p in (*self.extra_patterns, *BUILTIN_PATTERNS)]

    def match(self, topic: str) -> str | None:
        """The original topic a dead-letter topic name points to ('' if unknown), or
        ``None`` when the name is not a dead-letter topic's."""
        for pattern in self._compiled():
            m = pattern.search(topic)
            if m:
                return m.groupdict().get("origin") or ""
        return None

    def is_dead_letter_topic(self, topic: str) -> bool:
        return self.match(topic) is not None


def has_dead_letter_headers(headers: Iterable[tuple[str, bytes | None]]) -> bool:
    return any(is_failure_header(k) for k, _ in headers)


def is_replay(headers: Iterable[tuple[str, bytes | None]]) -> bool:
    """Whether a record is one of our replays (it carries the replay marker)."""
    return any(k == REPLAY_HEADER for k, _ in headers)


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", errors="replace")


def _be_int(value: bytes | None) -> int | None:
    """Spring's binary ints: 4 or 8 bytes, big-endian."""
    if value is None or len(value) not in (4, 8):
        return _dec_int(value)  # some producers re-encode as text; accept that too
    return int.from_bytes(value, "big", signed=True)


def _dec_int(value: bytes | None) -> int | None:
    """Connect's ints: decimal text."""
    if value is None:
        return None
    try:
        return int(value.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class FailureInfo:
    original_topic: str | None
    original_partition: int | None
    original_offset: int | None
    exception_class: str | None
    message: str | None
    stacktrace: str | None
    framework: str  # "spring", "connect" or "name" (recognised by topic name only)
    consumer_group: str | None = None

    @property
    def reason(self) -> str:
        if self.exception_class and self.message:
            return f"{self.exception_class}: {self.message}"
        return self.exception_class or self.message or "dead-lettered (no reason recorded)"


def failure_info(headers: RawHeaders) -> FailureInfo | None:
    """What Spring or Connect recorded about the failure, or ``None`` without such headers."""
    h = {k: v for k, v in headers}
    if any(k.startswith(SPRING) for k in h):
        return FailureInfo(
            original_topic=_text(h.get(SPRING + "original-topic")),
            original_partition=_be_int(h.get(SPRING + "original-partition")),
            original_offset=_be_int(h.get(SPRING + "original-offset")),
            exception_class=_text(h.get(SPRING + "exception-fqcn"))
            or _text(h.get(SPRING + "key-exception-fqcn")),
            message=_text(h.get(SPRING + "exception-message"))
            or _text(h.get(SPRING + "key-exception-message")),
            stacktrace=_text(h.get(SPRING + "exception-stacktrace"))
            or _text(h.get(SPRING + "key-exception-stacktrace")),
            framework="spring",
            consumer_group=_text(h.get(SPRING + "original-consumer-group")),
        )
    if any(k.startswith(CONNECT) for k in h):
        return FailureInfo(
            original_topic=_text(h.get(CONNECT + "topic")),
            original_partition=_dec_int(h.get(CONNECT + "partition")),
            original_offset=_dec_int(h.get(CONNECT + "offset")),
            exception_class=_text(h.get(CONNECT + "exception.class.name")),
            message=_text(h.get(CONNECT + "exception.message")),
            stacktrace=_text(h.get(CONNECT + "exception.stacktrace")),
            framework="connect",
            consumer_group=_text(h.get(CONNECT + "connector.name")),
        )
    return None


def dead_letter_from_record(
    event: Envelope,
    headers: RawHeaders,
    rules: DeadLetterTopicRules,
    *,
    value: bytes | None = None,
    key: bytes | None = None,
    cluster: str = "",
) -> DeadLetter | None:
    """A dead letter for a record read from a dead-letter topic, else ``None``.

    The dead letter's id is derived from the record's position, so tailing the same
    dead-letter topic twice updates one dead letter instead of creating two. It keeps the
    record as it came (``value``, ``key``, ``headers``), which is what a replay sends, and
    its origin ``kafka:<cluster>`` (the profile's name).

    A record carrying our replay marker on a topic that is not a dead-letter topic is a
    replay on its way back to its consumers, never a new dead letter, whatever headers
    it carries. On a dead-letter topic it is a replay that failed again: the letter
    links to the one it was replayed from.
    """
    topic = event.topic or ""
    info = failure_info(headers)
    origin_by_name = rules.match(topic)
    if origin_by_name is None and (info is None or is_replay(headers)):
        return None
    original_topic = (info.original_topic if info else None) or origin_by_name or None
    if info is None:
        info = FailureInfo(original_topic, None, None, None, None, None, "name")
    where = ""
    if info.original_partition is not None or info.original_offset is not None:
        where = f" (was {original_topic}[{info.original_partition}]@{info.original_offset})"
    return DeadLetter(
        id=f"kafka:{topic}:{event.partition}:{event.offset}",
        event=event,
        reason=info.reason + where if info.framework != "name" else info.reason,
        traceback=info.stacktrace,
        handler=info.consumer_group or info.framework,
        attempts=1,
        original_topic=original_topic,
        created_at=event.time if event.time is not None else 0.0,
        origin=f"kafka:{cluster}" if cluster else "kafka",
        record=RawRecord.of(value, key, headers),
    )
