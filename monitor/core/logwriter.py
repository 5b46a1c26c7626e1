"""Batched, off-thread appends to the event log.

:class:`LogWriter` owns one SQLite connection on its own thread. Producers (the ingest
pipeline, on the event-loop thread) hand it whole batches with :meth:`submit_events` and
friends, which never block. The thread writes each wakeup's worth of batches in one
transaction with ``executemany``, the fastest way SQLite appends from Python.

Nothing is dropped: if a write fails (disk full, database locked for too long), the batch
stays queued, the error is kept in :attr:`last_error`, and the write is retried. Producers
keep memory bounded by waiting on :meth:`wait_for_room` while :attr:`backlog` is above
their limit: that is how a fast source slows down instead of losing events.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Sequence

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope, now
from monitor.core.eventlog import (
    INSERT_DEAD_LETTER,
    INSERT_EVENT,
    INSERT_PROCESSED,
    EventLog,
    dead_letter_row,
    event_row,
)
from monitor.core.logschema import connect

log = logging.getLogger(__name__)

_RETRY_AFTER_ERROR = 0.5
_RETENTION_EVERY = 30.0  # seconds between retention passes
_GIVE_UP_ON_CLOSE = 10.0  # seconds of failed writes after close() before the thread gives up


class LogWriter:
    """Appends events, dead letters and processed marks to the log on a worker thread."""

    def __init__(
        self,
        path: str,
        *,
        max_events: int | None = None,
        max_age_seconds: float | None = None,
    ) -> None:
        EventLog(path).close()  # creates and migrates the file before the thread starts
        self.path = path
        self.max_events = max_events
        self.max_age_seconds = max_age_seconds
        self.written = 0
        self.last_error: str | None = None
        self._events: deque[Sequence[Envelope]] = deque()
        self._letters: deque[DeadLetter] = deque()
        self._processed: deque[tuple[str, str, float]] = deque()
        self._backlog = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._idle = True
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
        return True

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, then stop the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)

    # -- the writer thread ------------------------------------------------------------

    def _run(self) -> None:
        conn = connect(self.path)
        last_retention = time.monotonic()
        failing_since: float | None = None
        try:
            while True:
                with self._cond:
                    while not (self._events or self._letters or self._processed):
                        self._idle = True
                        self._cond.notify_all()
                        if self._stopping:
                            return
                        self._cond.wait(1.0)
                    batches = list(self._events)
                    letters = list(self._letters)
                    processed = list(self._processed)
                try:
                    self._write(conn, batches, letters, processed)
                except Exception as exc:  # keep the data, say why, try again
                    self.last_error = f"writing to the event log failed: {exc}"
                    log.error("%s (will retry)", self.last_error)
                    failing_since = failing_since or time.monotonic()
                    if self._stopping and time.monotonic() - failing_since > _GIVE_UP_ON_CLOSE:
                        log.error("closing with %d events not written", self._backlog)
                        return
                    time.sleep(_RETRY_AFTER_ERROR)
                    continue
                self.last_error = None
                failing_since = None
                written = sum(len(b) for b in batches)
                with self._cond:
                    for _ in batches:
                        self._events.popleft()
                    for _ in letters:
                        self._letters.popleft()
                    for _ in processed:
                        self._processed.popleft()
                    self._backlog -= written
                self.written += written
                if time.monotonic() - last_retention > _RETENTION_EVERY:
                    last_retention = time.monotonic()
                    self._retain()
        finally:
            conn.close()
            with self._cond:
                self._idle = True
                self._cond.notify_all()

    def _write(
        self,
        conn: sqlite3.Connection,
        batches: list[Sequence[Envelope]],
        letters: list[DeadLetter],
        processed: list[tuple[str, str, float]],
    ) -> None:
        at = now()
        conn.execute("BEGIN")
        try:
            for batch in batches:
                conn.executemany(INSERT_EVENT, [event_row(e, at) for e in batch])
            if letters:
                conn.executemany(INSERT_DEAD_LETTER, [dead_letter_row(d) for d in letters])
            if processed:
                conn.executemany(INSERT_PROCESSED, processed)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _retain(self) -> None:
        if self.max_events is None and self.max_age_seconds is None:
            return
        try:
            with EventLog(self.path) as event_log:
                event_log.apply_retention(
                    max_events=self.max_events, max_age_seconds=self.max_age_seconds
                )
        except Exception as exc:
            log.warning("retention pass failed: %s", exc)
