"""Logged undecoded events, decoded and stored again once their schema can be had.

An event logged undecoded (its schema could not be had when it was read) keeps its bytes
in the log. When it is listed or searched with a schema source that has its schema now,
it is decoded with the tail's decoder (:mod:`monitor.core.redecode`) and its row is
rewritten with the decoded event: the log "resolves itself", and later searches and
listings read it as any other decoded event, at no further cost. A row is rewritten only
while it is still the undecoded row it was read as (same sequence number and id), in
short transactions, so nothing the log writer adds meanwhile is lost or held up long.

Blocking: reads and writes the log and may wait for the registry, in the calling thread
(a worker thread when a window is drawn).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.core.envelope import Envelope
from monitor.core.redecode import DEFAULT_WAIT, Redecoder, can_redecode

if TYPE_CHECKING:
    from monitor.core.eventlog import EventLog


def decode_logged(
    log: EventLog,
    redecoder: Redecoder,
    *,
    low: int | None = None,
    high: int | None = None,
    wait: float = DEFAULT_WAIT,
) -> int:
    """Decode the undecoded events logged with ``low <= seq < high`` (the whole log by
    default) whose schema can be had, and store them decoded. Returns how many."""
    rows = [(seq, e) for seq, e in log.undecoded_rows(low=low, high=high) if can_redecode(e)]
    if not rows:
        return 0
    decoded = redecoder.resolve_blocking([e for _, e in rows], wait)
    return log.replace_undecoded(
        [(rows[i][0], rows[i][1].id, new) for i, new in sorted(decoded.items())]
    )


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
    so. Returns how many."""
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


__all__ = ["decode_listed", "decode_logged"]
