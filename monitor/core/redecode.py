"""Undecoded records decoded again, once their schema can be had.

A record whose schema could not be had when it was read (no registry configured, a 404,
the registry down) is kept *undecoded*: its value bytes in ``raw``, the reason in
``error`` (see :mod:`monitor.core.envelope`). This module turns such an envelope back into
the record it came from (:func:`record_of`) and decodes that with the tail's own decoder
(:func:`~monitor.core.decoding.decode_record`) and a schema source, so a record decoded
late is the envelope a live decode would have made of it, id, type and time included.

The schema source never waits (a registry fetch runs in its own thread and the answer is
``Pending`` until then), so :class:`Redecoder` does what the tail does with records whose
schema is being fetched: decode once (which starts the fetches), wait for the source to
settle, decode the ones that were waiting again, until none waits or the time is up
(:mod:`monitor.core.formats.schema_wait`). :meth:`Redecoder.resolve_blocking` waits in
the calling thread (the command line, a search's worker thread) and stops early when a
``cancel`` event is set, :meth:`Redecoder.resolve` on an event loop.

What the log keeps of a record is nearly all of it, and the rest is rebuilt:

- header values and a key that was not text are stored as text decoded with
  ``backslashreplace``; :func:`bytes_of` reverses that (the escapes it makes are those of
  bytes 0x80-0xff that are not UTF-8). Only text that held a literal ``\\x80``..``\\xff``
  of its own is rebuilt wrongly, and then only where a schema id header is read from it;
- a key that was decoded with its schema is kept as it is: its bytes are not stored, and
  it needs nothing more;
- a record whose value was decoded keeps no value bytes (``raw``): when only its key is
  undecoded (the key's schema could not be had, the value's could), the key alone is
  decoded again, from its kept text, and the decoded value is kept as it is
  (:func:`redecode_key`);
- the record's timestamp is the envelope's time, which an undecoded record takes from it
  (or from a ``ce_time`` header, which then wins again).

A dead letter keeps its record as it came (:class:`~monitor.core.raw_record.RawRecord`):
:func:`record_of_raw` takes its bytes as they are, nothing rebuilt.

A record that stays undecoded may do so for another reason than when it was read (read
with no registry configured, retried with one that does not know the schema id): the
newer reason is kept, so the user is told what is true now.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from monitor.core.decode_general import _key_parts
from monitor.core.decoder_config import DEFAULT_CONFIG, DecoderConfig
from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.formats.codecs import UNDECODED
from monitor.core.formats.schema_wait import wait_until_settled, wait_until_settled_blocking
from monitor.core.formats.schemas import SchemaSource
from monitor.core.raw_record import RawRecord

# How long a late decode waits for the registry by default: a second past its client's
# own timeout for one request (5 s), so a registry that answers is waited for, and a
# silent one's answer ("did not answer within 5 s") arrives and becomes the reason, where
# a wait of exactly the timeout ended first and left the old reason in place.
DEFAULT_WAIT = 6.0

# What bytes.decode("utf-8", "backslashreplace") writes for a byte that is not UTF-8.
_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")


def bytes_of(text: str) -> bytes:
    """The bytes that ``bytes.decode("utf-8", "backslashreplace")`` turned into ``text``."""
    if "\\x" not in text:
        return text.encode("utf-8")
    out = bytearray()
    at = 0
    for match in _ESCAPED_BYTE.finditer(text):
        out += text[at : match.start()].encode("utf-8")
        out.append(int(match.group(1), 16))
        at = match.end()
    out += text[at:].encode("utf-8")
    return bytes(out)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record rebuilt from an envelope: what :func:`decode_record` takes.

    ``key_rebuilt`` is false when the key was decoded with its schema already (its bytes
    are gone): the new envelope then keeps the old key, key format and key schema."""

    value: bytes
    headers: Sequence[tuple[str, bytes | None]]
    key: bytes | None
    key_rebuilt: bool
    timestamp_ms: int | None


def waits_for_schema(event: Envelope) -> bool:
    """Whether ``event``'s value or key is undecoded (its schema could not be had)."""
    return event.undecoded or event.key_format == UNDECODED


def can_redecode(event: Envelope) -> bool:
    """Whether ``event`` waits for a schema (its value's, or its key's) and keeps what
    is needed to decode it again: the value's bytes, or, when only the key waits, the
    key (see :func:`redecode_key`)."""
    return waits_for_schema(event) and (event.raw is not None or _only_key_waits(event))


def _only_key_waits(event: Envelope) -> bool:
    """The value was decoded (its bytes are gone) and the key was not: it is kept as
    backslash-escaped text, its bytes rebuilt by :func:`bytes_of`."""
    return event.key_format == UNDECODED and not event.undecoded and event.key is not None


def record_of(event: Envelope) -> StoredRecord:
    """The record ``event`` was decoded from, as far as the envelope keeps it (see the
    module docstring). Call it for events :func:`can_redecode` accepts."""
    headers = [(name, bytes_of(text)) for name, text in event.headers.items()]
    key: bytes | None
    if event.key is None:
        key, rebuilt = None, True
    elif event.key_format == "text":
        key, rebuilt = event.key.encode("utf-8"), True
    elif event.key_schema and "error" not in event.key_schema:
        key, rebuilt = None, False  # decoded with its schema already
    else:  # binary, undecoded or malformed: kept as backslash-escaped text
        key, rebuilt = bytes_of(event.key), True
    return StoredRecord(event.raw or b"", headers, key, rebuilt, _stamp(event))


def record_of_raw(raw: RawRecord, event: Envelope) -> StoredRecord:
    """The record a dead letter kept as it came (``raw``), for its ``event``: the value,
    key and header bytes exactly, the timestamp from the event."""
    return StoredRecord(raw.value or b"", raw.headers, raw.key, True, _stamp(event))


def _stamp(event: Envelope) -> int | None:
    return None if event.time is None else round(event.time * 1000)


def redecode(
    event: Envelope,
    schemas: SchemaSource,
    config: DecoderConfig = DEFAULT_CONFIG,
    record: StoredRecord | None = None,
) -> Envelope:
    """``event``'s record (``record`` when given, else rebuilt from the envelope) decoded
    again with ``schemas`` (the decoder never raises)."""
    if record is None:
        if event.raw is None and _only_key_waits(event):
            return redecode_key(event, schemas)
        record = record_of(event)
    new = decode_record(
        record.value,
        record.headers,
        key=record.key,
        topic=event.topic,
        partition=event.partition,
        offset=event.offset,
        timestamp_ms=record.timestamp_ms,
        config=config,
        schemas=schemas,
    )
    if not record.key_rebuilt:
        new.key, new.key_format, new.key_schema = event.key, event.key_format, event.key_schema
    return new


def redecode_key(event: Envelope, schemas: SchemaSource) -> Envelope:
    """``event`` with its key decoded again with ``schemas`` the way the decoder decodes a
    key (its own framing, key schema header and schema), everything else as it is: the
    value was decoded already and its bytes are not kept."""
    assert event.key is not None  # what _only_key_waits allows through
    headers = [(name, bytes_of(text)) for name, text in event.headers.items()]
    lower = {name.lower(): text for name, text in event.headers.items()}
    key, key_format, key_schema = _key_parts(
        bytes_of(event.key), lower, headers, event.topic, schemas
    )
    return replace(event, key=key, key_format=key_format, key_schema=key_schema)


def _undecoded_parts(event: Envelope) -> int:
    return int(event.undecoded) + int(event.key_format == UNDECODED)


def _reasons(event: Envelope) -> tuple[object, ...]:
    """What says why a record is undecoded: the reason, and what is known of each schema."""
    return (event.error, event.schema, event.key_schema)


def _improves(new: Envelope, old: Envelope) -> bool:
    """Whether ``new`` is worth keeping over ``old``: fewer undecoded parts, or as many for
    a settled reason that differs (not "being fetched": that one is never the last word)."""
    parts, was = _undecoded_parts(new), _undecoded_parts(old)
    if parts != was:
        return parts < was
    return not _waits_for_fetch(new) and _reasons(new) != _reasons(old)


def _waits_for_fetch(event: Envelope) -> bool:
    """A schema of the record is being fetched: decoding it again later may do better."""
    return any(
        info is not None and info.get("pending") is True
        for info in (event.schema if event.undecoded else None, event.key_schema)
    )


Records = Sequence[StoredRecord | None]


def _todo(events: Sequence[Envelope], records: Records | None) -> list[int]:
    """The indexes of the events waiting for a schema whose bytes are at hand."""
    return [
        i
        for i, e in enumerate(events)
        if can_redecode(e) or (waits_for_schema(e) and records and records[i] is not None)
    ]


class Redecoder:
    """Decodes undecoded envelopes again with a schema source and the tail's decoder
    settings. Thread-safe as far as the source is (the registry client is).

    What :meth:`resolve_blocking` and :meth:`resolve` return, ``{index: envelope}``, holds
    the events decoded and those still undecoded for a newer reason (see the module
    docstring): :func:`waits_for_schema` tells them apart. ``records``, when given, are
    the records the events came from, by index (``None``: rebuilt from the envelope)."""

    def __init__(self, schemas: SchemaSource, config: DecoderConfig = DEFAULT_CONFIG) -> None:
        self.schemas = schemas
        self.config = config

    def _decode_pass(
        self,
        events: Sequence[Envelope],
        todo: Sequence[int],
        better: dict[int, Envelope],
        records: Records | None = None,
    ) -> list[int]:
        """Decode ``events[i]`` for each ``i`` in ``todo``; a decode that improves on the
        original (:func:`_improves`) goes into ``better``. Returns the indexes whose
        schema is being fetched (worth another pass once the source settles)."""
        waiting = []
        for i in todo:
            old = events[i]
            new = redecode(old, self.schemas, self.config, records[i] if records else None)
            if _improves(new, old):
                better[i] = new
            if _waits_for_fetch(new):
                waiting.append(i)
        return waiting

    def resolve_blocking(
        self,
        events: Sequence[Envelope],
        wait: float = DEFAULT_WAIT,
        records: Records | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> dict[int, Envelope]:
        """``{index: decoded envelope}`` for the events of ``events`` that decode now
        (or once their schema arrives, within ``wait`` seconds, and before ``cancel`` is
        set). Blocks the calling thread while it waits: never call it on a loop that
        draws a window."""
        better: dict[int, Envelope] = {}
        todo = _todo(events, records)

        def attempt() -> list[int]:
            todo[:] = self._decode_pass(events, todo, better, records)
            return todo

        if todo:
            wait_until_settled_blocking(
                self.schemas, attempt, bool, wait_seconds=wait, cancel=cancel
            )
        return better

    async def resolve(
        self, events: Sequence[Envelope], wait: float = DEFAULT_WAIT, records: Records | None = None
    ) -> dict[int, Envelope]:
        """:meth:`resolve_blocking` for an event loop: decoding runs in a worker thread
        (a table full of records is too much work for the loop) and the wait for the
        source is awaited, so the loop is never held up."""
        better: dict[int, Envelope] = {}
        todo = _todo(events, records)

        async def attempt() -> list[int]:
            todo[:] = await asyncio.to_thread(self._decode_pass, events, todo, better, records)
            return todo

        if todo:
            await wait_until_settled(self.schemas, attempt, bool, wait_seconds=wait)
        return better


def take_decoded(event: Envelope, decoded: Envelope) -> None:
    """Make ``event`` the decoded envelope, in place: the live buffer, the tables and the
    details pane hold the same object, so all of them show the decoded record at once and
    none can count it as undecoded again."""
    for f in fields(Envelope):
        setattr(event, f.name, getattr(decoded, f.name))


__all__ = [
    "DEFAULT_WAIT",
    "Redecoder",
    "StoredRecord",
    "bytes_of",
    "can_redecode",
    "record_of",
    "record_of_raw",
    "redecode",
    "redecode_key",
    "take_decoded",
    "waits_for_schema",
]
