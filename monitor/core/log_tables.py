"""What every keeper of tables beside the events shares: one connection to the event log,
migrated on open, used by one thread at a time, with write transactions that say what
could not be written.

:class:`LogTables` is subclassed by the history, the alerts and the catalog; each adds
its own queries. Blocking (SQLite): hosts call them from a worker thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from monitor.core.logschema import LogError, connect, migrate


class LogTables:
    """A connection to the log at ``path`` (created and migrated if needed). ``what``
    names the tables in error messages ("the history", "the alerts")."""

    what = "the tables"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = connect(self.path)
        try:
            migrate(self._conn, self.path)
        except BaseException:
            self._conn.close()
            raise
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (rolled back when the body raises); a log that cannot be
        written raises :class:`LogError` saying which tables."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise LogError(
                    f"{self.what.capitalize()} in {self.path} cannot be written: {exc}"
                ) from exc
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
