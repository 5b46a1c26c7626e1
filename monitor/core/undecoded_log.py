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

Blocking: reads and writes the log and may wait for the registry, in the calling thread
(a worker thread when a window is drawn).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from monitor.core.envelope import Envelope
from monitor.core.redecode import DEFAULT_WAIT, Redecoder, can_redecode, waits_for_schema


class EventLog(Protocol):
    """What this module needs of :class:`monitor.core.eventlog.EventLog` (which calls it:
    a protocol, not an import, so the two modules do not import each other)."""

    def undecoded_rows(
        self, *, low: int | None = None, high: int | None = None
    ) -> list[tuple[int, Envelope]]: ...

    def replace_undecoded(self, decoded: Sequence[tuple[int, str, Envelope]]) -> int: ...


class Decoded(NamedTuple):
    found: int  # undecoded events found that keep their bytes
    decoded: int  # of them, decoded and stored so (not those stored with a newer reason)


def decode_logged(
    log: EventLog,
    redecoder: Redecoder,
    *,
    low: int | None = None,
    high: int | None = None,
    wait: float = DEFAULT_WAIT,
) -> Decoded:
    """Decode the undecoded events logged with ``low <= seq < high`` (the whole log by
    default) whose schema can be had, and store them decoded."""
    rows = [(seq, e) for seq, e in log.undecoded_rows(low=low, high=high) if can_redecode(e)]
    if not rows:
        return Decoded(0, 0)
    better = redecoder.resolve_blocking([e for _, e in rows], wait)
    done = sorted(better.items())
    # Stored apart: only the decoded ones count, as a range whose events all decoded
    # need not be looked at again, and one with a newer reason does.
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
    log: EventLog,
    redecoder: Redecoder,
    seqs: Sequence[int],
    events: list[Envelope],
    *,
    wait: float = DEFAULT_WAIT,
) -> int:
    """Decode the undecoded ones of ``events`` (read from the log rows ``seqs``) whose
    schema can be had: each is replaced in ``events`` by its decoded envelope and stored
    so (one still undecoded, with a newer reason, likewise). Returns how many."""
    todo = [i for i, e in enumerate(events) if can_redecode(e)]
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


__all__ = ["Decoded", "SeqRanges", "decode_listed", "decode_logged"]
