"""Sampled history in the event log: samples stored and read back, rolled up as they age
without losing a spike, dropped after the last tier, and a week's cost in bytes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor.core.eventlog import EventLog
from monitor.core.history_store import TIERS, HistoryStore, unit_of

HOUR = 3600.0
DAY = 86_400.0


def test_samples_are_read_back_by_name_pattern_with_their_unit(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "log.db") as store:
        store.write(1000.0, {"dead_letters.pending": 3, "topic.orders.rate": 12.5})
        store.write(1005.0, {"dead_letters.pending": 4, "topic.orders.rate": 10})
        (series,) = store.read(["dead_letters.*"])
        assert series.name == "dead_letters.pending" and series.unit == "letters"
        assert series.samples == [(1000.0, 3.0), (1005.0, 4.0)]
        assert [s.name for s in store.read()] == ["dead_letters.pending", "topic.orders.rate"]
        assert store.read(["topic.*"], since=1001)[0].samples == [(1005.0, 10.0)]
    assert unit_of("group.billing.lag_seconds") == "s" and unit_of("group.b.lag") == "records"


def test_the_history_lives_in_the_event_log_beside_the_events(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        assert log.count_events() == 0
    with HistoryStore(db) as store:
        store.write(1.0, {"events.rate": 1})
    with EventLog(db, create=False) as log:  # still a log the other commands read
        assert log.count_events() == 0
    assert HistoryStore(db).read()[0].samples == [(1.0, 1.0)]


def test_a_roll_up_keeps_the_spike_and_the_mean_of_what_it_summarises(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    with HistoryStore(db) as store:
        start = 102_000.0  # on a 60 s boundary
        # One 10 s bucket: 1, 1, 1, 1, 100 (a spike), one sample every 2 s.
        for i, v in enumerate([1, 1, 1, 1, 100]):
            store.write(start + 2 * i, {"dead_letters.pending": v})
        store.roll_up(start + HOUR + 60)
        (series,) = store.read()
        assert series.samples == [(start, 100.0)]  # the maximum, at the bucket's start
        conn = sqlite3.connect(db)
        tier, mean, n = conn.execute("SELECT tier, mean, n FROM history_samples").fetchone()
        assert (tier, n) == (1, 5) and mean == (4 + 100) / 5
        # A day later the 10 s bucket goes into a 1 min bucket, spike and all.
        store.roll_up(start + DAY + 120)
        assert store.read()[0].samples == [(start, 100.0)]
        tier, mean, n = conn.execute("SELECT tier, mean, n FROM history_samples").fetchone()
        assert (tier, n) == (2, 5) and mean == (4 + 100) / 5
        # After 30 days it is gone.
        store.roll_up(start + 31 * DAY)
        assert store.read()[0].samples == []
        conn.close()


def test_recent_samples_stay_whole_and_tiers_do_not_overlap(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "log.db") as store:
        now = 10 * DAY
        times = [now - 2 * HOUR + 5 * i for i in range(int(2 * HOUR / 5))]
        for t in times:
            store.write(t, {"x.rate": 1.0})
        store.roll_up(now)
        samples = store.read()[0].samples
        recent = [t for t, _ in samples if t >= now - HOUR]
        assert recent == [t for t in times if t >= now - HOUR]  # every sample of the hour
        older = [t for t, _ in samples if t < now - HOUR]
        assert older and all(t % 10 == 0 for t in older)  # 10 s buckets
        assert [t for t, _ in samples] == sorted({t for t, _ in samples})
        # read(step=) bucketed further keeps the max per step
        assert all(v == 1.0 for _, v in store.read(step=600)[0].samples)


def test_a_week_of_history_at_the_default_sampling_stays_under_50_mb(tmp_path: Path) -> None:
    """Builds the steady state of a week directly: each tier holds what its keep allows
    (every 5 s sample of the last hour, 10 s buckets of a day, 1 min buckets of the six
    days before), for 40 series (more than a busy demo and two clusters' groups)."""
    db = tmp_path / "week.db"
    series = [f"topic.t{i}.rate" for i in range(30)] + [f"group.g{i}.lag" for i in range(10)]
    now = 30 * DAY
    with HistoryStore(db) as store:
        conn = sqlite3.connect(db)
        for name in series:
            store.write(0.0, {name: 0})
        ids = dict(conn.execute("SELECT name, id FROM history_series"))
        conn.execute("DELETE FROM history_samples")
        raw, ten, minute = TIERS  # the counts below are what these tiers keep of a week
        assert (raw.keep / 5, ten.keep / ten.bucket, (7 * DAY - ten.keep) / minute.bucket) == (
            720,
            8640,
            8640,
        )
        rows = []
        for name in series:
            sid = ids[name]
            rows += [(sid, 0, now - 5 * i, 123.456 + i, 123.456 + i, 1) for i in range(720)]
            rows += [(sid, 1, now - HOUR - 10 * i, 50.5 + i % 7, 99.25 + i, 2) for i in range(8640)]
            rows += [(sid, 2, now - DAY - 60 * i, 50.5 + i % 7, 99.25 + i, 12) for i in range(8640)]
        conn.executemany("INSERT INTO history_samples VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        conn.execute("VACUUM")
        pages, size = (
            conn.execute("PRAGMA page_count").fetchone()[0],
            conn.execute("PRAGMA page_size").fetchone()[0],
        )
        conn.close()
    megabytes = pages * size / 1e6
    print(f"a week of 40 series: {megabytes:.1f} MB ({len(rows)} rows)")
    assert len(rows) == 40 * (720 + 8640 + 8640)
    assert megabytes < 50
