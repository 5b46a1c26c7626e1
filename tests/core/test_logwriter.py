"""The log writer: batches committed off-thread, nothing lost on close or on a failed write."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from monitor.core import logwriter
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog, Retention
from monitor.core.logwriter import LogWriter


def batch(n: int, tag: str = "") -> list[Envelope]:
    return [
        Envelope(type="OrderPlaced", source="test", topic="orders.placed", subject=f"{tag}{i}")
        for i in range(n)
    ]


def count(db: Path) -> int:
    with EventLog(db) as log:
        return log.count_events()


def log_then_select(
    tmp_path: Path, events: list[Envelope], separate_process: bool, query: str
) -> list[tuple[object, ...]]:
    """Log ``events`` with a writer of that kind, expect no error, return ``query``'s rows."""
    db = tmp_path / "log.db"
    writer = LogWriter(str(db), separate_process=separate_process)
    try:
        writer.submit_events(events)
        assert writer.flush(timeout=30)
        assert writer.last_error is None
    finally:
        writer.close()
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


def signal_writer_process(writer: LogWriter, sig: int) -> logwriter._WriterProcess:
    """Send ``sig`` to the writer's current process; returns that process's handle."""
    import os

    process = writer._process
    assert process is not None and process._process.pid is not None
    os.kill(process._process.pid, sig)
    return process


@pytest.mark.parametrize("separate_process", [True, False], ids=["process", "thread"])
def test_every_submitted_batch_is_committed_after_flush(
    tmp_path: Path, separate_process: bool
) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db), separate_process=separate_process)
    try:
        sent = [batch(500, f"b{b}-") for b in range(20)]
        for b in sent:
            writer.submit_events(b)
        writer.submit_events([])  # ignored
        assert writer.flush(timeout=30)
        assert writer.backlog == 0
        assert writer.written == 10_000
        assert writer.last_error is None
        with EventLog(db) as log:
            assert log.count_events() == 10_000
            # batches are appended in submit order
            newest = log.events(limit=1)[0]
            assert newest.subject == "b19-499"
    finally:
        writer.close()


def test_dead_letters_and_processed_marks_are_written_too(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    event = batch(1)[0]
    letter = DeadLetter(event=event, reason="Boom", original_topic="orders.placed")
    try:
        writer.submit_events([event])
        writer.submit_dead_letter(letter)
        writer.submit_processed("shipping", event.id)
        assert writer.flush(timeout=10)
    finally:
        writer.close()
    with EventLog(db) as log:
        assert log.dead_letter(letter.id).event.id == event.id
        assert log.is_processed("shipping", event.id)
        assert not log.is_processed("warehouse", event.id)


def test_close_writes_everything_still_queued(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    for i in range(50):
        writer.submit_events(batch(200, f"{i}-"))
    writer.close()  # no flush first
    assert writer.backlog == 0
    assert count(db) == 10_000


def test_wait_for_room_returns_once_the_backlog_has_shrunk(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        for _ in range(20):
            writer.submit_events(batch(1000))

        async def main() -> None:
            await asyncio.wait_for(writer.wait_for_room(100), 30)

        asyncio.run(main())
        assert writer.backlog <= 100
        assert writer.flush(timeout=30)
        assert writer.backlog == 0
    finally:
        writer.close()
    assert count(db) == 20_000


@pytest.mark.parametrize("separate_process", [True, False], ids=["process", "thread"])
def test_a_failed_write_sets_last_error_and_nothing_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, separate_process: bool
) -> None:
    # The writer gives up on a lock after 50 ms instead of 10 s, so the failure shows
    # quickly; everything else is the real writer.
    monkeypatch.setattr(logwriter, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(logwriter, "_RETRY_AFTER_ERROR", 0.02)
    db = tmp_path / "log.db"
    writer = LogWriter(str(db), separate_process=separate_process)
    try:
        writer.submit_events(batch(10, "before-"))
        assert writer.flush(timeout=10)

        blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        release = threading.Timer(0.3, blocker.execute, args=("COMMIT",))
        try:
            writer.submit_events(batch(100, "during-"))
            writer.submit_events(batch(100, "during2-"))
            wait_for(lambda: writer.last_error is not None)
            assert "locked" in (writer.last_error or "")
            assert writer.backlog == 200
            assert not writer.flush(timeout=0.2)  # still not written
            writer.submit_events(batch(50, "queued-while-failing-"))
            release.start()
            assert writer.flush(timeout=30)  # returns once the lock is gone and all is written
        finally:
            release.cancel()
            if release.is_alive():
                release.join()
            if blocker.in_transaction:
                blocker.execute("ROLLBACK")
            blocker.close()
        assert writer.backlog == 0
        assert writer.last_error is None
        assert writer.written == 260
    finally:
        writer.close()
    with EventLog(db) as log:
        subjects = [e.subject or "" for e in log.events(limit=1000)]
    assert len(subjects) == 260
    assert len(set(subjects)) == 260  # each event exactly once: a failed batch is not doubled


def test_the_writer_applies_retention_as_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logwriter, "_RETENTION_EVERY", 0.0)  # a pass after every write
    db = tmp_path / "log.db"
    writer = LogWriter(str(db), retention=Retention(max_events=100))
    try:
        for i in range(5):
            writer.submit_events(batch(100, f"{i}-"))
            assert writer.flush(timeout=10)
    finally:
        writer.close()
    with EventLog(db) as log:
        kept = [e.subject for e in log.events(limit=1000)]
    assert kept == [f"4-{i}" for i in range(99, -1, -1)]


def test_a_log_over_its_limit_is_trimmed_after_the_first_write_and_on_close(
    tmp_path: Path,
) -> None:
    # A log left over its limit by an earlier run (or a run with no limit) is trimmed
    # at once, and the writer's last act keeps the log within the limit: with a pass only
    # every half minute, a short run never trimmed anything.
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        log.append(batch(500, "old-"))
    writer = LogWriter(str(db), retention=Retention(max_events=100))
    try:
        writer.submit_events(batch(10, "first-"))
        assert writer.flush(timeout=10)  # written; the pass follows at once
        assert _wait_for_count(db, 100)
        for i in range(3):
            writer.submit_events(batch(100, f"{i}-"))
        assert writer.flush(timeout=10)
        assert _count(db) == 400  # no second pass within 30 s of the first
    finally:
        assert writer.close()
    with EventLog(db) as log:
        kept = [e.subject for e in log.events(limit=1000)]
    assert kept == [f"2-{i}" for i in range(99, -1, -1)]


def test_a_long_retention_pass_goes_in_chunks_between_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pass of many chunks goes on while the writer has nothing to write, and events
    # submitted meanwhile are written between two chunks, not after the whole pass.
    monkeypatch.setattr(logwriter, "RETENTION_CHUNK", 50)
    steps: list[int] = []
    real = EventLog.apply_retention

    def slow_step(self: EventLog, **kwargs: Any) -> int:
        time.sleep(0.05)  # 19 steps: about a second for the whole pass
        steps.append(real(self, **kwargs))
        return steps[-1]

    monkeypatch.setattr(EventLog, "apply_retention", slow_step)
    db, writer = _writer_of_a_log_over_its_limit(tmp_path)
    try:
        writer.submit_events(batch(10, "first-"))
        assert writer.flush(timeout=10)
        writer.submit_events(batch(10, "second-"))
        assert writer.flush(timeout=10)
        assert _count(db) > 100  # written while the pass is still under way
        _wait_for_count(db, 100)
    finally:
        assert writer.close()
    assert max(steps) == 50 and len(steps) >= 19
    with EventLog(db) as log:
        subjects = [e.subject or "" for e in log.events(limit=1000)]
    assert len(subjects) == 100
    assert subjects[:20] == [f"second-{i}" for i in range(9, -1, -1)] + [
        f"first-{i}" for i in range(9, -1, -1)
    ]


def test_flush_returns_once_written_without_waiting_for_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = LogWriter._delete_oldest
    limits: list[int] = []
    release = threading.Event()  # holds every delete step until the test lets it go

    def held_delete(self: LogWriter, keep: Retention, limit: int) -> int:
        limits.append(limit)
        release.wait(30)
        return real(self, keep, limit)

    monkeypatch.setattr(LogWriter, "_delete_oldest", held_delete)
    monkeypatch.setattr(logwriter, "RETENTION_CHUNK", 10)
    _, writer = _writer_of_a_log_over_its_limit(tmp_path)
    try:
        writer.submit_events(batch(10, "first-"))
        # Written, while the first delete step is held: a flush that waited for it would
        # wait for release (30 s) and report False here.
        assert writer.flush(timeout=10)
        assert not release.is_set()
        wait_for(lambda: bool(limits))  # the step the write set off
        release.set()
        # A pass is under way: a write bigger than a chunk is deleted in full by the next
        # step, or a flood of more than a chunk per write would outgrow the limit.
        writer.submit_events(batch(300, "flood-"))
        assert writer.flush(timeout=10)
        wait_for(lambda: 300 in limits)
    finally:
        release.set()
        writer.close()


def _writer_of_a_log_over_its_limit(tmp_path: Path) -> tuple[Path, LogWriter]:
    """A log of 1,000 events and a writer (on its thread) told to keep 100."""
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        log.append(batch(1000, "old-"))
    return db, LogWriter(str(db), retention=Retention(max_events=100), separate_process=False)


def _wait_for_count(db: Path, n: int, within: float = 10.0) -> bool:
    """Whether the log holds ``n`` events within ``within`` seconds (retention's pass
    goes on after flush() returned)."""
    deadline = time.monotonic() + within
    while _count(db) != n and time.monotonic() < deadline:
        time.sleep(0.02)
    return _count(db) == n


def _count(db: Path) -> int:
    with EventLog(db) as log:
        return log.count_events()


def test_a_writer_process_that_dies_is_replaced_and_nothing_is_lost(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        writer.submit_events(batch(100, "first-"))
        assert writer.flush(timeout=30)
        process = writer._process
        assert process is not None and process.alive  # the rows went through a process
        process._process.kill()
        process._process.join(5)
        writer.submit_events(batch(100, "second-"))
        assert writer.flush(timeout=30)
        assert writer._process is not process and writer._process is not None
        assert writer.written == 200
        assert writer.last_error is None
    finally:
        writer.close()
    with EventLog(db) as log:
        subjects = {e.subject for e in log.events(limit=1000)}
    assert subjects == {f"first-{i}" for i in range(100)} | {f"second-{i}" for i in range(100)}


@pytest.mark.parametrize("separate_process", [True, False], ids=["process", "thread"])
def test_values_sqlite_or_the_process_channel_cannot_carry_as_is_are_logged_all_the_same(
    tmp_path: Path, separate_process: bool
) -> None:
    import enum
    from datetime import UTC, datetime

    from monitor.core.json_text import to_json

    class Kind(enum.StrEnum):
        PLACED = "OrderPlaced"

    when = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    events = [
        Envelope(type=Kind.PLACED, source="test", data={"at": when}),  # a str subclass column
        Envelope(type="OrderPlaced", source="test", data={"n": 2**70, "nested": [[1.5]]}),
        # A column value SQLite cannot bind at all, from careless code.
        Envelope(type="OrderPlaced", source="test", subject={"sku": 7}),  # type: ignore[arg-type]
        *batch(3, "after-"),
    ]
    query = "SELECT type, subject, data FROM events ORDER BY seq"
    rows = log_then_select(tmp_path, events, separate_process, query)
    assert rows[:3] == [
        ("OrderPlaced", None, to_json({"at": when})),
        ("OrderPlaced", None, to_json({"n": 2**70, "nested": [[1.5]]})),
        ("OrderPlaced", "{'sku': 7}", None),
    ]
    assert [r[1] for r in rows[3:]] == ["after-0", "after-1", "after-2"]


@pytest.mark.parametrize("separate_process", [True, False], ids=["process", "thread"])
def test_a_value_sqlite_cannot_bind_in_a_batch_of_plain_ones_is_logged_as_text(
    tmp_path: Path, separate_process: bool
) -> None:
    # Nothing else in the batch needs converting, so the value reaches SQLite as it is.
    events = [
        *batch(2, "before-"),
        Envelope(type="OrderPlaced", source="test", subject={"sku": 7}),  # type: ignore[arg-type]
        *batch(2, "after-"),
    ]
    rows = log_then_select(
        tmp_path, events, separate_process, "SELECT subject FROM events ORDER BY seq"
    )
    subjects = [r[0] for r in rows]
    assert subjects == ["before-0", "before-1", "{'sku': 7}", "after-0", "after-1"]


@pytest.mark.parametrize("second", [10, 8_000], ids=["small", "bigger-than-the-pipe"])
def test_a_writer_process_that_hangs_is_replaced_and_nothing_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second: int
) -> None:
    import signal

    monkeypatch.setattr(logwriter, "_RETRY_AFTER_ERROR", 0.02)
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        writer.submit_events(batch(10, "first-"))
        assert writer.flush(timeout=30)
        # Only now: the watchdog also covers a process's start-up, slow on a busy machine.
        monkeypatch.setattr(logwriter, "_REPLY_TIMEOUT", 4.0)
        hung = signal_writer_process(writer, signal.SIGSTOP)  # alive, and answers nothing
        # 8,000 events make several chunks: a send to the stopped process would block.
        writer.submit_events(batch(second, "second-"))
        assert writer.flush(timeout=60)
        assert not hung.alive
        assert writer.written == 10 + second
    finally:
        writer.close()
    with EventLog(db) as log:
        subjects = sorted(e.subject or "" for e in log.events(limit=10_000))
    assert subjects == sorted(
        [f"first-{i}" for i in range(10)] + [f"second-{i}" for i in range(second)]
    )


def test_killing_the_writer_process_mid_stream_loses_nothing_and_doubles_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import random
    import signal

    monkeypatch.setattr(logwriter, "_RETRY_AFTER_ERROR", 0.02)
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    rng = random.Random(3)
    kills = submitted = b = 0
    killed: set[int] = set()
    deadline = time.monotonic() + 120  # five kills take ~10 s here, more on a busy machine
    try:
        while kills < 5 and time.monotonic() < deadline:
            if writer.backlog < 5_000:  # a steady stream, not an ever-growing queue
                writer.submit_events(batch(500, f"{b}-"))
                submitted += 500
                b += 1
            time.sleep(0.01)
            if b % 4 == 3:  # now and then, at a moment the writer is busy or not
                time.sleep(rng.random() * 0.05)
                process = writer._process
                pid = process._process.pid if process is not None else None
                # A process that has committed before, so each kill hits a working writer.
                working = process is not None and process.alive and process.replied
                if working and pid and pid not in killed:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        killed.add(pid)
                        kills += 1
        assert writer.flush(timeout=120)
        assert writer.written == submitted
    finally:
        assert writer.close()
    assert kills == 5
    conn = sqlite3.connect(db)
    try:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT subject) FROM events"
        ).fetchone()
    finally:
        conn.close()
    assert (total, distinct) == (submitted, submitted)


@pytest.mark.parametrize("correlation", ["chain-1", "", None])
def test_a_committed_batch_is_recognised_by_its_last_event(
    tmp_path: Path, correlation: str | None
) -> None:
    # What decides whether a batch is sent again after the process died past its COMMIT:
    # it must find the event whatever its correlation id (empty included), or the batch
    # would be logged twice.
    path = tmp_path / "log.db"
    event = Envelope(type="T", source="s", correlation_id=correlation)
    with EventLog(path) as log:
        log.append([event])
        at = log._conn.execute("SELECT logged_at FROM events").fetchone()[0]
    assert logwriter._committed(str(path), event, at)
    assert not logwriter._committed(str(path), event, at + 1)


def test_ctrl_c_in_the_terminal_does_not_stop_the_writer_process(tmp_path: Path) -> None:
    import signal

    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        writer.submit_events(batch(10, "a-"))
        assert writer.flush(timeout=30)
        process = signal_writer_process(writer, signal.SIGINT)
        time.sleep(0.3)
        writer.submit_events(batch(10, "b-"))
        assert writer.flush(timeout=30)
        assert writer._process is process and process.alive
    finally:
        assert writer.close()
    assert count(db) == 20


def test_a_process_that_dies_before_it_answers_makes_the_thread_write_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setattr(logwriter, "_serve", os._exit)  # the child ends at once
    monkeypatch.setattr(logwriter, "_RETRY_AFTER_ERROR", 0.02)
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        writer.submit_events(batch(100))
        assert writer.flush(timeout=60)
        assert not writer.separate_process
        assert writer.last_error is None
    finally:
        assert writer.close()
    assert count(db) == 100


def test_a_writer_made_while_a_process_starts_up_asks_for_a_main_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(RuntimeError, match="__main__"):
        LogWriter(str(tmp_path / "log.db"))


def test_a_process_that_dies_after_its_commit_but_before_its_answer_is_not_written_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_reply = logwriter._WriterProcess._reply
    calls = [0]

    def answer_lost(self: logwriter._WriterProcess) -> bytes:
        calls[0] += 1
        if calls[0] > 1:
            return real_reply(self)
        # The first transaction: wait until the process has committed and answered, then
        # let it die with the answer unread, as a kill right after COMMIT would.
        assert self._channel.poll(30)
        self.kill()
        raise EOFError("the log writer process ended")

    monkeypatch.setattr(logwriter._WriterProcess, "_reply", answer_lost)
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        writer.submit_events(batch(100, "once-"))
        assert writer.flush(timeout=30)
        assert writer.last_error is None
        writer.submit_events(batch(10, "next-"))
        assert writer.flush(timeout=30)
    finally:
        assert writer.close()
    assert calls[0] >= 2  # the first answer was lost, the next write went through
    assert count(db) == 110


@pytest.mark.parametrize("separate_process", [True, False], ids=["process", "thread"])
def test_ids_given_as_numbers_are_logged_and_block_nothing(
    tmp_path: Path, separate_process: bool
) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db), separate_process=separate_process)
    try:
        odd = Envelope(type="OrderPlaced", source="test", subject="odd")
        odd.id = 12345  # type: ignore[assignment]  # what careless code may hand over
        odd.correlation_id = 678  # type: ignore[assignment]
        writer.submit_events([odd, *batch(5, "after-")])
        assert writer.flush(timeout=30)
        assert writer.last_error is None
    finally:
        assert writer.close()
    assert count(db) == 6
