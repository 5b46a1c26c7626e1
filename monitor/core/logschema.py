"""The event log's SQLite schema, its version, and the migrations between versions.

The schema version lives in ``PRAGMA user_version``. :func:`migrate` brings a database of
any older version up to :data:`SCHEMA_VERSION`, one step at a time, each step in its own
transaction; a database from a newer version of the app is refused rather than damaged.

Why the correlation index is on ``corr_key`` (a CRC-32 of the chain id) rather than on
the id text: an index of random 36-character strings costs about a third of the insert
rate, a 4-byte integer much less, and a lookup filters on both columns so a hash
collision only costs a row read.

Why the key also carries a *generation* (since version 6): ``corr_key`` is the CRC plus
``(seq // CORR_KEY_ROWS) << 32``. A hash alone sends the events of every batch to pages
all over the index, and each commit rewrote thousands of them: at 5,000,000 events the
writer logged 70,000-80,000 events/s where an empty log took 140,000. With the
generation, new rows land in the part of the index their last 250,000 rows share, which
stays small and cached, and retention deletes the oldest part in order: 130,000-150,000
events/s at 5,000,000 (same machine, same rows). A lookup asks for the CRC in every
generation the log holds (:func:`corr_keys`: about 20 index probes at the default
retention, well under a millisecond) and in generation 0, where rows logged before
version 6 keep their bare CRC: no migration rewrites them.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable
from typing import Any, cast

import sqlite_utils

from monitor.core.catalog.tables import create_tables as create_catalog_tables

SCHEMA_VERSION = 6

# Python's sqlite3 binds int, float and str directly, but asks its adapter registry about
# every None and bytes value first; when none is registered, the search ends in an
# AttributeError raised, formatted and cleared inside the module, about 0.7 us per value.
# A typical event row has 8 NULLs in 18 columns: measured, that was about a quarter of the
# writer process's CPU (19 us an event, 15 without it). Adapters that hand the value back
# unchanged (C callables, so no Python frame either) make each of those a dictionary
# lookup. What is stored is the same: None is still NULL and bytes still a BLOB. Adapters
# are per process, so this runs in each process that imports the log, the writer's too.
_NONE_AS_IS = cast(Callable[[None], None], {}.get)  # {}.get(None) is None
sqlite3.register_adapter(type(None), _NONE_AS_IS)
sqlite3.register_adapter(bytes, bytes)  # bytes(b) is b for bytes itself


class LogError(Exception):
    """The event log cannot be used; the message says why and what to do."""


def corr_key(chain_id: str) -> int:
    """The CRC-32 of a chain id: the correlation key of its events in generation 0, and
    of its dead letters (see the module docstring)."""
    if type(chain_id) is not str:  # an id given by code as a number, say: logged all the same
        chain_id = str(chain_id)
    return zlib.crc32(chain_id.encode("utf-8", "surrogatepass"))


CORR_KEY_ROWS = 250_000  # rows of the log per generation of the correlation index
_GENERATION = 1 << 32
# SQL for the corr_key of an event row, given its chain's CRC as the parameter: inserted
# (the new row's seq is one more than the largest), and updated in place.
NEW_ROW_CORR_KEY = (
    f"? + (coalesce((SELECT max(seq) FROM events), 0) + 1) / {CORR_KEY_ROWS} * {_GENERATION}"
)
ROW_CORR_KEY = f"? + seq / {CORR_KEY_ROWS} * {_GENERATION}"


def corr_keys(conn: sqlite3.Connection, chain_id: str) -> list[int]:
    """Every ``corr_key`` the events of ``chain_id`` can have in this log: its CRC in
    generation 0 and in each generation from the oldest row's to the newest's."""
    crc = corr_key(chain_id)
    # Two queries: SQLite answers a lone min() or max() from the b-tree's edge.
    oldest = conn.execute("SELECT min(seq) FROM events").fetchone()[0]
    newest = conn.execute("SELECT max(seq) FROM events").fetchone()[0]
    if newest is None:
        return [crc]
    first = max(1, oldest // CORR_KEY_ROWS)
    # One generation past the newest row's too: rows the writer commits between this and
    # the query that uses the keys may start the next one.
    last = (newest + 1) // CORR_KEY_ROWS + 1
    return [crc] + [crc + g * _GENERATION for g in range(first, last + 1)]


def corr_key_condition(conn: sqlite3.Connection, chain_id: str) -> tuple[str, list[Any]]:
    """SQL matching the rows filed under ``chain_id``'s correlation keys (a CRC shared
    with other ids among them), and its parameters."""
    keys = corr_keys(conn, chain_id)
    return f"corr_key IN ({','.join('?' * len(keys))})", list(keys)


def chain_condition(conn: sqlite3.Connection, chain_id: str) -> tuple[str, list[Any]]:
    """SQL matching the events of chain ``chain_id`` through the correlation index, and
    its parameters."""
    keys, params = corr_key_condition(conn, chain_id)
    return f"{keys} AND coalesce(correlation_id, id) = ?", [*params, chain_id]


def _v1(db: sqlite_utils.Database) -> None:
    db.table("events").create(
        {
            "seq": int,  # log order
            "id": str,
            "type": str,
            "source": str,
            "time": float,
            "subject": str,
            "correlation_id": str,
            "causation_id": str,
            "corr_key": int,
            "topic": str,
            "partition": int,
            "offset": int,
            "key": str,
            "headers": str,  # JSON object, NULL when empty
            "data": str,  # JSON
            "error": str,  # set exactly when the record was malformed
            "raw": bytes,  # kept for malformed and non-JSON records
            # The attributes that rarely differ from their defaults (specversion,
            # datacontenttype, extensions), as one JSON object or NULL: each column
            # costs insert time on the hot path.
            "extra": str,
            "logged_at": float,
        },
        pk="seq",
        not_null={"id", "logged_at"},
    )
    db.table("events").create_index(["corr_key"], index_name="events_by_corr_key")
    # logged_at only grows, so this index is appended to, not shuffled: cheap to keep.
    db.table("events").create_index(["logged_at"], index_name="events_by_logged_at")

    db.table("dead_letters").create(
        {
            "id": str,
            "status": str,
            "reason": str,
            "reason_group": str,
            "handler": str,
            "traceback": str,
            "attempts": int,
            "original_topic": str,
            "created_at": float,
            "replay_count": int,
            "event_id": str,
            "correlation_id": str,
            "corr_key": int,
            "event": str,  # the envelope as JSON (Envelope.to_dict)
        },
        pk="id",
        not_null={"status", "created_at"},
    )
    db.table("dead_letters").create_index(["status", "created_at"], index_name="dl_by_status")
    db.table("dead_letters").create_index(["corr_key"], index_name="dead_letters_by_corr_key")

    db.table("dead_letter_actions").create(
        {
            "seq": int,
            "dead_letter_id": str,
            "action": str,
            "at": float,
            "target": str,
            "result": str,
        },
        pk="seq",
        foreign_keys=[("dead_letter_id", "dead_letters", "id")],
    )
    db.table("dead_letter_actions").create_index(["dead_letter_id"], index_name="actions_by_dl")

    # Idempotency: which handler has already processed which event.
    db.execute(
        "CREATE TABLE processed (handler TEXT NOT NULL, event_id TEXT NOT NULL, at REAL NOT NULL,"
        " PRIMARY KEY (handler, event_id)) WITHOUT ROWID"
    )


def _v2(db: sqlite_utils.Database) -> None:
    # What a log keeps (--keep, --keep-days), set once and used by every later command
    # that writes to it, so a log kept whole on purpose stays whole.
    db.execute("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)")


def _v3(db: sqlite_utils.Database) -> None:
    # Where a letter came from (replays go back there by default), the record as it came
    # (a replay sends its bytes), and the link between a replayed letter and the new
    # letter its replay became when it failed again.
    db.execute("ALTER TABLE dead_letters ADD COLUMN origin TEXT")
    db.execute("ALTER TABLE dead_letters ADD COLUMN record TEXT")  # RawRecord.to_json
    db.execute("ALTER TABLE dead_letters ADD COLUMN replayed_from TEXT")
    db.execute("ALTER TABLE dead_letters ADD COLUMN failed_again_as TEXT")
    db.execute("UPDATE dead_letters SET origin = 'kafka' WHERE id LIKE 'kafka:%'")
    # Every writer of the log (the writer process, the CLI) gets the link for free, in
    # the transaction that stores the new letter. A letter stored twice (a dead-letter
    # topic tailed again) is not inserted again, so the link is made once.
    db.execute(
        """
        CREATE TRIGGER dead_letter_failed_again AFTER INSERT ON dead_letters
        WHEN NEW.replayed_from IS NOT NULL AND NEW.replayed_from != NEW.id
        BEGIN
            UPDATE dead_letters SET failed_again_as = NEW.id WHERE id = NEW.replayed_from;
            INSERT INTO dead_letter_actions (dead_letter_id, action, at, target, result)
            SELECT NEW.replayed_from, 'failed again',
                   (julianday('now') - 2440587.5) * 86400.0, NEW.id,
                   'the consumer failed on the replay again'
            WHERE EXISTS (SELECT 1 FROM dead_letters WHERE id = NEW.replayed_from);
        END
        """
    )


def _v4(db: sqlite_utils.Database) -> None:
    # Sampled history (monitor.core.history_store) and alerts (monitor.core.alert_log).
    # A sample row is small and keyed by (series, tier, time) without a rowid: a week of
    # history is a few hundred thousand rows, so every byte a row saves counts.
    db.execute(
        "CREATE TABLE history_series (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " unit TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE history_samples (series INTEGER NOT NULL, tier INTEGER NOT NULL,"
        " t REAL NOT NULL, mean REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL,"
        " PRIMARY KEY (series, tier, t)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE alerts (id INTEGER PRIMARY KEY, rule TEXT NOT NULL, series TEXT NOT NULL,"
        " fired_at REAL NOT NULL, value REAL NOT NULL, message TEXT NOT NULL,"
        " target_kind TEXT, target TEXT, profile TEXT, acknowledged_at REAL)"
    )
    db.execute("CREATE INDEX alerts_by_time ON alerts (fired_at)")
    db.execute("CREATE TABLE alert_rules (name TEXT PRIMARY KEY, spec TEXT NOT NULL)")


def _v5(db: sqlite_utils.Database) -> None:
    # The event catalog learnt from traffic (monitor.core.catalog.store).
    create_catalog_tables(db)


def _v6(db: sqlite_utils.Database) -> None:
    # New event rows carry a generation in corr_key (see the module docstring); rows
    # logged before keep theirs, which lookups find in generation 0. Nothing to rewrite:
    # the version is raised so that an older app, which would look in generation 0 only
    # and miss most of a chain, refuses this log instead.
    pass


MIGRATIONS: dict[int, Callable[[sqlite_utils.Database], None]] = {
    1: _v1,
    2: _v2,
    3: _v3,
    4: _v4,
    5: _v5,
    6: _v6,
}


BUSY_TIMEOUT_MS = 10_000  # how long a statement waits for another connection's lock


def error_name(exc: sqlite3.Error) -> str:
    """SQLite's name for the error, extended (SQLITE_READONLY_DIRECTORY) where it has one."""
    return str(getattr(exc, "sqlite_errorname", ""))


def read_only_sentence(path: str, exc: Exception) -> str:
    return (
        f"The event log {path} is read-only ({exc}): nothing can be logged to it. Give it "
        "and its folder write permission, or pass another file with --db."
    )


def connect(path: str) -> sqlite3.Connection:
    """Open a connection with the settings every user of the log relies on."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        # Read the header now, so a file that is not SQLite fails here with a clear error.
        conn.execute("PRAGMA schema_version")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        # A bigger page cache keeps the correlation index in memory while it grows.
        conn.execute("PRAGMA cache_size=-65536")
        # Checkpoint the WAL every ~200 MB instead of every 4 MB: an index page rewritten
        # by many batches is then copied into the database once, not once per batch. The
        # correlation index is keyed on a hash, so each batch touches pages all over it:
        # at 5,000,000 events, 200 MB logs ~90,000 events/s where 40 MB logged ~70,000.
        # After a checkpoint the WAL file is cut back to 64 MB, not left at its peak.
        conn.execute("PRAGMA wal_autocheckpoint=50000")
        conn.execute(f"PRAGMA journal_size_limit={64 << 20}")
    except sqlite3.DatabaseError as exc:
        name = error_name(exc)
        if name.startswith("SQLITE_READONLY"):  # a read-only folder, say
            raise LogError(read_only_sentence(path, exc)) from exc
        if name.startswith("SQLITE_CANTOPEN"):
            # Not a bad file: none can be made or opened there (a missing or read-only
            # folder, no permission).
            raise LogError(
                f"The event log {path} cannot be opened or made there ({exc}). Check the "
                "folder exists and may be written to, or pass another file with --db."
            ) from exc
        raise LogError(
            f"{path} cannot be opened as an event log ({exc}). "
            "Pass another file with --db, or move this one aside."
        ) from exc
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: str) -> None:
    """Bring the database at ``conn`` up to :data:`SCHEMA_VERSION`.

    Safe when several connections open a new file at once (the window and a command line
    tail, say): each step re-reads the version under the write lock, so a step another
    connection has just committed is not run twice."""
    try:
        version = schema_version(conn)
    except sqlite3.DatabaseError as exc:
        raise LogError(f"{path} is not an event log ({exc}).") from exc
    _check_version(conn, path, version)
    # Only now that the file is known to be ours: WAL is persistent, it changes the file.
    conn.execute("PRAGMA journal_mode=WAL")
    if version == SCHEMA_VERSION:
        return
    db = sqlite_utils.Database(conn)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(conn)
            _check_version(conn, path, version)
            if version == SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                return
            MIGRATIONS[version + 1](db)
            conn.execute(f"PRAGMA user_version={version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _check_version(conn: sqlite3.Connection, path: str, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise LogError(
            f"{path} was written by a newer Eventflow Monitor (schema {version}, this one "
            f"knows up to {SCHEMA_VERSION}). Upgrade the app or pass another --db."
        )
    if version == 0 and _has_foreign_tables(conn):
        raise LogError(
            f"{path} is an SQLite database but not an Eventflow Monitor log. "
            "Pass another file with --db."
        )


def _has_foreign_tables(conn: sqlite3.Connection) -> bool:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    return bool(rows)
