"""Searching the event log with an :class:`~monitor.core.event_filter.EventFilter`.

How it finds events fast, and why this way
-----------------------------------------
Two paths, chosen per search:

1. **A complete correlation id** goes through the correlation index (``corr_key``), the
   same one chain lookups use: a few milliseconds at any log size. If the index finds
   nothing (the text is only the start of an id), the search falls back to path 2.
2. **Everything else is a newest-first scan in bounded steps.** The table is read in
   ``seq`` ranges from the newest event backwards (rowid order, so no sort and no temporary
   table), with the filter as one SQL condition evaluated inside SQLite, and it stops as
   soon as ``limit`` matches are found. Filters that match recent events (a type, a topic,
   a source, a word in many payloads) answer in milliseconds whatever the log's size; a
   filter that matches nothing reads the whole table. Each call also stops after
   ``max_seconds`` and returns where it got to (:attr:`SearchPage.next_before`), so a
   caller that draws a window shows results and progress as they come and can cancel.

Long steps are read in two halves at once, on two connections (:class:`SideScan`): SQLite
lets go of the interpreter lock while it reads, so a scan of the whole log runs on two
cores. Measured with ``tests/benchmarks/bench_search.py`` at the default retention
(5,000,000 demo-like events, a 2 GB log) on the quiet 2-core development machine, two
runs in a row, before and after the halves: the first screen of results of any search in under
40 ms (the window's first step is 30 ms); reading the whole log 0.40-0.45 s for type,
topic or an id prefix (was 0.76-0.88 s) and 0.74-0.82 s for free text (was 1.30-1.53 s):
0.6 times a bare single-connection SQLite scan of payload and headers. The search
connections map the file into memory (``mmap_size``), which about halves a full scan
against copying pages through SQLite's cache.

Free text costs one ``LIKE`` on payload and one on headers per form of the text looked for
(:func:`monitor.core.event_filter.EventFilter.sql`): a word is one form (two with a
non-ASCII letter, as before). Payloads are stored as compact UTF-8 JSON now and as spaced
ASCII-only JSON in logs written before (:mod:`monitor.core.json_text`), so a text with
JSON separators (``"qty": 2``) is looked for in both spellings as well as inside JSON
strings: three forms where there were two, about 1.5 times as long to read a log with
no match (300,000 demo-like events: 0.18 -> 0.27 s, same run).

What was measured and not taken (``bench_search.py --alternatives``: the LogWriter's rate
on 200,000 events, every variant in the same run): an FTS5 index over payload and headers
kept by an insert trigger cut the logging rate by ~70% (``detail=none``; the trigram
tokenizer by ~85%); an index on type by ~20-27%, on type, topic and source by ~30%. The
log must keep up with 50,000 events/s, so the scan, not an index, is the design, and the
bounded steps keep it responsive however big the log grows. Schema version 1 is
unchanged: searching needs no migration.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter
from monitor.core.logschema import chain_condition

DEFAULT_LIMIT = 500
_FIRST_STEP_ROWS = 20_000  # small, so the newest matches show at once
_MIN_STEP_ROWS = 5_000
_MAX_STEP_ROWS = 400_000
_UNBOUNDED_STEP_ROWS = 200_000
# A step this long or longer is read in two halves at once when a SideScan is given.
_SPLIT_ROWS = 40_000

RowToEnvelope = Callable[[sqlite3.Row], Envelope]


@dataclass(frozen=True, slots=True)
class SearchPage:
    """What one :func:`search_events` call found, and where to go on from.

    ``events`` are newest first. ``next_before`` is the ``seq`` to pass as ``before`` to
    search further back; ``None`` when nothing older is left to search. ``newest_seq``
    and ``oldest_seq`` are the log's range at the time (both 0 for an empty log), so a
    caller can draw progress: ``(first newest_seq + 1 - next_before) / span``.
    """

    events: list[Envelope]
    next_before: int | None
    newest_seq: int = 0
    oldest_seq: int = 0
    # The time of the oldest event examined (event time, else when it was logged).
    searched_back_to: float | None = None
    used_index: bool = False
    cancelled: bool = False
    elapsed: float = 0.0
    # Events of the ranges read that stayed undecoded (their schema could not be had):
    # what is inside them was not searched.
    undecoded_left: int = 0
    seqs: list[int] = field(default_factory=list, repr=False)  # parallel to ``events``

    @property
    def complete(self) -> bool:
        """True when the log has been searched down to its oldest event."""
        return self.next_before is None

    @property
    def span(self) -> int:
        """How many events the log held (from its first to its last sequence number)."""
        return self.newest_seq - self.oldest_seq + 1 if self.newest_seq else 0


class SideScan:
    """A second connection to the log, and a thread that reads through it.

    SQLite lets go of the interpreter lock while it steps through rows, so a long step
    of a scan read in two halves, the older one here and the newer one on the caller's
    connection, runs on two cores: a search that reads the whole log (a filter that
    matches little) takes about half as long. Only worth having on a machine with more
    than one core (:func:`side_scan_worthwhile`). Reads are disjoint ``seq`` ranges, so
    the two connections' snapshots need not be the same one.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="log-search")

    def read(self, sql: str, params: tuple[object, ...]) -> Future[list[sqlite3.Row]]:
        """All rows of one query, read on the side thread."""
        return self._pool.submit(lambda: self._conn.execute(sql, params).fetchall())

    def skip(self, reading: Future[list[sqlite3.Row]]) -> None:
        """Stop a read whose rows are no longer wanted (the newer half filled the page), and
        wait for it to end."""
        self._conn.interrupt()
        with contextlib.suppress(sqlite3.OperationalError):  # "interrupted": as asked
            reading.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._conn.close()


def side_scan_worthwhile() -> bool:
    # The cores this process may run on (a container or taskset can allow fewer).
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (usable or 1) > 1


def search_events(
    conn: sqlite3.Connection,
    flt: EventFilter,
    to_envelope: RowToEnvelope,
    *,
    before: int | None = None,
    limit: int = DEFAULT_LIMIT,
    max_seconds: float | None = None,
    cancel: threading.Event | None = None,
    before_step: Callable[[int, int], object] | None = None,
    side: SideScan | None = None,
) -> SearchPage:
    """Logged events matching ``flt``, newest first, older than ``before`` if given.

    Stops at ``limit`` matches, after about ``max_seconds`` (``None``: no time limit),
    or as soon as ``cancel`` is set (then ``cancelled`` is true); see :class:`SearchPage`
    for how to go on. ``conn`` must have ``row_factory = sqlite3.Row``.

    ``before_step(low, high)`` runs before the scan reads the rows ``low <= seq < high``
    (not on the correlation index path): the log uses it to decode and store the range's
    undecoded events first, so the step's query finds what is inside them.

    With ``side``, long steps are read in two halves at once (see :class:`SideScan`).
    """
    started = time.perf_counter()
    limit = max(0, limit)
    # Two queries: SQLite answers a lone min() or max() from the b-tree's edge, but
    # scans the whole table for both in one SELECT.
    oldest = conn.execute("SELECT min(seq) FROM events").fetchone()[0]
    newest = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    if newest is None or limit == 0:
        return SearchPage([], None, elapsed=time.perf_counter() - started)
    upper = newest + 1 if before is None else min(before, newest + 1)

    if before is None and flt.correlation_id:
        chain = _by_correlation_index(conn, flt, to_envelope, limit)
        if chain is not None:
            found, found_seqs = chain
            full = len(found) >= limit
            return SearchPage(
                found,
                found_seqs[-1] if full and found_seqs[-1] > oldest else None,
                newest,
                oldest,
                _time_at(conn, found_seqs[-1] if full else oldest),
                used_index=True,
                elapsed=time.perf_counter() - started,
                seqs=found_seqs,
            )

    condition, params = flt.sql()
    sql = (
        f"SELECT * FROM events WHERE seq >= ? AND seq < ? AND ({condition})"
        " ORDER BY seq DESC LIMIT ?"
    )
    events: list[Envelope] = []
    seqs: list[int] = []
    step = _FIRST_STEP_ROWS if max_seconds is not None else _UNBOUNDED_STEP_ROWS
    next_before: int | None = upper
    cancelled = False
    while True:
        if cancel is not None and cancel.is_set():
            cancelled = True
            break
        low = max(oldest, upper - step)
        step_started = time.perf_counter()
        if before_step is not None:
            before_step(low, upper)
            if cancel is not None and cancel.is_set():
                # Cancelled while it ran (it may wait for a schema registry): the step
                # is not read, and the search says where it got to.
                cancelled = True
                break
        want = limit - len(events)
        if side is not None and upper - low >= _SPLIT_ROWS:
            middle = (low + upper) // 2
            older = side.read(sql, (low, middle, *params, want))
            try:
                rows = conn.execute(sql, (middle, upper, *params, want)).fetchall()
            except BaseException:
                side.skip(older)  # no stray read left on the side connection
                raise
            if len(rows) >= want:
                side.skip(older)  # the newer half filled the page: the older is not read
            else:
                rows += older.result()[: want - len(rows)]
        else:
            rows = conn.execute(sql, (low, upper, *params, want)).fetchall()
        step_seconds = time.perf_counter() - step_started
        for row in rows:
            seqs.append(row["seq"])
            events.append(to_envelope(row))
        if len(events) >= limit:
            next_before = seqs[-1] if seqs[-1] > oldest else None
            break
        upper = low
        if upper <= oldest:
            next_before = None
            break
        next_before = upper
        if max_seconds is not None:
            spent = time.perf_counter() - started
            if spent >= max_seconds:
                break
            # Aim each step at a third of the budget: progress stays smooth, and the
            # budget is overrun by a fraction of a step at most.
            per_row = step_seconds / max(1, step)
            if per_row > 0:
                step = int(min(_MAX_STEP_ROWS, max(_MIN_STEP_ROWS, max_seconds / 3 / per_row)))
    examined = next_before if next_before is not None else oldest
    return SearchPage(
        events,
        next_before,
        newest,
        oldest,
        _time_at(conn, examined),
        cancelled=cancelled,
        elapsed=time.perf_counter() - started,
        seqs=seqs,
    )


def _by_correlation_index(
    conn: sqlite3.Connection, flt: EventFilter, to_envelope: RowToEnvelope, limit: int
) -> tuple[list[Envelope], list[int]] | None:
    """The chain whose id is exactly ``flt.correlation_id``, through the index; ``None``
    when no chain has that id (the text may be a prefix: the caller scans instead)."""
    chain_id = flt.correlation_id
    condition, params = flt.sql()  # includes the prefix test: true for the exact id
    chain, chain_params = chain_condition(conn, chain_id)
    rows = conn.execute(
        f"SELECT * FROM events INDEXED BY events_by_corr_key WHERE {chain}"
        f" AND ({condition}) ORDER BY seq DESC LIMIT ?",
        (*chain_params, *params, limit),
    ).fetchall()
    if not rows:
        # Nothing matched the whole filter. Only fall back to scanning when the id itself
        # is unknown: a known chain with no match for the other fields is a full answer.
        known = conn.execute(
            f"SELECT 1 FROM events INDEXED BY events_by_corr_key WHERE {chain} LIMIT 1",
            chain_params,
        ).fetchone()
        return ([], []) if known else None
    return [to_envelope(r) for r in rows], [r["seq"] for r in rows]


def _time_at(conn: sqlite3.Connection, seq: int) -> float | None:
    row = conn.execute(
        "SELECT coalesce(time, logged_at) FROM events WHERE seq >= ? ORDER BY seq LIMIT 1",
        (seq,),
    ).fetchone()
    return None if row is None else row[0]


__all__ = ["DEFAULT_LIMIT", "SearchPage", "SideScan", "search_events", "side_scan_worthwhile"]
