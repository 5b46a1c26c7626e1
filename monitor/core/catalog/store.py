"""The catalog in the event log: stored, read back, and brought up to date from the
events logged since it was stored.

Tables (created by schema migration 5, :mod:`monitor.core.catalog.tables`): ``catalog_types`` holds
one row per event type (its entry as JSON), ``catalog_state`` the cross-type evidence
and ``built_to_seq``, the last logged event the stored catalog has learnt from. Building
the catalog from scratch is :meth:`CatalogStore.catch_up` from seq 0; a stored catalog
catches up from where it was saved.

Events decoded late (logged undecoded, their type was their topic) change type in the
log: the log then leaves a ``rebuild`` mark in ``catalog_state`` (see
:func:`ask_rebuild`), and the stored catalog, which learnt them under their topic, is
built again from the whole log instead of being read back. The mark is a token: a save
clears only the mark it rebuilt for, so one left meanwhile is never lost.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from monitor.core.catalog.catalog import Catalog
from monitor.core.catalog.observed import LoggedEvent
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.logschema import connect, migrate

log = logging.getLogger(__name__)

CHUNK = 20_000  # events read per query while catching up
FULL_ANALYSIS = 300_000  # events a catch-up analyses in full; more are sampled evenly


# The version attributes are read by SQLite (in C) out of the rare attributes' JSON: the
# dataschema alone, or the extensions object when there is no dataschema.
_COLUMNS = (
    "seq, id, type, source, time, subject, correlation_id, causation_id, topic, key,"
    " headers, data, json_extract(extra, '$.extensions.dataschema'),"
    " CASE WHEN json_extract(extra, '$.extensions.dataschema') IS NULL"
    " THEN json_extract(extra, '$.extensions') END"
)


def _events(rows: list[tuple[Any, ...]]) -> list[LoggedEvent]:
    loads = orjson.loads  # a third of json's time: reading the log is mostly parsing
    out = []
    for row in rows:
        _seq, id_, type_, source, t, subject, corr, cause, topic, key, headers, data = row[:12]
        dataschema, extensions = row[12], row[13]
        out.append(
            LoggedEvent(
                id_,
                type_ or "",
                source or "",
                t,
                subject,
                corr,
                cause,
                topic,
                key,
                loads(headers) if headers else {},
                loads(data) if data is not None else None,
                {"dataschema": dataschema}
                if dataschema is not None
                else (loads(extensions) if extensions is not None else {}),
            )
        )
    return out


class CatalogStore:
    """The catalog tables of the event log at ``path`` (migrated on open).

    Raises :class:`~monitor.core.logschema.LogError` when the file is not a usable log.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = connect(path)
        migrate(self._conn, path)

    def close(self) -> None:
        self._conn.close()

    def rebuild_asked(self) -> str | None:
        """The log's mark that events changed type (decoded late), if there is one: the
        stored catalog is stale, to be built again from the whole log."""
        row = self._conn.execute(
            "SELECT value FROM catalog_state WHERE name = 'rebuild'"
        ).fetchone()
        return str(row[0]) if row else None

    def load(self, catalog: Catalog) -> int:
        """Read the stored catalog into ``catalog``; returns the seq it was built to (0,
        with nothing read, when a rebuild is asked: the catalog is learnt afresh)."""
        if self.rebuild_asked() is not None:
            catalog.load([], {})
            return 0
        entries = [
            json.loads(text) for (text,) in self._conn.execute("SELECT entry FROM catalog_types")
        ]
        state = dict(self._conn.execute("SELECT name, value FROM catalog_state").fetchall())
        evidence = json.loads(state.get("evidence", "{}"))
        catalog.load(entries, evidence)
        return int(state.get("built_to_seq", "0"))

    def dead_letters_to(self) -> float:
        if self.rebuild_asked() is not None:
            return 0.0
        row = self._conn.execute(
            "SELECT value FROM catalog_state WHERE name = 'dead_letters_to'"
        ).fetchone()
        return float(row[0]) if row else 0.0

    def save(
        self,
        catalog: Catalog,
        built_to_seq: int,
        dead_letters_to: float,
        rebuilt: str | None = None,
    ) -> None:
        """Replace the stored catalog with ``catalog`` (one transaction). ``rebuilt``: the
        rebuild mark ``catalog`` was built afresh for, cleared now if it is still the one
        there."""
        rows = [(e.type, json.dumps(e.to_dict(), default=str)) for e in catalog.entries.values()]
        state = [
            ("evidence", json.dumps(catalog.evidence_dict(), default=str)),
            ("built_to_seq", str(built_to_seq)),
            ("dead_letters_to", repr(dead_letters_to)),
        ]
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute("DELETE FROM catalog_types")
            self._conn.executemany("INSERT INTO catalog_types VALUES (?, ?)", rows)
            self._conn.executemany("INSERT OR REPLACE INTO catalog_state VALUES (?, ?)", state)
            if rebuilt is not None:
                self._conn.execute(
                    "DELETE FROM catalog_state WHERE name = 'rebuild' AND value = ?", (rebuilt,)
                )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def last_seq(self) -> int:
        row = self._conn.execute("SELECT max(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def _start_after(self, after_seq: int, since: float | None) -> int:
        if since is None:
            return after_seq
        row = self._conn.execute(
            "SELECT min(seq) FROM events WHERE logged_at >= ?", (since,)
        ).fetchone()
        return max(after_seq, int(row[0]) - 1) if row[0] is not None else self.last_seq()

    def event_chunks(
        self, after_seq: int, since: float | None = None, stride: int = 1
    ) -> Iterator[tuple[int, list[LoggedEvent]]]:
        """Logged events after ``after_seq`` (and logged since ``since``), in log order,
        a chunk at a time: ``(last seq of the chunk, events)``; with ``stride`` n, every
        n-th of them only."""
        seq = self._start_after(after_seq, since)
        # The next chunk is read in a worker thread while this one is learnt: SQLite
        # lets go of the GIL while it steps, so reading and learning overlap.
        with ThreadPoolExecutor(1, thread_name_prefix="eventflow-catalog-read") as reader:
            rows = self._rows_after(seq, stride)
            while rows:
                seq = int(rows[-1][0])
                ahead = reader.submit(self._rows_after, seq, stride)
                yield seq, _events(rows)
                rows = ahead.result()

    def _rows_after(self, seq: int, stride: int = 1) -> list[tuple[Any, ...]]:
        sampled = " AND seq % ? = 0" if stride > 1 else ""
        params = (seq, stride, CHUNK) if stride > 1 else (seq, CHUNK)
        return self._conn.execute(
            f"SELECT {_COLUMNS} FROM events WHERE seq > ? AND error IS NULL{sampled}"
            " ORDER BY seq LIMIT ?",
            params,
        ).fetchall()

    def catch_up(
        self,
        catalog: Catalog,
        after_seq: int,
        *,
        since: float | None = None,
        dead_letters_after: float = 0.0,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[int, float]:
        """Learn the events logged after ``after_seq`` and the dead letters made after
        ``dead_letters_after``; returns how far both were read.

        Up to :data:`FULL_ANALYSIS` events are each analysed in full. Beyond that (a large
        log built from scratch), every event is still counted (per type, topic and
        source, with the first and last time, by one SQLite query), and an even sample
        of at most that many is analysed: shapes, versions, drift and the review's
        evidence, as the live catalog samples a fast stream."""
        start = self._start_after(after_seq, since)
        count, last = self._conn.execute(
            "SELECT count(*), max(seq) FROM events WHERE seq > ? AND error IS NULL", (start,)
        ).fetchone()
        stride = -(-int(count) // FULL_ANALYSIS) if count > FULL_ANALYSIS else 1
        seq = after_seq
        read = 0
        before = {t: (dict(e.topics), dict(e.producers)) for t, e in catalog.entries.items()}
        for chunk_end, events in self.event_chunks(start, None, stride):
            seq = chunk_end
            if stride == 1:
                catalog.learn(events)
            else:
                catalog.analyse(events)
            read += len(events)
            if progress is not None:
                progress(read * stride)
        if stride > 1:
            self._count_exactly(catalog, start, before)
            seq = max(seq, int(last or 0))
        last_letter = dead_letters_after
        if since is not None:
            last_letter = max(last_letter, since)
        for created_at, letter in self._dead_letters_after(last_letter):
            catalog.observe_dead_letter(letter)
            last_letter = max(last_letter, created_at)
        return max(seq, after_seq), last_letter

    def _count_exactly(
        self,
        catalog: Catalog,
        after_seq: int,
        before: dict[str, tuple[dict[str, int], dict[str, int]]],
    ) -> None:
        """Counts, topics, sources, first and last seen of every event after ``after_seq``
        (in SQLite), over what a sampled catch-up analysed."""
        rows = self._conn.execute(
            "SELECT type, topic, source, count(*), min(time), max(time) FROM events"
            " WHERE seq > ? AND error IS NULL GROUP BY type, topic, source",
            (after_seq,),
        ).fetchall()
        sources: dict[str, set[str]] = {}
        for type_, _topic, source, *_ in rows:
            sources.setdefault(type_ or "", set()).add(source)
        for type_, names in sources.items():  # the sample's counts give way to exact ones
            entry = catalog.entry(type_)
            topics, producers = before.get(type_, ({}, {}))
            from_headers = {
                p: n for p, n in entry.producers.items() if p not in producers and p not in names
            }
            entry.topics, entry.producers = dict(topics), {**producers, **from_headers}
        for type_, topic, source, n, first, last in rows:
            entry = catalog.entry(type_ or "")
            entry.count += n
            catalog.total += n
            entry.topics[topic or ""] = entry.topics.get(topic or "", 0) + n
            if source:
                entry.producers[source] = entry.producers.get(source, 0) + n
            if first is not None and (entry.first_seen is None or first < entry.first_seen):
                entry.first_seen = first
            if last is not None and (entry.last_seen is None or last > entry.last_seen):
                entry.last_seen = last

    def _dead_letters_after(self, at: float) -> Iterator[tuple[float, DeadLetter]]:
        rows = self._conn.execute(
            "SELECT id, created_at, event, original_topic, reason FROM dead_letters"
            " WHERE created_at > ? ORDER BY created_at",
            (at,),
        ).fetchall()
        for id_, created_at, event, topic, reason in rows:
            try:
                envelope = Envelope.from_dict(json.loads(event))
            except (ValueError, TypeError, AttributeError):
                continue
            yield float(created_at), DeadLetter(
                id=id_, event=envelope, reason=reason or "", original_topic=topic,
                created_at=float(created_at),
            )  # fmt: skip

    def dead_letter_activity(self, since: float) -> tuple[int, float | None, int]:
        """What happened to dead letters since ``since``: (letters filed, when the first
        of them was, replays and discards done)."""
        filed, first = self._conn.execute(
            "SELECT count(*), min(created_at) FROM dead_letters WHERE created_at >= ?", (since,)
        ).fetchone()
        (acted,) = self._conn.execute(
            "SELECT count(*) FROM dead_letter_actions WHERE at >= ?"
            " AND action IN ('replay', 'discard')",
            (since,),
        ).fetchone()
        return int(filed), (float(first) if first is not None else None), int(acted)

    def pending_dead_letters(self, older_than: float) -> list[tuple[str, float, str, str]]:
        """Pending dead letters made before ``older_than``, oldest first: (id, created
        at, event type, topic)."""
        rows = self._conn.execute(
            "SELECT id, created_at, event, original_topic FROM dead_letters"
            " WHERE status = 'pending' AND created_at < ? ORDER BY created_at LIMIT 1000",
            (older_than,),
        ).fetchall()
        out = []
        for id_, created_at, event, topic in rows:
            try:
                type_ = str(json.loads(event).get("type") or "")
            except (ValueError, AttributeError):
                type_ = ""
            out.append((str(id_), float(created_at), type_, topic or ""))
        return out

    def last_dead_letter_action(self) -> float | None:
        row = self._conn.execute("SELECT max(at) FROM dead_letter_actions").fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def processed_by(self, event_id: str) -> set[str]:
        """The handlers that marked ``event_id`` processed (the idempotency guard's)."""
        try:
            rows = self._conn.execute(
                "SELECT handler FROM processed WHERE event_id = ?", (event_id,)
            ).fetchall()
        except sqlite3.Error:
            return set()
        return {str(r[0]) for r in rows}


def build_catalog(
    path: str, *, since: float | None = None, save: bool = True, catalog: Catalog | None = None
) -> Catalog:
    """The catalog of the log at ``path``: the stored one brought up to date (and saved
    again), or, with ``since``, one learnt afresh from what was logged since then (not
    saved: it is not the whole log's)."""
    catalog = catalog if catalog is not None else Catalog()
    store = CatalogStore(path)
    try:
        if since is not None:
            store.catch_up(catalog, 0, since=since)
            return catalog
        mark = store.rebuild_asked()
        built_to = store.load(catalog)
        letters_to = store.dead_letters_to()
        new_seq, new_letters_to = store.catch_up(catalog, built_to, dead_letters_after=letters_to)
        if save and (mark is not None or (new_seq, new_letters_to) != (built_to, letters_to)):
            try:
                store.save(catalog, new_seq, new_letters_to, rebuilt=mark)
            except sqlite3.Error as exc:  # a read-only log: the catalog is read all the same
                log.warning("the catalog could not be stored in %s: %s", path, exc)
    finally:
        store.close()
    return catalog


def ask_rebuild(conn: sqlite3.Connection) -> None:
    """Mark the stored catalog of the log ``conn`` writes to as stale (events changed
    type): it is built again from the log when next read or saved. Call it inside the
    transaction that changed the events."""
    conn.execute(
        "INSERT OR REPLACE INTO catalog_state VALUES ('rebuild', ?)", (str(time.time_ns()),)
    )
