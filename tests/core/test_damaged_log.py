"""A damaged log told apart from other failures, and set aside whole, companions included."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.core.damaged_log import aside_path, is_damage, set_aside
from monitor.core.eventlog import EventLog
from monitor.core.logschema import LogError

AT = datetime(2026, 12, 6, 3, 15, 0, tzinfo=UTC)


def open_error(path: Path) -> Exception:
    """What opening the log and reading its counts (as the runtime's start does) raised."""
    try:
        log = EventLog(str(path))
        try:
            log.stats()
        finally:
            log.close()
    except Exception as exc:
        return exc
    raise AssertionError(f"{path} opened as a log")


def test_a_file_that_is_not_a_database_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "eventflow.db"
    path.write_bytes(b"not a database\n" * 500)
    exc = open_error(path)
    assert isinstance(exc, LogError)
    assert is_damage(exc)


def test_a_log_with_damaged_pages_is_damage(tmp_path: Path) -> None:
    path = tmp_path / "eventflow.db"
    EventLog(str(path)).close()  # a real log, then enough pages to damage
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 2000)
    conn.commit()
    conn.close()
    with open(path, "r+b") as f:  # keep the header, ruin the pages after it
        f.seek(4096)
        f.write(os.urandom(200_000))
    exc = open_error(path)
    assert is_damage(exc), exc


def test_other_failures_are_not_damage(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    assert not is_damage(open_error(blocker / "eventflow.db"))  # cannot be made there
    assert not is_damage(ValueError("anything else"))


def test_set_aside_renames_the_log_and_its_companions_and_keeps_their_bytes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "eventflow.db"
    contents = {"": b"main", "-wal": b"wal", "-shm": b"shm"}
    for suffix, data in contents.items():
        path.with_name(path.name + suffix).write_bytes(data)
    aside = set_aside(path, AT)
    assert aside == tmp_path / "eventflow.db.corrupt-20261206T031500Z"
    for suffix, data in contents.items():
        assert not path.with_name(path.name + suffix).exists()
        assert aside.with_name(aside.name + suffix).read_bytes() == data
    # The same second again: a name of its own, the first kept.
    path.write_bytes(b"second")
    again = set_aside(path, AT)
    assert again.name == "eventflow.db.corrupt-20261206T031500Z-2"
    assert aside.read_bytes() == b"main" and again.read_bytes() == b"second"
    assert aside_path(path, AT).name.endswith("-3")


def test_set_aside_of_a_missing_log_raises_and_moves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "eventflow.db"
    wal = tmp_path / "eventflow.db-wal"
    wal.write_bytes(b"wal")
    with pytest.raises(OSError):
        set_aside(path, AT)
    assert wal.read_bytes() == b"wal"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eventflow.db-wal"]


def test_a_new_log_starts_where_the_damaged_one_was(tmp_path: Path) -> None:
    path = tmp_path / "eventflow.db"
    path.write_bytes(b"garbage" * 1000)
    set_aside(path, AT)
    log = EventLog(str(path))
    try:
        assert asyncio.run(asyncio.to_thread(log.count_events)) == 0
    finally:
        log.close()
