"""A damaged event log: telling it apart from other reasons a log cannot be opened, and
setting it aside so that a new one can start.

Setting aside renames, never deletes: ``eventflow.db`` becomes
``eventflow.db.corrupt-20261206T031500Z`` in the same folder (with its ``-wal`` and
``-shm`` files renamed the same way, so SQLite still reads them together), and whoever
looks into why it broke has it whole.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

# SQLite's names for "this file is not (or no longer) a readable database".
_DAMAGE = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
COMPANIONS = ("-wal", "-shm", "-journal")


def is_damage(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) says the log file itself is
    damaged or is not a database at all. A read-only file, a missing folder or a log of a
    newer version are not damage: setting such a file aside would not help."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.DatabaseError):
            name = str(getattr(current, "sqlite_errorname", ""))
            if name.startswith(_DAMAGE):
                return True
        current = current.__cause__ or current.__context__
    return False


def aside_path(path: Path, at: datetime | None = None) -> Path:
    """``<name>.corrupt-<UTC time>`` beside ``path``; ``-2``, ``-3``... when that is taken."""
    stamp = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while aside.exists():
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return aside


def set_aside(path: Path, at: datetime | None = None) -> Path:
    """Rename the log at ``path`` and its SQLite companion files out of the way; return
    the new name of the log. Raises ``OSError`` when one of them cannot be renamed; what
    was renamed is then put back, so a new log never starts beside an old ``-wal`` file
    (SQLite would read it as the new log's)."""
    aside = aside_path(path, at)
    moved: list[tuple[Path, Path]] = []
    try:
        for suffix in ("", *COMPANIONS):
            source = path.with_name(path.name + suffix)
            if suffix and not source.exists():
                continue
            target = aside.with_name(aside.name + suffix)
            os.replace(source, target)
            moved.append((source, target))
    except OSError:
        for source, target in reversed(moved):
            # As much as can be put back is; the error raised says what failed.
            with contextlib.suppress(OSError):
                os.replace(target, source)
        raise
    return aside
