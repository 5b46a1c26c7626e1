"""The event envelope: one shape for every event, whatever its source.

An :class:`Envelope` carries the CloudEvents 1.0 attributes (``id``, ``type``, ``source``,
``specversion``, ``time``, ``datacontenttype``, ``subject``, ``data``), the two ids that
link events into chains (``correlation_id``, ``causation_id``) and where the record came
from (``topic``, ``partition``, ``offset``, ``key``, ``headers``).

A record that could not be decoded is still an envelope: ``malformed`` is true, ``error``
says why, and ``raw`` keeps the bytes as they arrived so nothing is lost. A record whose
schema cannot be had yet is *undecoded*, not malformed: ``format`` is ``"undecoded"``,
``error`` says what to do, ``raw`` keeps the bytes and ``schema`` names the schema.

``format`` says what the value was (``json``, ``cloudevents``, ``avro``, ``protobuf``,
``json-schema``, ``text``, ``msgpack``, ``cbor``, ``binary``, ``tombstone``; ``None`` for
events made in this process) and ``schema`` what is known of the schema that decoded it
(``id``, ``guid``, ``subject``, ``version``, ``name``); ``key_format`` and ``key_schema``
the same for the key.

``time`` is kept as float seconds since the epoch (UTC) because stats and chain latencies
do arithmetic on it on the hot path; it is rendered as RFC 3339 only for output.
"""

from __future__ import annotations

import base64
import os
import time as _time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SPECVERSION = "1.0"
JSON_CONTENT_TYPE = "application/json"


def new_event_id() -> str:
    """A fresh, globally unique event id: a random (version 4) UUID as text.

    The same as ``str(uuid.uuid4())`` at a fraction of the cost (every envelope the bus,
    the demo and the composer make needs one): ids are made 256 at a time from one read
    of OS random bytes and handed out with ``list.pop``, which is atomic, so threads need
    no lock and never get the same id.
    """
    while True:
        try:
            return _id_pool.pop()
        except IndexError:
            # Refill, then try again: other threads may empty the new block before this
            # one pops from it (seen with four threads on two busy cores).
            _id_pool.extend(_id_block())


def _id_block() -> list[str]:
    h = os.urandom(16 * _IDS_PER_BLOCK).hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-"
        f"{_VARIANT[h[i + 16]]}{h[i + 17 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, len(h), 32)
    ]


# Formatting costs about 1.5 us an id, all of it in the call that refills the pool, on
# the event loop of a source making events: 4,096 at a time held the loop for 6 ms at
# once (a tenth of a busy window's loop stalls in a profile); 256 hold it for 0.4 ms.
_IDS_PER_BLOCK = 256
_id_pool: list[str] = []
# The RFC 4122 variant: the top two bits of the 17th hex digit are 10.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def _forget_id_pool() -> None:
    # A forked child must not hand out the ids its parent will also hand out.
    _id_pool.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork either
    os.register_at_fork(after_in_child=_forget_id_pool)


def now() -> float:
    """Wall-clock time in epoch seconds, the unit of :attr:`Envelope.time`."""
    return _time.time()


def format_time(ts: float | None) -> str | None:
    """Epoch seconds -> RFC 3339 in UTC with millisecond precision (``...Z``)."""
    if ts is None:
        return None
    try:
        dt = datetime.fromtimestamp(ts, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str | None) -> float | None:
    """RFC 3339 / ISO 8601 text -> epoch seconds; ``None`` when it is not a timestamp.

    A timestamp without a zone is taken as UTC, as CloudEvents requires a zone anyway.
    """
    # Every record of a busy tail carries a time, and consecutive ones share their minute:
    # for the common UTC shape (``...THH:MM:SS[.fff|.ffffff]Z``) the minute's start comes
    # from a cache and only the seconds are parsed, a fifth of the cost of datetime's
    # parser. The sum is the same integer microseconds divided the same way, so the
    # result is bit for bit what the general path gives.
    if type(text) is str and len(text) in _FAST_LENGTHS and text[-1] == "Z":
        base = _minute_starts.get(text[:16])
        second = _SECOND_MICROS.get(text[17:19])
        if base is not None and second is not None and text[16] == ":":
            if len(text) == 20:
                return (base + second) / 1e6
            fraction = text[20:-1]
            if text[19] == "." and fraction.isdigit() and fraction.isascii():
                micro = int(fraction) * 1000 if len(fraction) == 3 else int(fraction)
                return (base + second + micro) / 1e6
    return _parse_time(text)


def _parse_time(text: str | None) -> float | None:
    if not text or len(text) > 64:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        stamp = dt.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    # Cached only for the exact shape, so a key is always "YYYY-MM-DDTHH:MM" (text with
    # leading spaces can have the right length and a colon at 16, but not also at 13).
    if len(text) in _FAST_LENGTHS and text[-1] == "Z" and text[13] == text[16] == ":":
        if len(_minute_starts) >= _MINUTE_CACHE_MAX:
            _minute_starts.clear()
        start = dt.replace(second=0, microsecond=0) - _EPOCH
        _minute_starts[text[:16]] = start // timedelta(microseconds=1)
    return stamp


# ``YYYY-MM-DDTHH:MM:SS`` + ``Z``, with 3 or 6 digits of fraction or none.
_FAST_LENGTHS = frozenset((20, 24, 27))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_CACHE_MAX = 4096
_SECOND_MICROS = {f"{n:02d}": n * 1_000_000 for n in range(60)}
_minute_starts: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM" -> its start in epoch microseconds


@dataclass(slots=True)
class Envelope:
    """One event. See the module docstring for what each group of fields means."""

    type: str
    source: str
    id: str = field(default_factory=new_event_id)
    time: float | None = field(default_factory=now)
    data: Any = None
    subject: str | None = None
    datacontenttype: str | None = JSON_CONTENT_TYPE
    specversion: str = SPECVERSION
    correlation_id: str | None = None
    causation_id: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    malformed: bool = False
    error: str | None = None
    raw: bytes | None = None
    # CloudEvents extension attributes other than the ones modelled above.
    extensions: dict[str, Any] = field(default_factory=dict)
    format: str | None = None
    key_format: str | None = None
    key_schema: dict[str, Any] | None = None
    schema: dict[str, Any] | None = None  # last: the decoder's fast paths leave it out

    @property
    def undecoded(self) -> bool:
        """Kept with its raw bytes until its schema can be had (``error`` says why)."""
        return self.format == "undecoded"

    @property
    def chain_id(self) -> str:
        """The id that groups this event with its relatives: the correlation id, or its own id."""
        return self.correlation_id or self.id

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``--json`` output shape). ``raw`` is base64 when present."""
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "specversion": self.specversion,
            "time": format_time(self.time),
            "datacontenttype": self.datacontenttype,
            "subject": self.subject,
            "data": self.data,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": self.key,
            "headers": dict(self.headers),
            "extensions": dict(self.extensions),
            "malformed": self.malformed,
            "error": self.error,
            "raw": base64.b64encode(self.raw).decode("ascii") if self.raw is not None else None,
            "format": self.format,
            "schema": self.schema,
            "key_format": self.key_format,
            "key_schema": self.key_schema,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Envelope:
        """Inverse of :meth:`to_dict`. Missing fields take their defaults."""
        raw = d.get("raw")
        t = d.get("time")
        return cls(
            id=str(d.get("id") or new_event_id()),
            type=str(d.get("type") or ""),
            source=str(d.get("source") or ""),
            specversion=str(d.get("specversion") or SPECVERSION),
            time=parse_time(t) if isinstance(t, str) else (float(t) if t is not None else None),
            datacontenttype=d.get("datacontenttype"),
            subject=d.get("subject"),
            data=d.get("data"),
            correlation_id=d.get("correlation_id"),
            causation_id=d.get("causation_id"),
            topic=d.get("topic"),
            partition=d.get("partition"),
            offset=d.get("offset"),
            key=d.get("key"),
            headers=dict(d.get("headers") or {}),
            extensions=dict(d.get("extensions") or {}),
            malformed=bool(d.get("malformed", False)),
            error=d.get("error"),
            raw=base64.b64decode(raw) if isinstance(raw, str) else None,
            format=d.get("format"),
            schema=d.get("schema"),
            key_format=d.get("key_format"),
            key_schema=d.get("key_schema"),
        )
