"""Batched appends to the event log, off the event-loop thread and out of its process.

Producers (the ingest pipeline, on the event-loop thread) hand :class:`LogWriter` whole
batches with :meth:`submit_events` and friends, which never block. A worker thread turns
each wakeup's worth of batches into rows and sends them to a writer process, which
commits them in one transaction with ``executemany``, the fastest way SQLite appends from
Python.

Why a process: SQLite's Python binding takes the interpreter lock back after every row,
so a writer thread competes with the event loop for one core; measured, a busy event loop
cut a writer thread to a fifth of its rate and the writer slowed the loop in turn. The
process has its own interpreter and core. Where a process cannot be started, the thread
writes itself, as it always could. (A script that makes a LogWriter needs the usual
``if __name__ == "__main__":`` guard: the process starts by importing the main module.)

Nothing is dropped: if a write fails (disk full, database locked for too long), the batch
stays queued, the error is kept in :attr:`last_error`, and the write is retried. Producers
keep memory bounded by waiting on :meth:`wait_for_room` while :attr:`backlog` is above
their limit: that is how a fast source slows down instead of losing events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import multiprocessing
import signal
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope, now
from monitor.core.eventlog import (
    INSERT_DEAD_LETTER,
    INSERT_EVENT,
    INSERT_PROCESSED,
    KEEP_ALL,
    RETENTION_CHUNK,
    EventLog,
    Retention,
    dead_letter_row,
    event_row,
)
from monitor.core.logschema import BUSY_TIMEOUT_MS, connect, corr_key_condition

log = logging.getLogger(__name__)

_RETRY_AFTER_ERROR = 0.25  # doubled per failure in a row, up to _MAX_RETRY_DELAY
_MAX_RETRY_DELAY = 5.0
_RETENTION_EVERY = 30.0  # seconds between the starts of two retention passes
_RETENTION_ON_CLOSE = 5.0  # seconds a closing writer goes on with retention, at most
_GIVE_UP_ON_CLOSE = 10.0  # seconds of failed writes after close() before the thread gives up
_CHUNK_ROWS = 2_000  # rows per message to the writer process
# A transaction waits at most the busy timeout for a lock; far longer means it hangs.
_REPLY_TIMEOUT = 120.0
_FAILED_STARTS = 3  # processes in a row that died before answering: then write on the thread

Rows = list[tuple[Any, ...]]


def _append(conn: sqlite3.Connection, events: Rows, letters: Rows, processed: Rows) -> None:
    """Insert rows, in the transaction it opens if none is open yet."""
    if not conn.in_transaction:
        conn.execute("BEGIN")
    if events:
        conn.executemany(INSERT_EVENT, events)
    if letters:
        conn.executemany(INSERT_DEAD_LETTER, letters)
    if processed:
        conn.executemany(INSERT_PROCESSED, processed)


def _transaction(conn: sqlite3.Connection, events: Rows, letters: Rows, processed: Rows) -> None:
    """Append the rows in one transaction: all of them or none."""
    if conn.in_transaction:  # left open by a COMMIT that failed: its rows are retried now
        conn.execute("ROLLBACK")
    try:
        _append(conn, events, letters, processed)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# A chunk is one byte saying whether it ends its transaction, then its rows (marshal).
_MORE, _LAST, _STOP = b"C", b"L", b"S"
_UNBINDABLE = "unbindable: "  # starts the answer to a transaction with a value SQLite refused


def _encode(rows: Rows, letters: Rows, processed: Rows) -> bytes:
    """Rows for the writer process. marshal is several times faster than pickle for
    tuples of plain values; a row with a value of another type (a str subclass, say)
    goes as the plain type SQLite would store for it."""
    try:
        return marshal.dumps((rows, letters, processed))
    except ValueError:
        return marshal.dumps((_plain_rows(rows), _plain_rows(letters), _plain_rows(processed)))


def _plain_rows(rows: Rows) -> Rows:
    return [tuple(map(_plain, r)) for r in rows]


_PLAIN_TYPES = frozenset({str, int, float, bytes, type(None)})


def _plain(value: Any) -> Any:
    """A column value as the plain type SQLite stores for it (a str subclass as str...)."""
    if type(value) in _PLAIN_TYPES:
        return value
    for kind in (str, float, int):  # bool is an int, as SQLite stores it
        if isinstance(value, kind):
            return kind(value) if kind is not str else str.__str__(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value)


def _serve(path: str, busy_timeout_ms: int, channel: Connection) -> None:
    """The writer process: commit each transaction's rows, answer b"" or the error's text.

    A transaction arrives as one or more chunks; the answer comes after the last one.
    Ends when told to or when the parent's end of the pipe closes, so a parent that died
    does not leave it behind."""
    # Ctrl-C in a terminal reaches the whole process group: the app decides when the
    # writer stops (it finishes what is queued first), not the keyboard.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn: sqlite3.Connection | None = None
    failure: str | None = None
    try:
        while True:
            try:
                blob = channel.recv_bytes()
            except (EOFError, OSError):
                return
            kind = blob[:1]
            if kind == _STOP:
                with contextlib.suppress(OSError):
                    channel.send_bytes(b"+")
                return
            try:
                events, letters, processed = marshal.loads(blob[1:])
                if conn is None:  # here, so that a file it cannot open is reported
                    conn = connect(path)
                    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
                if failure is None:
                    _append(conn, events, letters, processed)
                    if kind == _LAST:
                        conn.execute("COMMIT")
            except Exception as exc:
                failure = f"{exc}" or type(exc).__name__
                if isinstance(exc, sqlite3.InterfaceError | sqlite3.ProgrammingError):
                    failure = _UNBINDABLE + failure  # the sender can convert and resend
                if conn is not None and conn.in_transaction:
                    conn.execute("ROLLBACK")
            if kind == _LAST:
                answer = b"+" if failure is None else b"-" + failure.encode("utf-8", "replace")
                try:
                    channel.send_bytes(answer)
                except OSError:  # the parent is gone
                    return
                failure = None
    finally:
        if conn is not None:
            conn.close()


class Unbindable(sqlite3.OperationalError):
    """The writer process rolled a transaction back: SQLite refused one of its values."""


class ProcessGone(sqlite3.OperationalError):
    """The writer process died or hung; ``replied`` says whether it ever answered."""

    def __init__(self, message: str, replied: bool) -> None:
        super().__init__(message)
        self.replied = replied


class _WriterProcess:
    """The parent's handle on a :func:`_serve` process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.replied = False  # answered at least once: it started and works
        context = multiprocessing.get_context("spawn")  # fork is unsafe with threads
        self._channel, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(path, BUSY_TIMEOUT_MS, child_end),
            name="eventflow-log-writer",
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self._dead = False

    @property
    def alive(self) -> bool:
        return not self._dead and self._process.is_alive()

    def write(
        self,
        events: Sequence[Envelope],
        at: float,
        letters: Rows,
        processed: Rows,
        *,
        plain: bool = False,
    ) -> None:
        """Commit the events, dead-letter rows and processed marks in one transaction in
        the writer process; raises what went wrong (:class:`Unbindable` for a value SQLite
        refused: ``plain`` then sends every value as the plain type SQLite stores)."""
        if plain:
            letters, processed = _plain_rows(letters), _plain_rows(processed)
        watchdog = self._watchdog(_REPLY_TIMEOUT)
        sent_any = sent_last = False
        try:
            # In chunks, each made into rows just before it is sent: the process inserts
            # one chunk while this thread prepares the next, and no single encode call
            # holds the interpreter lock for a whole backlog.
            last = max(0, len(events) - 1) // _CHUNK_ROWS * _CHUNK_ROWS
            for start in range(0, last + 1, _CHUNK_ROWS):
                rows = [event_row(e, at) for e in events[start : start + _CHUNK_ROWS]]
                if plain:
                    rows = _plain_rows(rows)
                if start < last:
                    self._channel.send_bytes(_MORE + _encode(rows, [], []))
                else:
                    self._channel.send_bytes(_LAST + _encode(rows, letters, processed))
                sent_any = True
                sent_last = start == last
            reply = self._reply()
        except BaseException as exc:
            if not sent_any:  # nothing reached the process: it is fine as it is
                raise
            # The process may hold half a transaction: ending it rolls that back, and
            # the caller's retry starts a new one from the first row.
            self.kill()
            if sent_last and events and _committed(self.path, events[-1], at):
                return  # it died after its COMMIT, before it could say so
            if isinstance(exc, EOFError | OSError | TimeoutError):
                raise ProcessGone(
                    "the log writer process stopped answering; starting a new one",
                    self.replied,
                ) from exc
            raise
        finally:
            watchdog.cancel()
        self.replied = True
        if reply[:1] != b"+":
            message = reply[1:].decode("utf-8", "replace") or "write failed"
            if message.startswith(_UNBINDABLE):
                raise Unbindable(message.removeprefix(_UNBINDABLE))
            raise sqlite3.OperationalError(message)

    def _watchdog(self, seconds: float) -> threading.Timer:
        """A timer that kills the process after ``seconds`` unless cancelled: a process
        that hangs (stopped, stuck in I/O) would block a send or the wait for its answer
        for ever, and killing it ends either."""
        timer = threading.Timer(seconds, self.kill)
        timer.daemon = True
        timer.start()
        return timer

    def _reply(self) -> bytes:
        """The process's answer; EOFError if it died."""
        while not self._channel.poll(0.5):
            if not self._process.is_alive() and not self._channel.poll(0):
                raise EOFError("the log writer process ended")
        return self._channel.recv_bytes()

    def kill(self) -> None:
        self._dead = True
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5.0)

    def stop(self) -> None:
        if not self._dead:
            watchdog = self._watchdog(10.0)
            try:
                self._channel.send_bytes(_STOP)
                self._reply()
            except (EOFError, OSError):
                pass
            finally:
                watchdog.cancel()
        self._process.join(5.0)
        if self._process.is_alive():
            self.kill()
        self._channel.close()


def _committed(path: str, event: Envelope, at: float) -> bool:
    """Whether ``event`` was logged by the write attempt of time ``at`` (``logged_at`` is
    unique to one attempt, and the lookup uses the correlation index)."""
    try:
        conn = connect(path)
    except Exception:
        return False
    try:
        keys, params = corr_key_condition(conn, event.correlation_id or event.id)
        found = conn.execute(
            f"SELECT 1 FROM events WHERE {keys} AND id = ? AND logged_at = ? LIMIT 1",
            (*params, event.id, at),
        ).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return found is not None


class LogWriter:
    """Appends events, dead letters and processed marks to the log, off the event loop.

    ``retention`` says how much of the log to keep: the worker applies it after its first
    write, every ``_RETENTION_EVERY`` seconds of writing, and when it closes. With
    ``separate_process`` false, the worker thread writes itself.
    """

    def __init__(
        self,
        path: str,
        *,
        retention: Retention = KEEP_ALL,
        separate_process: bool = True,
    ) -> None:
        if separate_process and getattr(multiprocessing.current_process(), "_inheriting", False):
            raise RuntimeError(
                "A LogWriter was created while a process was starting up: the script that "
                'creates it needs an `if __name__ == "__main__":` guard.'
            )
        EventLog(path).close()  # creates and migrates the file before the thread starts
        self.path = path
        self.separate_process = separate_process
        self.retention = retention
        self.written = 0
        self.deleted = 0  # events retention deleted, this writer's life long (its thread's)
        # Events handed to submit_events: once ``written`` reaches a value read here,
        # everything submitted before is committed (and its envelopes read for the last
        # time: monitor.ui's late decoding changes them in place only then).
        self.submitted = 0
        self.last_error: str | None = None
        self._events: deque[Sequence[Envelope]] = deque()
        self._letters: deque[DeadLetter] = deque()
        self._processed: deque[tuple[str, str, float]] = deque()
        self._backlog = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._idle = True
        self._process: _WriterProcess | None = None  # these three: the worker thread's only
        self._failed_starts = 0
        self._conn: sqlite3.Connection | None = None
        self._retention_log: EventLog | None = None  # opened by the first retention pass
        self._thread = threading.Thread(target=self._run, name="eventflow-log-writer", daemon=True)
        self._thread.start()

    # -- producer side (any thread, never blocks) -------------------------------------

    @property
    def backlog(self) -> int:
        """Events submitted and not yet committed."""
        return self._backlog

    def submit_events(self, events: Sequence[Envelope]) -> None:
        if not events:
            return
        with self._cond:
            self._events.append(events)
            self._backlog += len(events)
            self.submitted += len(events)
            self._idle = False
            self._cond.notify()

    def submit_dead_letter(self, letter: DeadLetter) -> None:
        with self._cond:
            self._letters.append(letter)
            self._idle = False
            self._cond.notify()

    def submit_processed(self, handler: str, event_id: str) -> None:
        with self._cond:
            self._processed.append((handler, event_id, now()))
            self._idle = False
            self._cond.notify()

    async def wait_for_room(self, limit: int) -> None:
        """Wait (without blocking the loop) until the backlog is at most ``limit``."""
        delay = 0.001
        while self._backlog > limit and self._thread.is_alive():
            await asyncio.sleep(delay)
            delay = min(0.05, delay * 2)

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything submitted so far is committed; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._idle and self._thread.is_alive():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining if remaining is not None else 0.5)
        return self._backlog == 0  # not so when the thread gave up on a failing log

    def close(self, timeout: float | None = 30.0) -> bool:
        """Write what is queued, then stop the thread. False (and :attr:`last_error`
        says why) when events were left unwritten."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
        if self._thread.is_alive() or self._backlog:
            self.last_error = f"{self._backlog} events were not written to the event log" + (
                f" ({self.last_error})" if self.last_error else ""
            )
            log.error("%s", self.last_error)
            return False
        return True

    # -- the writer thread ------------------------------------------------------------

    def _run(self) -> None:
        if self.separate_process:  # started now, so the first events do not wait for it
            self._process = self._start_process()
        retention = _RetentionPasses(self.retention, self._delete_oldest)
        failing_since: float | None = None
        failures = 0  # in a row
        try:
            while True:
                with self._cond:
                    while not (self._events or self._letters or self._processed):
                        self._idle = True
                        self._cond.notify_all()
                        # Nothing to write: close, or go on with a retention pass
                        # (outside the lock: producers must not wait for deletes).
                        if self._stopping or retention.under_way:
                            break
                        self._cond.wait(1.0)
                    batches = list(self._events)
                    letters = list(self._letters)
                    processed = list(self._processed)
                if not (batches or letters or processed):
                    if self._stopping:
                        retention.finish(_RETENTION_ON_CLOSE)
                        return
                    retention.step()
                    continue
                try:
                    self._write(batches, letters, processed)
                except Exception as exc:  # keep the data, say why, try again
                    self.last_error = f"writing to the event log failed: {exc}"
                    log.error("%s (will retry)", self.last_error)
                    if isinstance(exc, ProcessGone) and not exc.replied:
                        self._failed_starts += 1
                        if self._failed_starts >= _FAILED_STARTS:
                            # It dies before it ever answers (a damaged installation,
                            # say): write here rather than start it again and again.
                            log.error("the log writer process does not start; writing here")
                            self.separate_process = False
                    failing_since = failing_since or time.monotonic()
                    if self._stopping and time.monotonic() - failing_since > _GIVE_UP_ON_CLOSE:
                        log.error("closing with %d events not written", self._backlog)
                        return
                    # Each retry encodes and sends the whole backlog again: back off while
                    # the failure lasts (a full disk does not clear in half a second).
                    failures += 1
                    time.sleep(min(_MAX_RETRY_DELAY, _RETRY_AFTER_ERROR * 2 ** min(failures, 8)))
                    continue
                self.last_error = None
                failing_since = None
                failures = 0
                self._failed_starts = 0
                written = sum(len(b) for b in batches)
                with self._cond:
                    for _ in batches:
                        self._events.popleft()
                    for _ in letters:
                        self._letters.popleft()
                    for _ in processed:
                        self._processed.popleft()
                    self._backlog -= written
                    if not (self._events or self._letters or self._processed):
                        # All committed: flush() returns now, not after the deletes.
                        self._idle = True
                        self._cond.notify_all()
                self.written += written
                retention.wrote(written)
                retention.step()
        finally:
            # Each closed whatever the others do: the last lines must run, or flush()
            # and close() would only notice through their polling that the thread ended.
            closers = (
                self._process.stop if self._process is not None else None,
                self._conn.close if self._conn is not None else None,
                self._retention_log.close if self._retention_log is not None else None,
            )
            for close in closers:
                if close is not None:
                    with contextlib.suppress(Exception):
                        close()
            with self._cond:
                self._idle = True
                self._cond.notify_all()

    def _write(
        self,
        batches: list[Sequence[Envelope]],
        letters: list[DeadLetter],
        processed: list[tuple[str, str, float]],
    ) -> None:
        at = now()
        letter_rows = [dead_letter_row(d) for d in letters]
        process = self._live_process()
        if process is not None:
            events = [e for batch in batches for e in batch]
            try:
                process.write(events, at, letter_rows, list(processed))
            except Unbindable:
                # A value SQLite cannot bind (a dict as subject, from careless code):
                # stored as text, as below, rather than failing for ever.
                process.write(events, at, letter_rows, list(processed), plain=True)
            return
        rows = [event_row(e, at) for batch in batches for e in batch]
        if self._conn is None:
            self._conn = connect(self.path)
            self._conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            _transaction(self._conn, rows, letter_rows, list(processed))
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError):
            # A value SQLite cannot bind (a dict as subject, say, from careless code):
            # stored as text, as the writer process stores it, rather than blocking the
            # queue behind it for ever.
            _transaction(
                self._conn, _plain_rows(rows), _plain_rows(letter_rows), _plain_rows(processed)
            )

    def _delete_oldest(self, keep: Retention, limit: int) -> int:
        """A step of a retention pass, on this thread between two writes (SQLite lets go
        of the interpreter lock while it deletes, so the event loop runs meanwhile).

        One connection serves every step, so its page cache keeps the parts of the
        indexes the deletes touch from one step to the next."""
        if self._retention_log is None:
            self._retention_log = EventLog(self.path)
        try:
            deleted = self._retention_log.apply_retention(
                max_events=keep.max_events, max_age_seconds=keep.max_age_seconds, limit=limit
            )
            self.deleted += deleted
            return deleted
        except Exception:  # the next pass starts from a new connection
            self._retention_log.close()
            self._retention_log = None
            raise

    def _live_process(self) -> _WriterProcess | None:
        """The writer process, started again if it died; None when writing here."""
        if self.separate_process and (self._process is None or not self._process.alive):
            self._process = self._start_process()
        return self._process if self.separate_process else None

    def _start_process(self) -> _WriterProcess | None:
        if self._process is not None:
            self._process.stop()
        try:
            return _WriterProcess(self.path)
        except Exception as exc:  # e.g. no way to start processes here: write ourselves
            log.warning("no log writer process (%s); writing on a thread instead", exc)
            self.separate_process = False
            return None


class _RetentionPasses:
    """The writer thread's retention: a pass when one is due, done one chunk of deletes
    at a time between writes, so that a pass over a busy log (seconds of deletes) never
    stops the writing for more than one chunk (~0.15 s). ``delete`` does one chunk and
    says how many events it deleted.

    The first pass follows the first write: a log over its limit from an earlier run is
    trimmed at once, not half a minute later (or never, in a short run)."""

    def __init__(self, keep: Retention, delete: Callable[[Retention, int], int]) -> None:
        self.keep = keep
        self.delete = delete
        self.enabled = keep.max_events is not None or keep.max_age_seconds is not None
        self.under_way = False
        self._last_start = float("-inf")
        self._written_since = False  # events were written since the last pass started
        self._owed = 0  # events written since the last step of the pass under way

    def wrote(self, events: int) -> None:
        self._written_since = True
        if self.under_way:
            self._owed += events

    def step(self) -> None:
        """Start a pass if one is due, and delete the next chunk of the pass under way."""
        if not self.enabled:
            return
        if not self.under_way:
            if time.monotonic() - self._last_start <= _RETENTION_EVERY:
                return
            self._last_start = time.monotonic()
            self._written_since = False
            self._owed = 0
        # At least as many as were written since the last step: one chunk per write
        # would let a flood of more than a chunk per write outgrow the limit for ever.
        limit, self._owed = max(RETENTION_CHUNK, self._owed), 0
        try:
            self.under_way = self.delete(self.keep, limit) >= limit
        except Exception as exc:  # the next pass tries again
            log.warning("retention pass failed: %s", exc)
            self.under_way = False

    def finish(self, seconds: float) -> None:
        """On close: the pass under way, or one over what was written since the last,
        so that the log ends within its limits; for at most ``seconds``, then it stops
        (the next run's first pass goes on)."""
        if not self.enabled or not (self._written_since or self.under_way):
            return
        deadline = time.monotonic() + seconds
        if not self.under_way:
            self._last_start = float("-inf")  # due now
        self.step()
        while self.under_way and time.monotonic() < deadline:
            self.step()
