"""The local event log: one SQLite file holding events, dead letters and their history.

:class:`EventLog` opens (and migrates) the file and answers queries; it also records what
happens to dead letters. Bulk appends go through :class:`~monitor.core.logwriter.LogWriter`,
which batches them off the event loop, in a writer process. Every method here does
blocking I/O: call it from a worker thread (``asyncio.to_thread``) when an event loop
that draws a window is running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.core.catalog.store import ask_rebuild
from monitor.core.deadletters import (
    BUS_ORIGIN,
    STATUSES,
    DeadLetter,
    DeadLetterAction,
    Status,
)
from monitor.core.envelope import JSON_CONTENT_TYPE, SPECVERSION, Envelope, now
from monitor.core.event_filter import EventFilter, topic_sql
from monitor.core.event_search import SearchPage, SideScan, search_events, side_scan_worthwhile
from monitor.core.formats.schemas import Schema
from monitor.core.json_diff import describe_changes, edit_changes
from monitor.core.json_text import to_json
from monitor.core.logschema import (
    BUSY_TIMEOUT_MS,
    NEW_ROW_CORR_KEY,
    ROW_CORR_KEY,
    LogError,
    chain_condition,
    connect,
    corr_key,
    error_name,
    migrate,
    read_only_sentence,
    schema_version,
)
from monitor.core.paths import make_parent
from monitor.core.raw_record import RawRecord, edited_record
from monitor.core.redecode import waits_for_schema
from monitor.core.short_ids import LISTED, MIN_PREFIX, check_prefix, pick_one, prefix_bounds
from monitor.core.undecoded_log import SEARCH_WAIT, SeqRanges, decode_listed, decode_logged

if TYPE_CHECKING:
    from monitor.core.redecode import Redecoder

EVENT_COLUMNS = (
    "id, type, source, time, subject, correlation_id, causation_id, corr_key, topic, partition,"
    ' "offset", key, headers, data, error, raw, extra, logged_at'
)
# corr_key (the 8th column) gets its generation from the row's seq (logschema).
INSERT_EVENT = (
    f"INSERT INTO events ({EVENT_COLUMNS})"
    f" VALUES ({','.join('?' * 7)},{NEW_ROW_CORR_KEY},{','.join('?' * 10)})"
)
DEAD_LETTER_COLUMNS = (
    "id, status, reason, reason_group, handler, traceback, attempts, original_topic,"
    " created_at, replay_count, event_id, correlation_id, corr_key, event, origin, record,"
    " replayed_from"
)
# A dead letter seen again (the same dead-letter topic record tailed twice) keeps the
# status and history it has: it is not reset to pending.
INSERT_DEAD_LETTER = (
    f"INSERT INTO dead_letters ({DEAD_LETTER_COLUMNS}) VALUES ({','.join('?' * 17)})"
    " ON CONFLICT(id) DO NOTHING"
)
INSERT_PROCESSED = "INSERT OR IGNORE INTO processed (handler, event_id, at) VALUES (?,?,?)"

# The rows of events kept undecoded (value or key): their formats ride in ``extra``.
_UNDECODED_ROW = "instr(extra, '\"undecoded\"') > 0"
# A late-decoded event over its undecoded row (the columns of EVENT_COLUMNS but
# logged_at, which keeps when the record was logged), only while the row is still the
# undecoded one it was read as.
_REPLACE_UNDECODED = (
    "UPDATE events SET id = ?, type = ?, source = ?, time = ?, subject = ?,"
    f" correlation_id = ?, causation_id = ?, corr_key = {ROW_CORR_KEY}, topic = ?, partition = ?,"
    ' "offset" = ?, key = ?, headers = ?, data = ?, error = ?, raw = ?, extra = ?'
    f" WHERE seq = ? AND id = ? AND {_UNDECODED_ROW}"
)
_REPLACE_CHUNK = 2_000  # rows per transaction: the log writer waits at most for one

_SEARCH_MMAP_BYTES = 1 << 30  # address space only: pages are read in as they are touched


# The extra column of the common events, whose only rare fields are their formats: one
# constant string each, so a busy Kafka tail's rows cost no JSON encoding for them. A
# decoded record's key is text unless it says otherwise, so "key_format": "text" is left
# out (envelope_from_row puts it back): 17 bytes a row, not 37.
_FORMATS_ONLY: dict[tuple[str | None, str | None], str | None] = {
    (fmt, key_fmt): (
        None
        if fmt is None and key_fmt is None
        else json.dumps({"format": fmt}, separators=(",", ":"))
        if fmt is not None
        else json.dumps({"key_format": key_fmt}, separators=(",", ":"))
    )
    for fmt in (None, "json", "cloudevents")
    for key_fmt in (None, "text")
}


# The extra column of schema-decoded events, by the schema dicts the decoder shares among
# the events of one schema (kept alongside, so an id is never mistaken for a new dict's).
_SCHEMA_EXTRAS: dict[tuple[Any, ...], tuple[Any, Any, str]] = {}


def _schema_extra(e: Envelope) -> str | None:
    """The cached extra text of a schema-decoded event with nothing else rare, else None."""
    if e.schema is None or e.extensions or e.specversion != SPECVERSION:
        return None
    if e.error is not None and not e.malformed:
        return None
    key = (id(e.schema), id(e.key_schema), e.format, e.key_format, e.datacontenttype)
    found = _SCHEMA_EXTRAS.get(key)
    if found is not None and found[0] is e.schema and found[1] is e.key_schema:
        return found[2]
    rare: dict[str, Any] = {
        "specversion": e.specversion,
        "datacontenttype": e.datacontenttype,
        "extensions": {},
    }
    for name in ("format", "schema", "key_format", "key_schema"):
        if (v := getattr(e, name)) is not None:
            rare[name] = v
    text = to_json(rare)
    if len(_SCHEMA_EXTRAS) >= 1024:
        _SCHEMA_EXTRAS.clear()
    _SCHEMA_EXTRAS[key] = (e.schema, e.key_schema, text)
    return text


def event_row(e: Envelope, logged_at: float) -> tuple[Any, ...]:
    """An envelope as a row of ``events`` (column order of :data:`EVENT_COLUMNS`)."""
    extra = None
    if (
        e.extensions
        or e.specversion != SPECVERSION
        or e.datacontenttype != JSON_CONTENT_TYPE
        or e.schema is not None
        or e.key_schema is not None
        or (e.error is not None and not e.malformed)
        or (extra := _FORMATS_ONLY.get((e.format, e.key_format), "")) == ""
    ) and ((extra := _schema_extra(e)) is None):
        rare: dict[str, Any] = {
            "specversion": e.specversion,
            "datacontenttype": e.datacontenttype,
            "extensions": e.extensions,
        }
        # The value's and key's formats and schemas (and an undecoded record's reason,
        # which the error column keeps only for malformed ones) ride in the same column.
        for name in ("format", "schema", "key_format", "key_schema"):
            if (v := getattr(e, name)) is not None:
                rare[name] = v
        if e.error is not None and not e.malformed:
            rare["error"] = e.error
        extra = to_json(rare)
    return (
        e.id,
        e.type,
        e.source,
        e.time,
        e.subject,
        e.correlation_id,
        e.causation_id,
        corr_key(e.correlation_id or e.id),
        e.topic,
        e.partition,
        e.offset,
        e.key,
        to_json(e.headers) if e.headers else None,
        to_json(e.data) if e.data is not None else None,
        (e.error or "malformed record") if e.malformed else None,
        e.raw,
        extra,
        logged_at,
    )


def dead_letter_row(d: DeadLetter) -> tuple[Any, ...]:
    return (
        d.id,
        d.status,
        d.reason,
        d.reason_group,
        d.handler,
        d.traceback,
        d.attempts,
        d.original_topic,
        d.created_at,
        d.replay_count,
        d.event.id,
        d.event.correlation_id,
        corr_key(d.event.chain_id),
        to_json(d.event.to_dict()),
        d.origin,
        d.record.to_json() if d.record is not None else None,
        d.replayed_from,
    )


def envelope_from_row(row: sqlite3.Row) -> Envelope:
    """An ``events`` row (read with ``row_factory = sqlite3.Row``) as an envelope."""
    data, extra = row["data"], row["extra"]
    rare = json.loads(extra) if extra else {}
    return Envelope(
        id=row["id"],
        type=row["type"] or "",
        source=row["source"] or "",
        specversion=rare.get("specversion", SPECVERSION),
        time=row["time"],
        datacontenttype=rare.get("datacontenttype", JSON_CONTENT_TYPE),
        subject=row["subject"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        topic=row["topic"],
        partition=row["partition"],
        offset=row["offset"],
        key=row["key"],
        headers=json.loads(row["headers"]) if row["headers"] else {},
        extensions=rare.get("extensions") or {},
        data=json.loads(data) if data is not None else None,
        malformed=row["error"] is not None,
        error=row["error"] if row["error"] is not None else rare.get("error"),
        raw=row["raw"],
        format=rare.get("format"),
        schema=rare.get("schema"),
        key_format=rare.get(
            "key_format", "text" if "format" in rare and row["key"] is not None else None
        ),
        key_schema=rare.get("key_schema"),
    )


def _dead_letter_from_row(row: sqlite3.Row) -> DeadLetter:
    return DeadLetter(
        id=row["id"],
        event=Envelope.from_dict(json.loads(row["event"])),
        reason=row["reason"] or "",
        reason_group=row["reason_group"] or "",
        handler=row["handler"],
        traceback=row["traceback"],
        attempts=row["attempts"] or 0,
        original_topic=row["original_topic"],
        created_at=row["created_at"],
        status=row["status"],
        replay_count=row["replay_count"] or 0,
        origin=row["origin"] or BUS_ORIGIN,
        record=RawRecord.from_json(row["record"]) if row["record"] else None,
        replayed_from=row["replayed_from"],
        failed_again_as=row["failed_again_as"],
    )


@dataclass(frozen=True, slots=True)
class LogStats:
    """Counts for ``eventflow stats``."""

    events: int
    by_topic: dict[str, int]
    by_type: dict[str, int]
    malformed: int
    dead_letters_by_status: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "by_topic": self.by_topic,
            "by_type": self.by_type,
            "malformed": self.malformed,
            "dead_letters_by_status": self.dead_letters_by_status,
        }


_LISTED = 5  # changes named in an edit's history line; a count says how many more


def _storable(text: str) -> str:
    """``text`` as SQLite can store it: a lone surrogate (from a payload's "\\ud800")
    as its escape, where it would fail the whole transaction."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _search_connection(path: str) -> sqlite3.Connection:
    reader = connect(path)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA query_only=ON")
    # Scans read pages straight from the mapped file instead of copying them through the
    # page cache: about twice as fast on a big log.
    reader.execute(f"PRAGMA mmap_size={_SEARCH_MMAP_BYTES}")
    reader.execute("PRAGMA cache_size=-8192")
    return reader


class EventLog:
    """Queries and dead-letter bookkeeping over one log file.

    ``EventLog(path)`` creates the file (and its folder) unless ``create=False``, in which
    case a missing file raises :class:`LogError` with a sentence a person understands.
    Safe to share between threads: calls are serialised by a lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            if not create and not Path(self.path).exists():
                raise LogError(
                    f"There is no event log at {self.path}. Run the demo or a tail first, "
                    "or pass the right file with --db."
                )
            if not create and Path(self.path).is_file() and Path(self.path).stat().st_size == 0:
                # An empty file is no log yet: a reader must not turn it into one.
                raise LogError(
                    f"{self.path} is empty: there is no event log in it yet. Run the demo "
                    "or a tail first, or pass the right file with --db."
                )
            try:
                make_parent(Path(self.path))
            except OSError as exc:
                raise LogError(
                    f"The event log {self.path} cannot be made: {exc.strerror}. "
                    "Pass another file with --db."
                ) from exc
        self._conn = connect(self.path)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        # Searches read through a connection of their own (WAL lets it read while others
        # write), so a long scan never holds up the calls that share ``_conn``.
        self._reader: sqlite3.Connection | None = None
        self._side: SideScan | None = None  # its second connection, for long scans
        self._read_lock = threading.Lock()
        self._closed = False
        # Rows a search has found free of undecoded events (monitor.core.undecoded_log):
        # the next searches skip that check there. New rows get higher numbers, and no
        # row turns undecoded, so what is found free stays free.
        self._decoded_seqs = SeqRanges()
        try:
            with self._errors_said():
                migrate(self._conn, self.path)
                if create:
                    self._refuse_read_only()
        except BaseException:
            self._conn.close()  # do not keep a file open that we refuse to use
            raise

    def _refuse_read_only(self) -> None:
        """SQLite opens a file it may not write read-only, and says so only at the first
        write: find out now, not after a run that logged nothing."""
        # Briefly: a writer that holds the lock means the file is writable, and this
        # must not hold up every opening of the log by the busy timeout.
        self._conn.execute("PRAGMA busy_timeout=200")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if error_name(exc) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                return  # another writer holds it; writes wait their turn as usual
            raise
        finally:
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            # A write that is rolled back: in WAL mode, taking the lock alone succeeds.
            self._conn.execute(f"PRAGMA user_version={schema_version(self._conn)}")
        finally:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._read_lock:
            self._closed = True
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            if self._side is not None:
                self._side.close()
                self._side = None
        with self._lock:
            self._conn.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (IMMEDIATE) so it never fails half-way
        on a lock; rolled back on any error."""
        with self._lock, self._errors_said():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # a damaged file may refuse it too
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, self._errors_said():
            return self._conn.execute(sql, params).fetchall()

    def _chain_condition(self, chain_id: str) -> tuple[str, list[Any]]:
        with self._lock, self._errors_said():
            return chain_condition(self._conn, chain_id)

    @contextlib.contextmanager
    def _errors_said(self) -> Iterator[None]:
        """SQLite's "database disk image is malformed" or "attempt to write a readonly
        database" says neither which file nor what to do: such a log is a LogError that
        says both."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if self._closed:
                # Closed by another thread while this call ran (a search decoding a
                # range lets go of the log while it waits for the registry).
                raise LogError(f"The event log {self.path} is closed.") from exc
            name = error_name(exc)
            if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
                raise LogError(
                    f"The event log {self.path} is damaged ({exc}). Stop what uses it and "
                    f"move it aside (keep it: `sqlite3 {self.path} .recover` saves what it "
                    "still holds); a new log is made on the next start. Or pass another "
                    "file with --db."
                ) from exc
            if name.startswith("SQLITE_READONLY"):
                raise LogError(read_only_sentence(self.path, exc)) from exc
            raise

    # -- events -----------------------------------------------------------------------

    def append(self, events: Iterable[Envelope]) -> int:
        """Append events in one transaction (the log writer's path is faster)."""
        at = now()
        rows = [event_row(e, at) for e in events]
        with self._transaction() as conn:
            conn.executemany(INSERT_EVENT, rows)
        return len(rows)

    def events(
        self,
        *,
        type: str | None = None,
        topic: str | None = None,
        source: str | None = None,
        correlation_id: str | None = None,
        text: str | None = None,
        limit: int = 100,
        redecoder: Redecoder | None = None,
    ) -> list[Envelope]:
        """Logged events, newest first, filtered by the given exact values; ``topic`` may
        also be a glob (``orders.*``), read as the window's filter reads it
        (:func:`~monitor.core.event_filter.topic_matches`), and ``text`` is looked for in
        payloads and headers as the window's log search looks for it
        (:class:`~monitor.core.event_filter.EventFilter`).

        With a ``redecoder``, undecoded events whose schema can be had now are listed
        decoded, and stored so (:mod:`monitor.core.undecoded_log`); when a type, source,
        chain or text is asked for, the whole log is done first, as a decoded event may
        have a type, chain or payload it had not before."""
        tried_below = 0
        if redecoder is not None and (type or source or correlation_id or text):
            # The rows logged by now: what stays undecoded among them was just tried, and
            # is not tried again below (a registry that is down would cost a second wait).
            tried_below = self._next_seq()
            decode_logged(self, redecoder, high=tried_below)
        where, params = [], []
        if correlation_id:
            condition, values = self._chain_condition(correlation_id)
            where.append(condition)
            params += values
        for column, value in (("type", type), ("source", source)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if topic:
            condition, values = topic_sql(topic)
            where.append(condition)
            params += values
        if text and text.strip():
            condition, values = EventFilter(text=text).sql()
            where.append(condition)
            params += values
        sql = "SELECT * FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(max(0, limit))
        rows = self._query(sql, params)
        events = [envelope_from_row(r) for r in rows]
        if redecoder is not None:
            seqs = [r["seq"] for r in rows]
            decode_listed(self, redecoder, seqs, events, tried_below=tried_below)
        return events

    def _next_seq(self) -> int:
        """The sequence number above every row logged so far."""
        return int(self._query("SELECT coalesce(max(seq), 0) + 1 FROM events")[0][0])

    def undecoded_rows(
        self, *, low: int | None = None, high: int | None = None, limit: int | None = None
    ) -> list[tuple[int, Envelope]]:
        """``(seq, envelope)`` of the logged events kept undecoded (value or key), newest
        first, with ``low <= seq < high`` when given; the newest ``limit`` of them when
        given, else every one of the range."""
        sql = f"SELECT * FROM events WHERE {_UNDECODED_ROW}"
        params: list[Any] = []
        if low is not None:
            sql += " AND seq >= ?"
            params.append(low)
        if high is not None:
            sql += " AND seq < ?"
            params.append(high)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._query(sql, params)
        return [(r["seq"], envelope_from_row(r)) for r in rows]

    def kafka_positions(self) -> dict[tuple[str, int], int]:
        """``(topic, partition) -> the offset after the last record logged from it``, for
        a tail that reads on after what the log has (a scan of the log: no index holds
        offsets). The log does not say which cluster a record came from."""
        rows = self._query(
            'SELECT topic, partition, max("offset") FROM events WHERE topic IS NOT NULL'
            ' AND partition IS NOT NULL AND "offset" IS NOT NULL GROUP BY topic, partition'
        )
        return {(str(r[0]), int(r[1])): int(r[2]) + 1 for r in rows}

    def kafka_offset_runs(self) -> list[tuple[str, int, int, int]]:
        """The Kafka records the log holds, as runs of consecutive offsets: ``(topic,
        partition, first offset, last offset)``, in offset order within each partition (a
        scan and a sort of the log: off the loop). See :mod:`monitor.core.logged_offsets`."""
        rows = self._query(
            "SELECT topic, partition, min(o), max(o) FROM ("
            " SELECT topic, partition, o,"
            "  o - row_number() OVER (PARTITION BY topic, partition ORDER BY o) AS run"
            ' FROM (SELECT DISTINCT topic, partition, "offset" AS o FROM events'
            '  WHERE topic IS NOT NULL AND partition IS NOT NULL AND "offset" IS NOT NULL))'
            " GROUP BY topic, partition, run ORDER BY topic, partition, 3"
        )
        return [(str(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def count_undecoded(self) -> int:
        """How many logged events are kept undecoded (a scan of the rare attributes)."""
        return int(self._query(f"SELECT count(*) FROM events WHERE {_UNDECODED_ROW}")[0][0])

    def replace_undecoded(self, decoded: Sequence[tuple[int, str, Envelope]]) -> int:
        """Store events decoded late over their undecoded rows: ``(seq, the row's id,
        the decoded envelope)``. A row no longer undecoded, or gone (retention), is left
        as it is. One short transaction per chunk, so the log writer is never held up
        long. Returns how many rows were replaced."""
        replaced = 0
        for start in range(0, len(decoded), _REPLACE_CHUNK):
            chunk = decoded[start : start + _REPLACE_CHUNK]
            params = [(*event_row(e, 0.0)[:-1], seq, old_id) for seq, old_id, e in chunk]
            with self._transaction() as conn:
                before = conn.total_changes
                conn.executemany(_REPLACE_UNDECODED, params)
                changed = conn.total_changes - before
                if changed and any(not waits_for_schema(e) for _, _, e in chunk):
                    # Decoded, an event has its own type now, not its topic: the stored
                    # catalog learnt it under the topic, and is built again from the log.
                    ask_rebuild(conn)
                replaced += changed
        return replaced

    def search(
        self,
        flt: EventFilter,
        *,
        before: int | None = None,
        limit: int = 500,
        max_seconds: float | None = None,
        cancel: threading.Event | None = None,
        redecoder: Redecoder | None = None,
        schema_wait: float = SEARCH_WAIT,
    ) -> SearchPage:
        """Logged events matching ``flt``, newest first: see
        :func:`monitor.core.event_search.search_events` for the paths, the limits and how
        to go on with an older page. Bounded by ``max_seconds`` per call when given.

        With a ``redecoder``, the undecoded events of each range the search reads are
        decoded and stored first, when their schema can be had: a search then finds
        what is inside them (a field of an Avro record) like in any other event. The
        search waits for schemas being fetched only briefly, ``schema_wait`` seconds in
        all (a caller that searches page by page passes what is left of one wait for
        all its pages), and not once ``cancel`` is set; the rest is decoded by a later
        search. While it decodes, it lets go of the
        search connection: other searches, and :meth:`close`, do not wait for it."""

        if redecoder is not None:
            self._check_decoded_seqs()
        deadline = time.monotonic() + max(0.0, schema_wait)
        undecoded_left = 0

        def decode_range(low: int, high: int) -> None:
            nonlocal undecoded_left
            if redecoder is None or self._decoded_seqs.covers(low, high):
                return
            with self._not_reading():  # decoding reads and writes through _conn only
                left = max(0.0, deadline - time.monotonic())
                found, decoded = decode_logged(
                    self, redecoder, low=low, high=high, wait=left, cancel=cancel
                )
                undecoded_left += found - decoded
                if found == decoded and not (cancel is not None and cancel.is_set()):
                    self._mark_decoded(low, high)

        with self._reading() as conn:
            page = search_events(
                conn,
                flt,
                envelope_from_row,
                before=before,
                limit=limit,
                max_seconds=max_seconds,
                cancel=cancel,
                before_step=decode_range if redecoder is not None else None,
                side=self._side,
            )
        return dataclasses.replace(page, undecoded_left=undecoded_left) if undecoded_left else page

    def _check_decoded_seqs(self) -> None:
        """Forget the rows found free of undecoded events if their numbers were given
        again (see :class:`~monitor.core.undecoded_log.SeqRanges`)."""
        anchor = self._decoded_seqs.anchor
        if anchor is not None:
            rows = self._query("SELECT logged_at FROM events WHERE seq = ?", (anchor[0],))
            if not rows or rows[0][0] != anchor[1]:
                self._decoded_seqs = SeqRanges()

    def _mark_decoded(self, low: int, high: int) -> None:
        rows = self._query(
            "SELECT seq, logged_at FROM events WHERE seq < ? ORDER BY seq DESC LIMIT 1",
            (high,),
        )
        if not rows:
            return  # an empty range: nothing to remember it by
        seq, logged_at = rows[0]
        ranges = self._decoded_seqs
        if ranges.anchor is None or seq > ranges.anchor[0]:
            ranges.anchor = (seq, logged_at)
        ranges.add(low, high)

    @contextlib.contextmanager
    def _not_reading(self) -> Iterator[None]:
        """Within :meth:`_reading`: the search connection let go of for a while (between
        two of a search's queries, when no statement is open on it), and taken back
        after. Raises :class:`LogError` if the log was closed meanwhile."""
        lock = self._lock if self.path == ":memory:" else self._read_lock
        lock.release()
        try:
            yield
        finally:
            lock.acquire()
        if self._closed:
            raise LogError(f"The event log {self.path} is closed.")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The search connection, opened on first use (an in-memory log has only one)."""
        if self.path == ":memory:":
            with self._lock:
                yield self._conn
            return
        with self._read_lock:
            if self._closed:
                raise LogError(f"The event log {self.path} is closed.")
            if self._reader is None:
                self._reader = _search_connection(self.path)
                if side_scan_worthwhile():
                    self._side = SideScan(_search_connection(self.path))
            with self._errors_said():
                yield self._reader

    def chain_events(self, correlation_id: str) -> list[Envelope]:
        """Every logged event of one correlation id (or the event with that id and its
        descendants when they carry it as correlation), in log order."""
        condition, params = self._chain_condition(correlation_id)
        rows = self._query(f"SELECT * FROM events WHERE {condition} ORDER BY seq", params)
        return [envelope_from_row(r) for r in rows]

    def chain_id_of_event(self, event_id: str) -> str | None:
        """The correlation id (chain id) of the logged event with ``event_id``.

        Reads the whole log in the worst case (about a second per million events): an
        index on event ids would cost every append a random B-tree insert, for a lookup
        the user makes now and then, and only for events no longer in memory. It runs on
        the search connection, so it holds up no other reader of this log."""
        with self._reading() as conn:  # the search connection: the scan blocks no writer
            row = conn.execute(
                "SELECT coalesce(correlation_id, id) FROM events WHERE id = ? LIMIT 1",
                (event_id,),
            ).fetchone()
        return str(row[0]) if row is not None else None

    def chain_dead_letters(self, correlation_id: str) -> list[DeadLetter]:
        rows = self._query(
            "SELECT * FROM dead_letters WHERE corr_key = ?"
            " AND coalesce(correlation_id, event_id) = ?"
            " ORDER BY created_at",
            (corr_key(correlation_id), correlation_id),
        )
        return [_dead_letter_from_row(r) for r in rows]

    # -- short ids: the start of an id for the whole id ----------------------------------

    def resolve_chain_id(self, text: str) -> str:
        """The whole correlation id (chain id) that ``text`` stands for: a correlation id,
        any logged event's id, or the start of either (at least
        :data:`~monitor.core.short_ids.MIN_PREFIX` characters, as the window shows them).

        A whole correlation id is an index hit. Anything else reads the ``id`` and
        ``correlation_id`` columns of every event once, on the search connection (so it
        holds up no writer): about 0.2-0.25 s per million events (``bench_short_ids.py``);
        an index on either text column would cost every append far more. Raises
        :class:`LogError` with a sentence when no chain matches, or when several do
        (naming them). Blocking I/O, like every method here."""
        text = text.strip()
        if not text:
            raise LogError("Give a correlation id or an event id.")
        if self._is_chain_id(text):
            return text
        if len(text) < MIN_PREFIX:
            # Too short to be a prefix; it may still be a whole (short) event id.
            chain_id = self.chain_id_of_event(text)
            if chain_id is not None:
                return chain_id
        prefix = check_prefix(text, "correlation id or event id")
        low, high = prefix_bounds(prefix)
        with self._reading() as conn:
            found = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT coalesce(correlation_id, id) FROM events"
                    " WHERE (id >= ?1 AND id < ?2)"
                    " OR (correlation_id >= ?1 AND correlation_id < ?2) LIMIT ?3",
                    (low, high, LISTED + 1),
                )
            ]
            # A chain whose events retention removed lives on in its pending letters.
            found += [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT coalesce(correlation_id, event_id) FROM dead_letters"
                    " WHERE (event_id >= ?1 AND event_id < ?2)"
                    " OR (correlation_id >= ?1 AND correlation_id < ?2) LIMIT ?3",
                    (low, high, LISTED + 1),
                )
            ]
        return pick_one(
            prefix, found, what="correlation id or event id", kinds="chains", where=self.path
        )

    def _is_chain_id(self, chain_id: str) -> bool:
        """Whether events or dead letters carry ``chain_id`` as their chain id (indexed)."""
        condition, params = self._chain_condition(chain_id)
        return bool(
            self._query(f"SELECT 1 FROM events WHERE {condition} LIMIT 1", params)
            or self._query(
                "SELECT 1 FROM dead_letters WHERE corr_key = ?"
                " AND coalesce(correlation_id, event_id) = ? LIMIT 1",
                (corr_key(chain_id), chain_id),
            )
        )

    def resolve_dead_letter_id(self, text: str) -> str:
        """The whole id of the dead letter ``text`` stands for: its id (a UUID for a bus
        letter, ``kafka:orders.DLT:0:12`` for a Kafka one) or the start of it (at least
        :data:`~monitor.core.short_ids.MIN_PREFIX` characters). Both are answered from
        the primary key's index. Raises :class:`LogError` with a sentence when no letter
        matches, or when several do (naming them)."""
        text = text.strip()
        if not text:
            raise LogError("Give a dead letter id.")
        if self._query("SELECT 1 FROM dead_letters WHERE id = ?", (text,)):
            return text
        prefix = check_prefix(text, "dead letter id")
        low, high = prefix_bounds(prefix)
        rows = self._query(
            "SELECT id FROM dead_letters WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
            (low, high, LISTED + 1),
        )
        return pick_one(
            prefix, [r[0] for r in rows], what="dead letter", kinds="dead letters", where=self.path
        )

    def count_events(self) -> int:
        return int(self._query("SELECT count(*) FROM events")[0][0])

    def setting(self, name: str) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_setting(self, name: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)", (name, value)
            )

    def stats(self) -> LogStats:
        by_topic = {
            r[0] or "": r[1]
            for r in self._query(
                "SELECT topic, count(*) FROM events GROUP BY topic ORDER BY 2 DESC"
            )
        }
        by_type = {
            r[0] or "": r[1]
            for r in self._query("SELECT type, count(*) FROM events GROUP BY type ORDER BY 2 DESC")
        }
        malformed = int(self._query("SELECT count(*) FROM events WHERE error IS NOT NULL")[0][0])
        dl: dict[str, int] = {s: 0 for s in STATUSES}
        for r in self._query("SELECT status, count(*) FROM dead_letters GROUP BY status"):
            dl[r[0]] = r[1]
        return LogStats(sum(by_topic.values()), by_topic, by_type, malformed, dl)

    # -- dead letters -----------------------------------------------------------------

    def add_dead_letters(self, letters: Iterable[DeadLetter]) -> None:
        """Store new dead letters; one already stored (same id) is left as it is."""
        rows = [dead_letter_row(d) for d in letters]
        with self._transaction() as conn:
            conn.executemany(INSERT_DEAD_LETTER, rows)

    def dead_letters(self, *, status: Status | None = None, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters, newest first, optionally of one status."""
        if status is not None and status not in STATUSES:
            raise LogError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
        if status:
            rows = self._query(
                "SELECT * FROM dead_letters WHERE status = ? ORDER BY created_at DESC LIMIT ?",
                (status, limit),
            )
        else:
            rows = self._query(
                "SELECT * FROM dead_letters ORDER BY created_at DESC LIMIT ?", (limit,)
            )
        return [_dead_letter_from_row(r) for r in rows]

    def count_dead_letters(self, *, status: Status | None = None) -> int:
        """How many dead letters the log holds, of one status or all (indexed)."""
        if status is None:
            return int(self._query("SELECT count(*) FROM dead_letters")[0][0])
        return int(
            self._query("SELECT count(*) FROM dead_letters WHERE status = ?", (status,))[0][0]
        )

    def dead_letter(self, letter_id: str) -> DeadLetter:
        """One dead letter; :class:`LogError` when there is none with that id."""
        rows = self._query("SELECT * FROM dead_letters WHERE id = ?", (letter_id,))
        if not rows:
            raise LogError(f"There is no dead letter with id {letter_id} in {self.path}.")
        return _dead_letter_from_row(rows[0])

    def actions(self, letter_id: str | None = None) -> list[DeadLetterAction]:
        """The replay/discard/edit history, of one dead letter or of all, oldest first."""
        if letter_id:
            rows = self._query(
                "SELECT * FROM dead_letter_actions WHERE dead_letter_id = ? ORDER BY seq",
                (letter_id,),
            )
        else:
            rows = self._query("SELECT * FROM dead_letter_actions ORDER BY seq")
        return [
            DeadLetterAction(r["dead_letter_id"], r["action"], r["at"], r["target"], r["result"])
            for r in rows
        ]

    def record_replay(self, letter_id: str, *, target: str, ok: bool, result: str) -> DeadLetter:
        """Record one replay attempt; see :meth:`record_replays`."""
        self.record_replays([(letter_id, target, ok, result)])
        return self.dead_letter(letter_id)

    def record_replays(self, records: Sequence[tuple[str, str, bool, str]]) -> None:
        """Record replay attempts ``(dead letter id, target, ok, result)`` in one
        transaction; each successful one marks its letter ``replayed``.

        Call it only after the target accepted the events, so a crash in between leaves
        the letters ``pending`` (replayed at least once, never marked without being sent).
        """
        if not records:
            return
        ids = list({r[0] for r in records})
        with self._transaction() as conn:
            known: set[str] = set()
            for start in range(0, len(ids), 500):  # SQLite caps the number of parameters
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT id FROM dead_letters WHERE id IN ({marks})", chunk)
                known.update(r[0] for r in rows)
            missing = [i for i in ids if i not in known]
            if missing:
                raise LogError(f"There is no dead letter with id {missing[0]} in {self.path}.")
            at = now()
            conn.executemany(
                "INSERT INTO dead_letter_actions (dead_letter_id, action, at, target, result)"
                " VALUES (?, 'replay', ?, ?, ?)",
                [(letter_id, at, target, result) for letter_id, target, _, result in records],
            )
            conn.executemany(
                "UPDATE dead_letters SET status = 'replayed', replay_count = replay_count + 1"
                " WHERE id = ?",
                [(r[0],) for r in records if r[2]],
            )

    def failed_again(self, letter_ids: Sequence[str]) -> dict[str, str]:
        """``{letter id: id of the new letter its replay became}`` for those of
        ``letter_ids`` whose replay failed again."""
        found: dict[str, str] = {}
        for start in range(0, len(letter_ids), 500):  # SQLite caps the number of parameters
            chunk = list(letter_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._query(
                f"SELECT id, failed_again_as FROM dead_letters WHERE id IN ({marks})"
                " AND failed_again_as IS NOT NULL",
                chunk,
            ):
                found[row[0]] = row[1]
        return found

    def discard(self, letter_id: str, *, note: str = "discarded by user") -> DeadLetter:
        """Mark a dead letter ``discarded`` and record it."""
        letter = self.dead_letter(letter_id)
        with self._transaction() as conn:
            conn.execute("UPDATE dead_letters SET status = 'discarded' WHERE id = ?", (letter.id,))
            conn.execute(
                "INSERT INTO dead_letter_actions (dead_letter_id, action, at, target, result)"
                " VALUES (?, 'discard', ?, NULL, ?)",
                (letter.id, now(), note),
            )
        return self.dead_letter(letter.id)

    def replace_undecoded_letters(self, decoded: Sequence[tuple[str, Envelope, Envelope]]) -> int:
        """Store dead letters' events decoded late: ``(letter id, the event as read, the
        decoded event)`` (or still undecoded, for a newer reason). A letter whose stored
        event is no longer the one read (edited, decoded by another window or command
        meanwhile) or that is gone is left as it is: a decode never overwrites an edit.
        Not an edit, so no history is recorded. Returns how many letters were changed."""
        replaced = 0
        for start in range(0, len(decoded), _REPLACE_CHUNK):
            chunk = decoded[start : start + _REPLACE_CHUNK]
            with self._transaction() as conn:
                # Read and compared inside the write transaction: nothing can change the
                # letter between the comparison and the update.
                for letter_id, read, new in chunk:
                    row = conn.execute(
                        "SELECT event FROM dead_letters WHERE id = ?", (letter_id,)
                    ).fetchone()
                    if row is None or Envelope.from_dict(json.loads(row[0])) != read:
                        continue
                    conn.execute(
                        "UPDATE dead_letters SET event_id = ?, correlation_id = ?,"
                        " corr_key = ?, event = ? WHERE id = ?",
                        (
                            new.id,
                            new.correlation_id,
                            corr_key(new.chain_id),
                            to_json(new.to_dict()),
                            letter_id,
                        ),
                    )
                    replaced += 1
                    if not waits_for_schema(new):
                        ask_rebuild(conn)  # its type changed (see replace_undecoded)
        return replaced

    def update_dead_letter_event(
        self, letter_id: str, event: Envelope, schema: Schema | None = None
    ) -> DeadLetter:
        """Replace the event a dead letter will replay (after the user edited it), and
        record the edit, with what changed, in the letter's history. ``schema``: the one
        a schema-encoded payload was decoded with, to encode the edit again (see
        :func:`~monitor.core.raw_record.edited_record`)."""
        letter = self.dead_letter(letter_id)
        changes = edit_changes(letter.event, event)
        if not changes:
            return letter
        if letter.record is not None:  # the bytes a replay sends change with the edit
            letter.record = edited_record(letter.record, letter.event, event, schema)
        letter.event = event
        with self._transaction() as conn:
            conn.execute(
                "UPDATE dead_letters SET event_id = ?, correlation_id = ?, corr_key = ?,"
                " event = ?, record = ? WHERE id = ?",
                (
                    event.id,
                    event.correlation_id,
                    corr_key(event.chain_id),
                    to_json(event.to_dict()),
                    letter.record.to_json() if letter.record is not None else None,
                    letter.id,
                ),
            )
            conn.execute(
                "INSERT INTO dead_letter_actions (dead_letter_id, action, at, target, result)"
                " VALUES (?, 'edit', ?, NULL, ?)",
                (letter.id, now(), _storable("; ".join(describe_changes(changes, _LISTED)))),
            )
        return letter

    # -- idempotency ------------------------------------------------------------------

    def is_processed(self, handler: str, event_id: str) -> bool:
        rows = self._query(
            "SELECT 1 FROM processed WHERE handler = ? AND event_id = ?", (handler, event_id)
        )
        return bool(rows)

    def recent_processed(self, limit: int) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT handler, event_id FROM processed ORDER BY at DESC LIMIT ?", (limit,)
        )
        return [(r[0], r[1]) for r in rows]

    # -- retention --------------------------------------------------------------------

    def apply_retention(
        self,
        *,
        max_events: int | None = None,
        max_age_seconds: float | None = None,
        limit: int | None = None,
    ) -> int:
        """Delete the oldest events beyond ``max_events`` and those logged more than
        ``max_age_seconds`` ago; returns how many were deleted. Pending dead letters are
        kept whatever their age: they are work still to do.

        Events go in transactions of at most ``RETENTION_CHUNK`` rows, and at most
        ``limit`` of them in this call: the log writer deletes a chunk between two writes,
        because a whole pass over a busy log (1.5 million rows: 4.6 s measured) would stop
        its writing, and the sources with it, for as long. Fewer than ``limit`` deleted
        means the pass is complete."""
        cutoff = None if max_age_seconds is None else now() - max_age_seconds
        deleted = 0
        while limit is None or deleted < limit:
            chunk = RETENTION_CHUNK if limit is None else min(RETENTION_CHUNK, limit - deleted)
            gone = self._delete_oldest(max_events, cutoff, chunk)
            deleted += gone
            if gone < chunk:
                break
        complete = limit is None or deleted < limit
        if complete and cutoff is not None:
            with self._transaction() as conn:
                conn.execute(
                    "DELETE FROM dead_letter_actions WHERE dead_letter_id IN (SELECT id FROM"
                    " dead_letters WHERE status != 'pending' AND created_at < ?)",
                    (cutoff,),
                )
                conn.execute(
                    "DELETE FROM dead_letters WHERE status != 'pending' AND created_at < ?",
                    (cutoff,),
                )
                conn.execute("DELETE FROM processed WHERE at < ?", (cutoff,))
        return deleted

    def _delete_oldest(self, max_events: int | None, cutoff: float | None, chunk: int) -> int:
        """In one transaction, delete at most ``chunk`` events among the oldest beyond
        ``max_events`` and those logged before ``cutoff``."""
        gone = 0
        with self._transaction() as conn:
            if max_events is not None:
                top = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
                if top is not None:
                    gone = conn.execute(
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM events"
                        " WHERE seq <= ? ORDER BY seq LIMIT ?)",
                        (top - max(0, max_events), chunk),
                    ).rowcount
            if cutoff is not None and gone < chunk:
                gone += conn.execute(
                    "DELETE FROM events WHERE seq IN (SELECT seq FROM events"
                    " WHERE logged_at < ? LIMIT ?)",
                    (cutoff, chunk - gone),
                ).rowcount
        return gone


SECONDS_PER_DAY = 86_400.0
# Rows deleted per transaction by retention: ~0.15 s of holding the log's write lock.
RETENTION_CHUNK = 50_000
# What the app keeps unless told otherwise: about 1.5 GB of log at ~300 bytes an event.
# Without a limit, a tail of a busy cluster fills a disk (50,000 events/s write 1 GB a
# minute), and a full disk stops the tail.
DEFAULT_KEEP_EVENTS = 5_000_000


@dataclass(frozen=True)
class Retention:
    """How much of the log to keep: the newest ``max_events`` events, none logged more
    than ``max_age_seconds`` ago. ``None`` sets no limit of that kind."""

    max_events: int | None = DEFAULT_KEEP_EVENTS
    max_age_seconds: float | None = None

    def describe(self) -> str:
        """A phrase for help and status texts, e.g. "the newest 5,000,000 events"."""
        parts = []
        if self.max_events is not None:
            parts.append(f"the newest {self.max_events:,} events")
        if self.max_age_seconds is not None:
            days = self.max_age_seconds / SECONDS_PER_DAY
            parts.append(f"events of the last {days:g} {'day' if days == 1 else 'days'}")
        return " and only ".join(parts) if parts else "every event"


KEEP_ALL = Retention(max_events=None, max_age_seconds=None)
DEFAULT_RETENTION = Retention()


__all__ = [
    "DEFAULT_KEEP_EVENTS",
    "DEFAULT_RETENTION",
    "INSERT_EVENT",
    "KEEP_ALL",
    "RETENTION_CHUNK",
    "SECONDS_PER_DAY",
    "EventLog",
    "LogError",
    "LogStats",
    "Retention",
    "envelope_from_row",
    "event_row",
]
