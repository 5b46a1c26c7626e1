"""Benchmark: searching a log at the default retention (5,000,000 events) the way the event
stream's "Search log" does.

Builds the log with the LogWriter (demo-like events, as ``bench_eventlog.py`` does), then
times :meth:`EventLog.search` for typical searches, each the median of several runs:

- by type: a common type (the newest 500 matches) and a type found nowhere (a full scan);
- by correlation id: a whole id (the correlation index) and its first 8 characters (a scan);
- free text over payload and headers: an order id from the last minutes, one from the
  start of the log, and a string found nowhere (the worst case: a full scan);
- a combination (topic and text).

For each it prints the time to the first screen of results as the window gets it (one
bounded step, ``FIRST_STEP_SECONDS``) and the time to finish (limit reached or the whole
log read). Targets: first results < 50 ms, a full scan < 1 s. The full scan is also given
as a ratio against a bare SQLite scan of the same columns (one ``LIKE`` per row on
payload and headers, no Python per row) measured in the same run.

``--alternatives`` also measures what the indexes that were *not* added would cost the
logging rate (FTS5 over payload and headers, indexes on type/topic/source), in the same
run, to back the design note in ``monitor/core/event_search.py``.

Run: ``.venv/bin/python tests/benchmarks/bench_search.py [--events N] [--db PATH]
[--alternatives] [--quick]`` (``--db`` keeps the built log at PATH and reuses it on the
next run; ``--quick``: 20,000 events, to check the benchmark still runs).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.core.event_filter import EventFilter
from monitor.core.event_search import SearchPage
from monitor.core.eventlog import EventLog
from monitor.core.logwriter import LogWriter
from monitor.ui.views.event_stream_search import FIRST_STEP_SECONDS, STEP_SECONDS
from tests.benchmarks.bench_eventlog import (
    build_big_log,
    demo_like,
    submit_in_batches,
)

N_EVENTS = 5_000_000  # the log's default retention
QUICK_EVENTS = 20_000
RUNS = 5
LIMIT = 500
TARGET_SECONDS = 1.0
FIRST_TARGET_SECONDS = 0.050


def timed(fn: Callable[[], SearchPage]) -> tuple[float, SearchPage]:
    start = time.perf_counter()
    page = fn()
    return time.perf_counter() - start, page


def search_to_the_end(log: EventLog, flt: EventFilter) -> tuple[float, float, int, bool]:
    """Search as the window does: bounded steps until ``LIMIT`` matches or the log's end.
    Returns (seconds to the first step's answer, seconds in all, matches, index used)."""
    start = time.perf_counter()
    page = log.search(flt, limit=LIMIT, max_seconds=FIRST_STEP_SECONDS)
    first = time.perf_counter() - start
    found, used_index = len(page.events), page.used_index
    while not page.complete and found < LIMIT:
        page = log.search(
            flt, before=page.next_before, limit=LIMIT - found, max_seconds=STEP_SECONDS
        )
        found += len(page.events)
    return first, time.perf_counter() - start, found, used_index


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def bare_scan_seconds(path: Path, text: str, runs: int) -> float:
    """A bare SQLite scan of payload and headers for ``text`` (found nowhere): the floor
    for a full-scan search, median of ``runs``."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.execute(f"PRAGMA mmap_size={1 << 30}")
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            conn.execute(
                "SELECT count(*) FROM events WHERE data LIKE ?1 OR headers LIKE ?1",
                (f"%{text}%",),
            ).fetchone()
            timings.append(time.perf_counter() - start)
    finally:
        conn.close()
    return statistics.median(timings)


def report(log: EventLog, label: str, flt: EventFilter, runs: int) -> tuple[float, float]:
    firsts, totals, found, used_index = [], [], 0, False
    for _ in range(runs):
        first, total, found, used_index = search_to_the_end(log, flt)
        firsts.append(first)
        totals.append(total)
    first_ms, total_ms = statistics.median(firsts) * 1000, statistics.median(totals) * 1000
    path = "index" if used_index else "scan"
    print(
        f"  {label:<44} {found:>4} found  first {first_ms:>7.1f} ms   all {total_ms:>7.1f} ms"
        f"  ({path})",
        flush=True,
    )
    return first_ms / 1000, total_ms / 1000


def log_rate(path: Path, ddl: list[str], events: list[object]) -> float:
    EventLog(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in ddl:
        conn.execute(statement)
    conn.close()
    writer = LogWriter(str(path))
    try:
        start = time.perf_counter()
        submit_in_batches(writer, events)  # type: ignore[arg-type]
        if not writer.flush(timeout=900):
            raise RuntimeError("the writer did not finish")
        return len(events) / (time.perf_counter() - start)
    finally:
        writer.close()


ALTERNATIVES = {
    "schema v1 as it is (what ships)": [],
    "+ index on type": ["CREATE INDEX events_by_type ON events(type)"],
    "+ indexes on type, topic, source": [
        "CREATE INDEX events_by_type ON events(type)",
        "CREATE INDEX events_by_topic ON events(topic)",
        "CREATE INDEX events_by_source ON events(source)",
    ],
    "+ FTS5 (payload, headers), detail=none": [
        "CREATE VIRTUAL TABLE events_text USING fts5(data, headers, content='events',"
        " content_rowid='seq', detail=none)",
        "CREATE TRIGGER events_text_ai AFTER INSERT ON events BEGIN INSERT INTO"
        " events_text(rowid, data, headers) VALUES (new.seq, new.data, new.headers); END",
    ],
}


def alternatives(folder: Path) -> None:
    events = demo_like(200_000, random.Random(7))
    rates: dict[str, list[float]] = {name: [] for name in ALTERNATIVES}
    for round_ in range(2):  # interleaved: the machine's noise hits every variant alike
        for n, (name, ddl) in enumerate(ALTERNATIVES.items()):
            rates[name].append(log_rate(folder / f"alt{round_}-{n}.db", ddl, events))
    base = statistics.median(rates["schema v1 as it is (what ships)"])
    print("\nLogging rate with the indexes that were not added (200,000 events, median of 2):")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"  {name:<42} {rate:>9,.0f} events/s  ({rate / base - 1:+.0%})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=N_EVENTS, help="events in the log")
    parser.add_argument("--db", type=Path, help="build the log here, or reuse it if it exists")
    parser.add_argument("--alternatives", action="store_true", help="also time other schemas")
    parser.add_argument("--quick", action="store_true", help="a small log: check it runs")
    args = parser.parse_args()
    n_events = QUICK_EVENTS if args.quick else args.events
    runs = 2 if args.quick else RUNS
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="eventflow-search-") as tmp:
        path = args.db or Path(tmp) / "big.db"
        if not path.exists():
            start = time.perf_counter()
            build_big_log(path, n_events, random.Random(42), [])
            print(f"built {n_events:,} events in {time.perf_counter() - start:.0f} s")
        with EventLog(path) as log:
            total = log.count_events()
            size = path.stat().st_size / 1e6
            print(f"log: {total:,} events, {size:,.0f} MB; limit {LIMIT}, median of {runs}")
            newest = log.events(limit=1)[0]
            oldest = log.search(EventFilter(), before=2, limit=1).events[0]
            recent_order = newest.data["orderId"]
            first_order = oldest.data["orderId"]
            chain = newest.chain_id
            nowhere = "no such text anywhere"
            searches = [
                ("type, common (OrderShipped)", EventFilter(type="OrderShipped")),
                ("type, found nowhere", EventFilter(type="RefundIssued")),
                ("correlation id, whole", EventFilter(correlation_id=chain)),
                ("correlation id, first 8 characters", EventFilter(correlation_id=chain[:8])),
                (f"text, a recent order ({recent_order})", EventFilter(text=recent_order)),
                (f"text, the first order ({first_order})", EventFilter(text=first_order)),
                ("text, found nowhere", EventFilter(text=nowhere)),
                (
                    "text in a header (trace id part)",
                    EventFilter(text=newest.headers["traceparent"][3:19]),
                ),
                ("topic + text (payments, SKU-101)", EventFilter(topic="payments", text="SKU-101")),
            ]
            print("\nSearch (first = first results on screen; all = to the limit or the end):")
            results = [report(log, label, flt, runs) for label, flt in searches]
            first = max(r[0] for r in results)
            worst = max(r[1] for r in results)
            scan = results[[label for label, _ in searches].index("text, found nowhere")][1]
        bare = bare_scan_seconds(path, nowhere, runs)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        first_ok = first < FIRST_TARGET_SECONDS
        print(
            f"\nslowest first results: {first * 1000:.0f} ms"
            f"  target < {FIRST_TARGET_SECONDS * 1000:.0f} ms: {verdict(first_ok)}"
        )
        print(
            f"slowest search to the end: {worst:.2f} s  target < {TARGET_SECONDS:g} s:"
            f" {verdict(worst < TARGET_SECONDS)}"
        )
        print(
            f"full scan (text found nowhere): {scan:.2f} s = {scan / bare:.1f}x a bare SQLite"
            f" scan of payload and headers ({bare:.2f} s, same run)"
            f"  (load average {load:.2f} at the end)"
        )
        if args.alternatives and not args.quick:
            alternatives(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
