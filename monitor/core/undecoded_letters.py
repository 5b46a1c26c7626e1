"""Dead letters read undecoded, decoded and stored once their schema can be had.

A record on a dead-letter topic whose schema could not be had when it was tailed (no
registry configured, a 404, the registry down) becomes a letter with an undecoded event;
the letter keeps the record as it came (:class:`~monitor.core.raw_record.RawRecord`).
When letters are listed or shown with a schema source that has the schema now, their
events are decoded from those bytes with the tail's decoder
(:mod:`monitor.core.redecode`) and stored back in the log, only over the undecoded event
that was read (:meth:`~monitor.core.eventlog.EventLog.replace_undecoded_letters`), so a
decode never overwrites an edit made meanwhile. A letter that stays undecoded is stored
with the newer reason, if it has one.

A schema id means something only in its own cluster's registry: given the cluster the
source belongs to, only the letters that came from it (or from a cluster not recorded)
are decoded.

Blocking (:func:`decode_letters`): reads and writes the log and may wait for the
registry, in the calling thread. The window runs the decode on its loop
(:meth:`Redecoder.resolve`) and only :func:`store_letters` in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from monitor.core.dead_letter_service import Destination, comes_from
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.redecode import (
    DEFAULT_WAIT,
    Redecoder,
    StoredRecord,
    can_redecode,
    record_of_raw,
    waits_for_schema,
)


class LetterLog(Protocol):
    """What this module needs of :class:`~monitor.core.eventlog.EventLog`."""

    def replace_undecoded_letters(
        self, decoded: Sequence[tuple[str, Envelope, Envelope]]
    ) -> int: ...


def letter_record(letter: DeadLetter) -> StoredRecord | None:
    """The bytes the letter's record came with (``None``: none kept, or a null value;
    the event's own kept bytes are used then)."""
    raw = letter.record
    if raw is None or raw.value is None:
        return None
    return record_of_raw(raw, letter.event)


def can_decode_letter(letter: DeadLetter, cluster: str | None = None) -> bool:
    """Whether ``letter``'s event waits for a schema and its bytes are kept (or only its
    key waits: see :func:`~monitor.core.redecode.can_redecode`); with ``cluster`` (the
    bootstrap servers a schema source belongs to), also whether the letter came from
    that cluster, where its schema ids mean what they say."""
    event = letter.event
    if not waits_for_schema(event):
        return False
    if not can_redecode(event) and letter_record(letter) is None:
        return False
    return cluster is None or comes_from(letter, Destination("kafka", cluster))


class LetterBatch:
    """The letters of a list that can be decoded: their events and records, for
    :meth:`Redecoder.resolve` (or ``resolve_blocking``), by position in the batch."""

    def __init__(self, letters: Sequence[DeadLetter], cluster: str | None = None) -> None:
        self.letters = [d for d in letters if can_decode_letter(d, cluster)]
        self.events = [d.event for d in self.letters]
        self.records = [letter_record(d) for d in self.letters]

    def __len__(self) -> int:
        return len(self.letters)


def store_letters(log: LetterLog, batch: LetterBatch, better: Mapping[int, Envelope]) -> int:
    """Store the decodes ``better`` (what the redecoder returned for ``batch``) over the
    letters' undecoded events. Returns how many letters were stored decoded (not those
    stored with a newer reason only)."""
    changes = [(batch.letters[i].id, batch.events[i], new) for i, new in sorted(better.items())]
    log.replace_undecoded_letters(changes)
    return sum(not waits_for_schema(new) for new in better.values())


def decode_letters(
    log: LetterLog,
    redecoder: Redecoder,
    letters: list[DeadLetter],
    *,
    cluster: str | None = None,
    wait: float = DEFAULT_WAIT,
) -> int:
    """Decode the undecoded events of ``letters`` whose schema can be had and store them;
    each such letter is replaced in ``letters`` by a copy with the decoded event (the
    objects given are not changed: others may hold them). Returns how many decoded."""
    batch = LetterBatch(letters, cluster)
    if not batch:
        return 0
    better = redecoder.resolve_blocking(batch.events, wait, batch.records)
    if not better:
        return 0
    decoded = store_letters(log, batch, better)
    at = {id(d): i for i, d in enumerate(letters)}
    for j, new in better.items():
        i = at[id(batch.letters[j])]
        letters[i] = replace(letters[i], event=new)
    return decoded


__all__ = [
    "LetterBatch",
    "can_decode_letter",
    "decode_letters",
    "letter_record",
    "store_letters",
]
