"""The local event log: one SQLite file holding events, dead letters and their history.

:class:`EventLog` opens (and migrates) the file and answers queries; it also records what
happens to dead letters. Bulk appends go through :class:`~monitor.core.logwriter.LogWriter`,
which batches them on its own thread. Every method here does blocking I/O: call it from a
worker thread (``asyncio.to_thread``) when an event loop that draws a window is running.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.core.deadletters import STATUSES, DeadLetter, DeadLetterAction, Status
from monitor.core.envelope import JSON_CONTENT_TYPE, SPECVERSION, Envelope, now
from monitor.core.logschema import LogError, connect, corr_key, migrate

EVENT_COLUMNS = (
    'id, type, source, time, correlation_id, causation_id, corr_key, topic, partition, "offset",'
    " key, headers, data, error, raw, extra, logged_at"
)
INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
UPSERT_DEAD_LETTER = (
    "INSERT OR REPLACE INTO dead_letters (id, status, reason, reason_group, handler, traceback,"
    " attempts, original_topic, created_at, replay_count, event_id, correlation_id, corr_key,"
    " event) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_PROCESSED = "INSERT OR IGNORE INTO processed (handler, event_id, at) VALUES (?,?,?)"


# One encoder, made once: json.dumps with non-default options builds a new one per call.
_to_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=repr).encode


def event_row(e: Envelope, logged_at: float) -> tuple[Any, ...]:
    """An envelope as a row of ``events`` (column order of :data:`EVENT_COLUMNS`)."""
    extra: dict[str, Any] | None = None
    if (
        e.subject is not None
        or e.extensions
        or e.specversion != SPECVERSION
        or e.datacontenttype != JSON_CONTENT_TYPE
    ):
        extra = {
            "specversion": e.specversion,
            "datacontenttype": e.datacontenttype,
            "subject": e.subject,
            "extensions": e.extensions,
        }
    return (
        e.id,
        e.type,
        e.source,
        e.time,
        e.correlation_id,
        e.causation_id,
        corr_key(e.correlation_id or e.id),
        e.topic,
        e.partition,
        e.offset,
        e.key,
        _to_json(e.headers) if e.headers else None,
        _to_json(e.data) if e.data is not None else None,
        (e.error or "malformed record") if e.malformed else None,
        e.raw,
        _to_json(extra) if extra else None,
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
        _to_json(d.event.to_dict()),
    )


def _envelope_from_row(row: sqlite3.Row) -> Envelope:
    data, extra = row["data"], row["extra"]
    rare = json.loads(extra) if extra else {}
    return Envelope(
        id=row["id"],
        type=row["type"] or "",
        source=row["source"] or "",
        specversion=rare.get("specversion", SPECVERSION),
        time=row["time"],
        datacontenttype=rare.get("datacontenttype", JSON_CONTENT_TYPE),
        subject=rare.get("subject"),
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
        error=row["error"],
        raw=row["raw"],
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
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(self.path)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        migrate(self._conn, self.path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- events -----------------------------------------------------------------------

    def append(self, events: Iterable[Envelope]) -> int:
        """Append events in one transaction (the writer thread's path is faster)."""
        at = now()
        rows = [event_row(e, at) for e in events]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(INSERT_EVENT, rows)
            self._conn.execute("COMMIT")
        return len(rows)

    def events(
        self,
        *,
        type: str | None = None,
        topic: str | None = None,
        source: str | None = None,
        correlation_id: str | None = None,
        limit: int = 100,
    ) -> list[Envelope]:
        """Logged events, newest first, filtered by the given exact values."""
        where, params = [], []
        if correlation_id:
            where.append("corr_key = ? AND coalesce(correlation_id, id) = ?")
            params += [corr_key(correlation_id), correlation_id]
        for column, value in (("type", type), ("topic", topic), ("source", source)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "SELECT * FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(max(0, limit))
        return [_envelope_from_row(r) for r in self._query(sql, params)]

    def chain_events(self, correlation_id: str) -> list[Envelope]:
        """Every logged event of one correlation id (or the event with that id and its
        descendants when they carry it as correlation), in log order."""
        rows = self._query(
            "SELECT * FROM events WHERE corr_key = ? AND coalesce(correlation_id, id) = ?"
            " ORDER BY seq",
            (corr_key(correlation_id), correlation_id),
        )
        return [_envelope_from_row(r) for r in rows]

    def chain_dead_letters(self, correlation_id: str) -> list[DeadLetter]:
        rows = self._query(
            "SELECT * FROM dead_letters WHERE corr_key = ?"
            " AND coalesce(correlation_id, event_id) = ?"
            " ORDER BY created_at",
            (corr_key(correlation_id), correlation_id),
        )
        return [_dead_letter_from_row(r) for r in rows]

    def count_events(self) -> int:
        return int(self._query("SELECT count(*) FROM events")[0][0])

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
        rows = [dead_letter_row(d) for d in letters]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(UPSERT_DEAD_LETTER, rows)
            self._conn.execute("COMMIT")

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

    def dead_letter(self, letter_id: str) -> DeadLetter:
        """One dead letter; :class:`LogError` when there is none with that id."""
        rows = self._query("SELECT * FROM dead_letters WHERE id = ?", (letter_id,))
        if not rows:
            raise LogError(f"There is no dead letter with id {letter_id} in {self.path}.")
        return _dead_letter_from_row(rows[0])

    def actions(self, letter_id: str | None = None) -> list[DeadLetterAction]:
        """The replay/discard history, of one dead letter or of all, oldest first."""
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
        """Record one replay attempt; a successful one marks the letter ``replayed``.

        Call it only after the target accepted the event, so a crash in between leaves the
        letter ``pending`` (replayed at least once, never marked without being sent).
        """
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "INSERT INTO dead_letter_actions (dead_letter_id, action, at, target, result)"
                    " VALUES (?, 'replay', ?, ?, ?)",
                    (letter_id, now(), target, result),
                )
                if ok:
                    self._conn.execute(
                        "UPDATE dead_letters SET status = 'replayed',"
                        " replay_count = replay_count + 1 WHERE id = ?",
                        (letter_id,),
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return self.dead_letter(letter_id)

    def discard(self, letter_id: str, *, note: str = "discarded by user") -> DeadLetter:
        """Mark a dead letter ``discarded`` and record it."""
        letter = self.dead_letter(letter_id)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "UPDATE dead_letters SET status = 'discarded' WHERE id = ?", (letter.id,)
            )
            self._conn.execute(
                "INSERT INTO dead_letter_actions (dead_letter_id, action, at, target, result)"
                " VALUES (?, 'discard', ?, NULL, ?)",
                (letter.id, now(), note),
            )
            self._conn.execute("COMMIT")
        return self.dead_letter(letter.id)

    def update_dead_letter_event(self, letter_id: str, event: Envelope) -> DeadLetter:
        """Replace the event a dead letter will replay (after the user edited it)."""
        letter = self.dead_letter(letter_id)
        letter.event = event
        self.add_dead_letters([letter])
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
        self, *, max_events: int | None = None, max_age_seconds: float | None = None
    ) -> int:
        """Delete the oldest events beyond ``max_events`` and those logged more than
        ``max_age_seconds`` ago; returns how many were deleted. Pending dead letters are
        kept whatever their age: they are work still to do."""
        deleted = 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if max_events is not None:
                    top = self._conn.execute("SELECT max(seq) FROM events").fetchone()[0]
                    if top is not None:
                        cur = self._conn.execute(
                            "DELETE FROM events WHERE seq <= ?", (top - max(0, max_events),)
                        )
                        deleted += cur.rowcount
                if max_age_seconds is not None:
                    cutoff = now() - max_age_seconds
                    cur = self._conn.execute("DELETE FROM events WHERE logged_at < ?", (cutoff,))
                    deleted += cur.rowcount
                    self._conn.execute(
                        "DELETE FROM dead_letter_actions WHERE dead_letter_id IN (SELECT id FROM"
                        " dead_letters WHERE status != 'pending' AND created_at < ?)",
                        (cutoff,),
                    )
                    self._conn.execute(
                        "DELETE FROM dead_letters WHERE status != 'pending' AND created_at < ?",
                        (cutoff,),
                    )
                    self._conn.execute("DELETE FROM processed WHERE at < ?", (cutoff,))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return deleted


__all__ = ["INSERT_EVENT", "EventLog", "LogError", "LogStats", "event_row"]
