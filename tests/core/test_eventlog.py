"""The SQLite event log: schema versioning, refusing files it must not touch, round trips,
filters, indexed chain lookups, retention, dead-letter bookkeeping and stats."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
import sqlite_utils

from monitor.core import eventlog, logschema
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter
from monitor.core.eventlog import (
    DEFAULT_KEEP_EVENTS,
    INSERT_EVENT,
    KEEP_ALL,
    EventLog,
    LogError,
    Retention,
    event_row,
)
from monitor.core.logschema import MIGRATIONS, SCHEMA_VERSION, connect


def ev(type_: str = "OrderPlaced", **kw: object) -> Envelope:
    kw.setdefault("topic", "orders.placed")
    return Envelope(type=type_, source="test", **kw)  # type: ignore[arg-type]


def letter(event: Envelope | None = None, **kw: object) -> DeadLetter:
    e = event or ev(correlation_id="corr-dl")
    kw.setdefault("reason", "Boom: failed")
    kw.setdefault("original_topic", e.topic)
    kw.setdefault("handler", "warehouse")
    return DeadLetter(event=e, **kw)  # type: ignore[arg-type]


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def open_handles(path: Path) -> int:
    """How many file descriptors of this process point at ``path`` (Linux; else 0)."""
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return 0
    count = 0
    for fd in fd_dir.iterdir():
        try:
            if os.readlink(fd) == str(path):
                count += 1
        except OSError:
            pass
    return count


# -- opening, versions, refusing files ---------------------------------------------------


def test_a_new_log_has_the_current_schema_version(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "dir" / "log.db"  # folders are created
    with EventLog(db) as log:
        assert log.count_events() == 0
    assert user_version(db) == SCHEMA_VERSION


def test_a_log_from_a_newer_schema_is_refused_with_a_message_about_upgrading(
    tmp_path: Path,
) -> None:
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        log.append([ev()])
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(LogError) as info:
        EventLog(db)
    assert "upgrade" in str(info.value).lower()
    assert "99" in str(info.value)
    assert user_version(db) == 99  # refused, not touched
    assert open_handles(db) == 0  # regression: the refused file used to stay open


def test_a_sqlite_file_that_is_not_a_log_gives_log_error_and_is_left_unchanged(
    tmp_path: Path,
) -> None:
    db = tmp_path / "other-app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.execute("INSERT INTO customers VALUES ('ada')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(LogError) as info:
        EventLog(db)
    assert "not an Eventflow Monitor log" in str(info.value)
    conn = sqlite3.connect(db)
    try:
        # regression: opening it used to switch the other app's file to WAL mode
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT name FROM customers").fetchall() == [("ada",)]
    finally:
        conn.close()
    assert db.read_bytes() == before
    assert not (tmp_path / "other-app.db-wal").exists()
    assert open_handles(db) == 0


def test_a_corrupt_file_gives_log_error_not_a_raw_sqlite_error(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.db"
    db.write_bytes(os.urandom(16384))
    with pytest.raises(LogError) as info:
        EventLog(db)
    assert str(db) in str(info.value)
    assert not isinstance(info.value, sqlite3.Error)


def test_a_log_damaged_inside_says_which_file_and_what_to_do(tmp_path: Path) -> None:
    # The header is fine, so it opens; pages in the middle are garbage (a disk fault, a
    # copy cut short). SQLite's own "database disk image is malformed" names no file.
    db = tmp_path / "damaged.db"
    with EventLog(db) as log:
        log.append([ev(data={"pad": "x" * 200}) for _ in range(5000)])
    data = bytearray(db.read_bytes())
    page = 4096
    middle = len(data) // page // 2 * page
    data[middle : middle + 8 * page] = random.Random(7).randbytes(8 * page)
    db.write_bytes(bytes(data))
    log = EventLog(db)
    try:
        with pytest.raises(LogError) as info:
            log.stats()
        message = str(info.value)
        assert f"The event log {db} is damaged" in message
        assert f"sqlite3 {db} .recover" in message and "--db" in message
        assert not isinstance(info.value, sqlite3.Error)
    finally:
        log.close()


def test_a_missing_log_without_create_gives_a_readable_log_error(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="There is no event log"):
        EventLog(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_an_empty_file_without_create_is_no_log_and_stays_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(LogError, match="is empty"):
        EventLog(empty, create=False)
    assert empty.stat().st_size == 0  # readers do not write a schema into it
    with EventLog(empty) as log:  # a writer makes it a log
        assert log.count_events() == 0


def test_two_openers_of_a_new_file_at_once_both_succeed_and_migrate_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window and a poller (or a command-line tail) opening the same new file: the one
    # that read version 0 before the other's migration committed must not run it again
    # (it used to fail with "table events already exists").
    db = tmp_path / "log.db"
    first = connect(str(db))
    first.execute("PRAGMA journal_mode=WAL")
    first.execute("BEGIN IMMEDIATE")
    MIGRATIONS[1](sqlite_utils.Database(first))
    first.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    read_version = threading.Event()
    real_schema_version = logschema.schema_version

    def schema_version(conn: sqlite3.Connection) -> int:
        version = real_schema_version(conn)
        if threading.current_thread().name == "second-opener":
            read_version.set()
        return version

    monkeypatch.setattr(logschema, "schema_version", schema_version)
    outcome: list[object] = []

    def open_second() -> None:
        try:
            with EventLog(db) as log:
                outcome.append(log.count_events())
        except Exception as exc:
            outcome.append(exc)

    second = threading.Thread(target=open_second, name="second-opener")
    second.start()
    assert read_version.wait(timeout=30)  # it has seen version 0: the migration is not committed
    first.execute("COMMIT")
    first.close()
    second.join(timeout=30)
    assert outcome == [0]
    assert user_version(db) == SCHEMA_VERSION


def test_a_version_1_log_is_migrated_with_its_events_and_takes_settings(tmp_path: Path) -> None:
    db = tmp_path / "v1.db"
    conn = connect(str(db))
    MIGRATIONS[1](sqlite_utils.Database(conn))
    conn.execute(INSERT_EVENT, event_row(ev(subject="before"), time.time()))
    conn.execute("PRAGMA user_version=1")
    conn.close()
    with EventLog(db) as log:
        assert [e.subject for e in log.events()] == ["before"]
        assert log.setting("keep") is None
        log.set_setting("keep", "all")
        log.set_setting("keep", "1000")
        assert log.setting("keep") == "1000"
    assert user_version(db) == SCHEMA_VERSION == 6


def test_reopening_an_existing_log_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    events = [ev(correlation_id="c-1") for _ in range(3)]
    with EventLog(db) as log:
        log.append(events)
        log.add_dead_letters([letter()])
    for _ in range(2):  # migrating again is a no-op
        with EventLog(db, create=False) as log:
            assert log.count_events() == 3
            assert [e.id for e in log.chain_events("c-1")] == [e.id for e in events]
            assert len(log.dead_letters()) == 1
    assert user_version(db) == SCHEMA_VERSION


# -- events ----------------------------------------------------------------------------


def test_events_round_trip_with_every_envelope_field(tmp_path: Path) -> None:
    full = Envelope(
        type="OrderPlaced",
        source="/shop/storefront",
        id="evt-1",
        time=1_700_000_000.123456,
        data={"orderId": "ord-1", "items": [{"sku": "SKU-1", "qty": 2}], "total": 12.5},
        subject="ord-1",
        datacontenttype="application/cloudevents+json",
        specversion="1.0-rc",
        correlation_id="corr-1",
        causation_id="evt-0",
        topic="orders.placed",
        partition=3,
        offset=123456789,
        key="ord-1",
        headers={"traceparent": "00-abc-01", "x-tenant": "eu"},
        extensions={"tenant": "eu", "priority": 5},
    )
    bad = Envelope(
        type="",
        source="kafka://orders",
        id="evt-2",
        time=None,
        data=None,
        datacontenttype=None,
        topic="orders.raw",
        partition=0,
        offset=7,
        key=None,
        malformed=True,
        error="not valid JSON: Expecting value",
        raw=b"\x00\xffnot json",
    )
    plain = Envelope(type="Ping", source="s", data="just text", topic="pings")
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        log.append([full, bad, plain])
    with EventLog(db) as log:
        loaded = {e.id: e for e in log.events(limit=10)}
    assert loaded["evt-1"] == full
    assert loaded["evt-2"] == bad
    assert loaded[plain.id] == plain
    # The adapters that make None and bytes cheap to bind store them as they always were:
    # a NULL and a BLOB, which the search and retention queries rely on.
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT typeof(subject), typeof(raw), typeof(partition) FROM events WHERE id = ?",
            ("evt-2",),
        ).fetchone()
    assert stored == ("null", "blob", "integer")


def test_events_are_newest_first_and_filter_by_type_topic_source_correlation(
    tmp_path: Path,
) -> None:
    with EventLog(tmp_path / "log.db") as log:
        a = ev("OrderPlaced", topic="orders.placed", correlation_id="c-1")
        b = Envelope(type="PaymentAuthorized", source="payments", topic="payments.ok")
        b.correlation_id = "c-1"
        c = ev("OrderPlaced", topic="orders.placed", correlation_id="c-2")
        d = Envelope(type="OrderPlaced", source="other", topic="orders.eu")
        log.append([a, b, c, d])
        assert [e.id for e in log.events()] == [d.id, c.id, b.id, a.id]
        assert [e.id for e in log.events(type="OrderPlaced")] == [d.id, c.id, a.id]
        assert [e.id for e in log.events(topic="orders.placed")] == [c.id, a.id]
        assert [e.id for e in log.events(source="payments")] == [b.id]
        assert [e.id for e in log.events(correlation_id="c-1")] == [b.id, a.id]
        assert [e.id for e in log.events(correlation_id=d.id)] == [d.id]  # own id is its chain
        assert [e.id for e in log.events(type="OrderPlaced", source="test")] == [c.id, a.id]
        assert [e.id for e in log.events(limit=2)] == [d.id, c.id]
        assert log.events(type="Nope") == []


def test_chain_events_uses_the_correlation_index_and_returns_log_order(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    n_chains = 5000
    with EventLog(db) as log:
        batch = []
        for i in range(n_chains):
            for step in range(4):
                batch.append(ev(f"Step{step}", correlation_id=f"corr-{i}"))
        log.append(batch)
        assert log.count_events() == 20_000
        target = "corr-2718"
        statements: list[str] = []
        log._conn.set_trace_callback(statements.append)
        try:
            chain = log.chain_events(target)
        finally:
            log._conn.set_trace_callback(None)
        assert [e.type for e in chain] == ["Step0", "Step1", "Step2", "Step3"]
        assert {e.correlation_id for e in chain} == {target}
    select = next(
        s for s in statements if s.lstrip().upper().startswith("SELECT") and "corr_key" in s
    )
    conn = sqlite3.connect(db)
    try:
        plan = " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + select))
    finally:
        conn.close()
    assert "events_by_corr_key" in plan, plan


def test_a_chain_over_several_generations_and_old_bare_keys_is_found_whole(
    tmp_path: Path,
) -> None:
    # corr_key carries the generation of the row's seq (every CORR_KEY_ROWS rows); rows
    # logged before generations existed keep the bare CRC. Every lookup finds them all.
    with EventLog(tmp_path / "log.db") as log:
        log.append([ev("Step0", correlation_id="c-1"), ev("Other", correlation_id="c-2")])
        # Number the next rows two generations on, as half a million events would.
        log._conn.execute(
            "INSERT INTO events (seq, id, type, source, logged_at) VALUES (?, ?, ?, ?, 0)",
            (2 * logschema.CORR_KEY_ROWS + 5, "filler", "Filler", "test"),
        )
        log.append([ev("Step1", correlation_id="c-1"), ev("Step2", correlation_id="c-1")])
        # Step2 as a log of an older version wrote it.
        log._conn.execute(
            "UPDATE events SET corr_key = ? WHERE type = 'Step2'", (logschema.corr_key("c-1"),)
        )
        generations = {
            row[0]: row[1] >> 32
            for row in log._conn.execute("SELECT type, corr_key FROM events WHERE id != 'filler'")
        }
        assert generations == {"Step0": 0, "Other": 0, "Step1": 2, "Step2": 0}
        assert [e.type for e in log.chain_events("c-1")] == ["Step0", "Step1", "Step2"]
        assert [e.type for e in log.events(correlation_id="c-1")] == ["Step2", "Step1", "Step0"]
        assert log.resolve_chain_id("c-1") == "c-1"
        page = log.search(EventFilter(correlation_id="c-1"))
        assert page.used_index and [e.type for e in page.events] == ["Step2", "Step1", "Step0"]
        # With the first generation's rows gone (retention), the rest is still found.
        log._conn.execute("DELETE FROM events WHERE seq < 10")
        assert [e.type for e in log.chain_events("c-1")] == ["Step1", "Step2"]


def test_chain_events_ignores_other_chains_sharing_the_same_index_key(tmp_path: Path) -> None:
    # Find two correlation ids whose CRC-32 (the indexed key) collide: random ids, so the
    # birthday bound applies (sequential ids of equal length never collide under a CRC).
    rng = random.Random(7)
    seen: dict[int, str] = {}
    for _ in range(1_000_000):
        cid = f"corr-{rng.getrandbits(128):032x}"
        k = zlib.crc32(cid.encode())
        if k in seen:
            first, second = seen[k], cid
            break
        seen[k] = cid
    else:
        pytest.fail("no CRC-32 collision found")
    with EventLog(tmp_path / "log.db") as log:
        log.append([ev(correlation_id=first), ev(correlation_id=second), ev(correlation_id=first)])
        assert [e.correlation_id for e in log.chain_events(first)] == [first, first]
        assert [e.correlation_id for e in log.chain_events(second)] == [second]


# -- retention -------------------------------------------------------------------------


def test_retention_by_row_count_keeps_the_newest_events(tmp_path: Path) -> None:
    with EventLog(tmp_path / "log.db") as log:
        events = [ev(subject=str(i)) for i in range(100)]
        log.append(events)
        assert log.apply_retention(max_events=30) == 70
        assert log.count_events() == 30
        kept = [e.subject for e in log.events(limit=1000)]
        assert kept == [str(i) for i in range(99, 69, -1)]
        assert log.apply_retention(max_events=30) == 0


def test_retention_deletes_in_chunks_and_keeps_the_same_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pass over a busy log deletes in many transactions, so the writer is not held
    # back for seconds; what is kept must not depend on the chunk size.
    monkeypatch.setattr(eventlog, "RETENTION_CHUNK", 7)
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        log.append([ev(subject=str(i)) for i in range(100)])
        assert log.apply_retention(max_events=30) == 70
        assert [e.subject for e in log.events(limit=1000)] == [str(i) for i in range(99, 69, -1)]
    conn = sqlite3.connect(db)
    conn.execute("UPDATE events SET logged_at = ? WHERE subject < '8'", (time.time() - 3600,))
    conn.commit()
    conn.close()
    with EventLog(db) as log:  # 70-79: 10 old ones, more than one chunk of age deletes
        assert log.apply_retention(max_age_seconds=600) == 10
        assert [e.subject for e in log.events(limit=1000)] == [str(i) for i in range(99, 79, -1)]


def test_retention_goes_in_steps_of_at_most_limit_events(tmp_path: Path) -> None:
    # As the log writer runs it: a step between two writes, until one deletes fewer.
    with EventLog(tmp_path / "log.db") as log:
        log.append([ev(subject=str(i)) for i in range(80)])
        steps = [log.apply_retention(max_events=30, limit=20) for _ in range(4)]
        assert steps == [20, 20, 10, 0]
        assert [e.subject for e in log.events(limit=100)] == [str(i) for i in range(79, 49, -1)]


def test_retention_describes_itself_for_help_and_logs() -> None:
    assert Retention().describe() == f"the newest {DEFAULT_KEEP_EVENTS:,} events"
    assert Retention(None, 86_400).describe() == "events of the last 1 day"
    assert Retention(1000, 2.5 * 86_400).describe() == (
        "the newest 1,000 events and only events of the last 2.5 days"
    )
    assert KEEP_ALL.describe() == "every event"


def test_retention_by_age_deletes_old_events_but_keeps_pending_dead_letters(
    tmp_path: Path,
) -> None:
    db = tmp_path / "log.db"
    old_time = time.time() - 3600
    with EventLog(db) as log:
        old_events = [ev(subject="old") for _ in range(5)]
        new_events = [ev(subject="new") for _ in range(3)]
        log.append(old_events)
        log.append(new_events)
        pending = letter(created_at=old_time)
        replayed = letter(created_at=old_time)
        discarded = letter(created_at=old_time)
        recent_done = letter()
        log.add_dead_letters([pending, replayed, discarded, recent_done])
        log.record_replay(replayed.id, target="bus:x", ok=True, result="published")
        log.discard(discarded.id)
        log.discard(recent_done.id)
    conn = sqlite3.connect(db)
    conn.executemany(
        "UPDATE events SET logged_at = ? WHERE id = ?", [(old_time, e.id) for e in old_events]
    )
    conn.commit()
    conn.close()
    with EventLog(db) as log:
        assert log.apply_retention(max_age_seconds=600) == 5
        assert sorted(e.subject or "" for e in log.events(limit=100)) == ["new"] * 3
        remaining = {d.id: d.status for d in log.dead_letters()}
        assert remaining == {pending.id: "pending", recent_done.id: "discarded"}
        assert log.actions(replayed.id) == [] and log.actions(discarded.id) == []
        assert len(log.actions(recent_done.id)) == 1


# -- dead letters ----------------------------------------------------------------------


def test_dead_letters_round_trip_and_filter_by_status(tmp_path: Path) -> None:
    d = letter(
        traceback="Traceback ...\nBoom: failed",
        attempts=3,
        reason="UnknownProduct: product 'SKU-999' is not stocked",
    )
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([d])
        loaded = log.dead_letter(d.id)
        # the event is stored as its JSON shape, whose time has millisecond precision
        assert loaded.event.time == pytest.approx(d.event.time, abs=1e-3)
        loaded.event.time = d.event.time
        assert loaded.event == d.event
        assert (loaded.reason, loaded.handler, loaded.attempts) == (d.reason, "warehouse", 3)
        assert loaded.reason_group == "UnknownProduct: product … is not stocked"
        assert loaded.traceback == d.traceback
        assert loaded.original_topic == "orders.placed"
        assert loaded.created_at == d.created_at
        assert [x.id for x in log.dead_letters(status="pending")] == [d.id]
        assert log.dead_letters(status="replayed") == []
        assert [x.id for x in log.chain_dead_letters("corr-dl")] == [d.id]
        with pytest.raises(LogError, match="unknown status"):
            log.dead_letters(status="lost")  # type: ignore[arg-type]


def test_a_successful_replay_marks_the_letter_replayed_and_records_the_action(
    tmp_path: Path,
) -> None:
    d = letter()
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([d])
        after = log.record_replay(d.id, target="bus:orders.placed", ok=True, result="published")
        assert after.status == "replayed"
        assert after.replay_count == 1
        actions = log.actions(d.id)
        assert [(a.action, a.target, a.result) for a in actions] == [
            ("replay", "bus:orders.placed", "published")
        ]
        again = log.record_replay(d.id, target="bus:orders.placed", ok=True, result="published")
        assert again.replay_count == 2
        assert len(log.actions()) == 2


def test_a_failed_replay_leaves_the_letter_pending_but_records_the_action(
    tmp_path: Path,
) -> None:
    d = letter()
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([d])
        after = log.record_replay(d.id, target="kafka:orders", ok=False, result="broker down")
        assert after.status == "pending"
        assert after.replay_count == 0
        assert [(a.action, a.result) for a in log.actions(d.id)] == [("replay", "broker down")]


def test_discard_marks_the_letter_discarded_and_records_it(tmp_path: Path) -> None:
    d = letter()
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([d])
        after = log.discard(d.id, note="bad data")
        assert after.status == "discarded"
        assert [(a.action, a.target, a.result) for a in log.actions(d.id)] == [
            ("discard", None, "bad data")
        ]
        assert log.dead_letters(status="pending") == []


def test_unknown_dead_letter_ids_give_a_readable_log_error(tmp_path: Path) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter()])
        with pytest.raises(LogError, match="no dead letter with id nope"):
            log.dead_letter("nope")
        with pytest.raises(LogError, match="no dead letter with id nope"):
            log.discard("nope")
        # regression: this used to leak a raw sqlite3.IntegrityError (foreign key)
        with pytest.raises(LogError, match="no dead letter with id nope"):
            log.record_replay("nope", target="bus:x", ok=True, result="published")
        assert log.actions() == []


def test_editing_a_dead_letters_event_is_recorded_in_its_history(tmp_path: Path) -> None:
    d = letter()
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([d])
        log.record_replay(d.id, target="bus:x", ok=False, result="failed")
        edited = replace(d.event, data={"fixed": True}, headers={"x-fix": "1"})
        log.update_dead_letter_event(d.id, edited)
        assert log.dead_letter(d.id).event.data == {"fixed": True}
        actions = log.actions(d.id)
        assert [a.action for a in actions] == ["replay", "edit"]
        # what changed, named as the editor names it
        assert actions[1].result == 'payload: null \u2192 {"fixed": true}; headers.x-fix: added "1"'
        # Saving it again unchanged records nothing more.
        log.update_dead_letter_event(d.id, edited)
        assert len(log.actions(d.id)) == 2
        # A payload SQLite cannot store as text as it is (a lone surrogate, from a Kafka
        # record's "\ud800"): the edit is saved all the same, its history line escaped.
        odd = replace(edited, data={"t": "x\ud800"})
        log.update_dead_letter_event(d.id, odd)
        assert log.dead_letter(d.id).event.data == {"t": "x\ud800"}
        assert "\\ud800" in log.actions(d.id)[-1].result


def test_stats_count_events_by_topic_type_malformed_and_dead_letters_by_status(
    tmp_path: Path,
) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.append([ev("OrderPlaced", topic="orders.placed") for _ in range(3)])
        log.append([ev("PaymentAuthorized", topic="payments.authorized") for _ in range(2)])
        log.append([ev("", topic="orders.placed", malformed=True, error="bad")])
        a, b, c = letter(), letter(), letter()
        log.add_dead_letters([a, b, c])
        log.record_replay(a.id, target="bus:x", ok=True, result="ok")
        log.discard(b.id)
        stats = log.stats()
    assert stats.events == 6
    assert stats.by_topic == {"orders.placed": 4, "payments.authorized": 2}
    assert stats.by_type == {"OrderPlaced": 3, "PaymentAuthorized": 2, "": 1}
    assert stats.malformed == 1
    assert stats.dead_letters_by_status == {"pending": 1, "replayed": 1, "discarded": 1}
    assert stats.to_dict()["events"] == 6
