"""Logged undecoded events, decoded and stored again once their schema can be had.

An event logged undecoded (its schema could not be had when it was read) keeps its bytes
in the log. When it is listed or searched with a schema source that has its schema now,
it is decoded with the tail's decoder (:mod:`monitor.core.redecode`) and its row is
rewritten with the decoded event: the log "resolves itself", and later searches and
listings read it as any other decoded event, at no further cost. A row is rewritten only
while it is still the undecoded row it was read as (same sequence number and id), in
short transactions, so nothing the log writer adds meanwhile is lost or held up long.
An event that stays undecoded for a newer reason (read with no registry, retried with
one that does not know its schema) is stored with that reason: the log says what is
true now.

The log is read a chunk at a time (:data:`CHUNK_ROWS` undecoded rows, newest first), so
a log full of undecoded events is never read into memory at once, and the time given to
wait for the registry is for the whole call, not for each chunk: a registry that is down
or silent costs one wait, after which the later chunks decode what the source has at
hand. What one call tried and could not decode is not tried again in that call.

A search waits only briefly (:data:`SEARCH_WAIT`, in all): decoding a search's ranges
should not make it wait for a slow registry. What was not decoded by then stays
undecoded, its range is not taken for decoded (:class:`SeqRanges`), and the fetches
started go on in the source's threads, so the next search decodes what has arrived.

Blocking: reads and writes the log and may wait for the registry, in the calling thread
(a worker thread when a window is drawn); a ``cancel`` event set by another thread stops
the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from monitor.core.envelope import Envelope
from monitor.core.redecode import DEFAULT_WAIT, Redecoder, can_redecode, waits_for_schema

# Undecoded rows read and decoded at a time: bounds what a call holds in memory (an
# envelope with its bytes is a few kB) while a chunk is still one short transaction.
CHUNK_ROWS = 2_000
# How long a search waits in all for schemas being fetched (see the module docstring): a
# registry answers in milliseconds, and one that does not is looked at again next search.
SEARCH_WAIT = 1.0


class UndecodedRows(Protocol):
    """What this module needs of :class:`monitor.core.eventlog.EventLog` (which calls it:
    a protocol, not an import, so the two modules do not import each other)."""

    def undecoded_rows(
        self, *, low: int | None = None, high: int | None = None, limit: int | None = None
    ) -> list[tuple[int, Envelope]]: ...

    def replace_undecoded(self, decoded: Sequence[tuple[int, str, Envelope]]) -> int: ...


class Decoded(NamedTuple):
    found: int  # undecoded events found that keep their bytes
    decoded: int  # of them, decoded and stored so (not those stored with a newer reason)


def decode_logged(
    log: UndecodedRows,
    redecoder: Redecoder,
    *,
    low: int | None = None,
    high: int | None = None,
    wait: float = DEFAULT_WAIT,
    cancel: threading.Event | None = None,
) -> Decoded:
    """Decode the undecoded events logged with ``low <= seq < high`` (the whole log by
    default) whose schema can be had, and store them decoded: :data:`CHUNK_ROWS` rows at
    a time, newest first, waiting ``wait`` seconds in all for the registry (see the
    module docstring), and no more once ``cancel`` is set."""
    deadline = time.monotonic() + wait
    total = Decoded(0, 0)
    while cancel is None or not cancel.is_set():
        chunk = log.undecoded_rows(low=low, high=high, limit=CHUNK_ROWS)
        if not chunk:
            break
        left = max(0.0, deadline - time.monotonic())
        found, stored = _decode_chunk(log, redecoder, chunk, left, cancel)
        total = Decoded(total.found + found, total.decoded + stored)
        # Newest first: the next chunk is below this one, so a row that stays undecoded
        # is not read again in this call.
        high = chunk[-1][0]
    return total


def _decode_chunk(
    log: UndecodedRows,
    redecoder: Redecoder,
    chunk: Sequence[tuple[int, Envelope]],
    wait: float,
    cancel: threading.Event | None,
) -> Decoded:
    rows = [(seq, e) for seq, e in chunk if can_redecode(e)]
    if not rows:
        return Decoded(0, 0)
    better = redecoder.resolve_blocking([e for _, e in rows], wait, cancel=cancel)
    done = sorted(better.items())
    # Stored apart: only the rows left with no undecoded part (value and key) count, as
    # a range whose events all decoded need not be looked at again, and a row decoded in
    # part, or undecoded for a newer reason, does.
    stored = log.replace_undecoded(
        [(rows[i][0], rows[i][1].id, new) for i, new in done if not waits_for_schema(new)]
    )
    log.replace_undecoded(
        [(rows[i][0], rows[i][1].id, new) for i, new in done if waits_for_schema(new)]
    )
    return Decoded(len(rows), stored)


class SeqRanges:
    """Sets of log rows by sequence number, as merged ``[low, high)`` ranges: where a
    search found no undecoded event left, so later searches need not look again.
    Thread-safe enough for its use: ranges are replaced whole, never changed in place.

    ``anchor`` is the newest row covered, as ``(seq, logged_at)``: SQLite numbers rows
    from 1 again once the table is empty (retention may empty it), so the ranges hold
    only while that row is still there as it was."""

    def __init__(self) -> None:
        self._ranges: list[tuple[int, int]] = []
        self.anchor: tuple[int, float] | None = None

    def covers(self, low: int, high: int) -> bool:
        return any(a <= low and high <= b for a, b in self._ranges)

    def add(self, low: int, high: int) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted([*self._ranges, (low, high)]):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self._ranges = merged


def decode_listed(
    log: UndecodedRows,
    redecoder: Redecoder,
    seqs: Sequence[int],
    events: list[Envelope],
    *,
    wait: float = DEFAULT_WAIT,
    tried_below: int = 0,
) -> int:
    """Decode the undecoded ones of ``events`` (read from the log rows ``seqs``) whose
    schema can be had: each is replaced in ``events`` by its decoded envelope and stored
    so (one still undecoded, with a newer reason, likewise). Rows below ``tried_below``
    were just tried (:func:`decode_logged`) and are left as they are. Returns how many
    were replaced."""
    todo = [i for i, e in enumerate(events) if seqs[i] >= tried_below and can_redecode(e)]
    if not todo:
        return 0
    decoded = redecoder.resolve_blocking([events[i] for i in todo], wait)
    stored = []
    for j, new in sorted(decoded.items()):
        i = todo[j]
        stored.append((seqs[i], events[i].id, new))
        events[i] = new
    log.replace_undecoded(stored)
    return len(stored)


__all__ = [
    "CHUNK_ROWS",
    "SEARCH_WAIT",
    "Decoded",
    "SeqRanges",
    "UndecodedRows",
    "decode_listed",
    "decode_logged",
]
