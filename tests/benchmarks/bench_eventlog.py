"""Benchmark: the event log's append rate and its chain lookup time.

Prints, measured in the same run on the same machine:

(a) the sustained rate of :class:`LogWriter` logging ~300,000 demo-like envelopes (built
    beforehand: correlation ids shared by ~4 events, small JSON data, one header), from the
    first submit to the last commit. Target: >= 50,000 events/s.
(b) the rate of a bare ``sqlite3.executemany`` appending equivalent rows (built beforehand)
    into a plain table with no index, in one transaction: what SQLite itself does here, the
    ceiling to judge (a) against.
(c) the time of :meth:`EventLog.chain_events` with 1,000,000 events logged, median of 100
    lookups of random chains. Target: < 20 ms.
(d) the time to find the chain of an event by its own id in the same log (a scan).

Run it as a script: ``.venv/bin/python tests/benchmarks/bench_eventlog.py [--quick]``
(``--quick``: 10,000 events appended once and a 20,000-event log, to check it runs).
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from monitor.core.envelope import Envelope, new_event_id, now
from monitor.core.eventlog import EVENT_COLUMNS, INSERT_EVENT, EventLog, event_row
from monitor.core.logwriter import LogWriter

QUICK = "--quick" in sys.argv[1:]
N_APPEND = 10_000 if QUICK else 300_000
ROUNDS = 1 if QUICK else 3  # (a) and (b) are the median of this many rounds, interleaved
N_LOOKUP_DB = 20_000 if QUICK else 1_000_000
LOOKUPS = 20 if QUICK else 100
BATCH = 2000  # the ingest pipeline's default batch size
STEPS = (
    ("OrderPlaced", "orders.placed", "storefront"),
    ("PaymentAuthorized", "payments.authorized", "payments"),
    ("InventoryReserved", "inventory.reserved", "warehouse"),
    ("OrderShipped", "shipping.shipped", "shipping"),
)


def demo_like(n: int, rng: random.Random, start: int = 0) -> list[Envelope]:
    """``n`` envelopes shaped like the demo shop's: chains of four, linked by causation."""
    events: list[Envelope] = []
    t = now()
    order = start // len(STEPS)
    while len(events) < n:
        order += 1
        order_id = f"ord-{order:07d}"
        correlation = new_event_id()
        trace = rng.getrandbits(128)  # one trace per order, one span per step
        parent: str | None = None
        for type_, topic, service in STEPS:
            span = rng.getrandbits(64)
            e = Envelope(
                type=type_,
                source=f"demo-shop/{service}",
                time=t,
                subject=order_id,
                key=order_id,
                topic=topic,
                correlation_id=correlation,
                causation_id=parent,
                headers={"traceparent": f"00-{trace:032x}-{span:016x}-01"},
                data={
                    "orderId": order_id,
                    "sku": f"SKU-{rng.randrange(100, 105)}",
                    "qty": rng.randint(1, 3),
                    "total": round(rng.uniform(5, 150), 2),
                },
            )
            parent = e.id
            events.append(e)
            t += 0.001
    return events[:n]


def submit_in_batches(writer: LogWriter, events: list[Envelope]) -> None:
    for i in range(0, len(events), BATCH):
        writer.submit_events(events[i : i + BATCH])


def writer_rate(folder: Path, events: list[Envelope]) -> float:
    writer = LogWriter(str(folder / "writer.db"))
    try:
        start = time.perf_counter()
        submit_in_batches(writer, events)
        if not writer.flush(timeout=600):
            raise RuntimeError("the writer did not finish")
        elapsed = time.perf_counter() - start
        assert writer.written == len(events), (writer.written, len(events))
        assert writer.last_error is None, writer.last_error
    finally:
        writer.close()
    with EventLog(folder / "writer.db") as log:
        assert log.count_events() == len(events)
    return len(events) / elapsed


def raw_executemany_rate(folder: Path, events: list[Envelope]) -> float:
    at = now()
    rows = [event_row(e, at) for e in events]  # built beforehand: only SQLite is timed
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"CREATE TABLE events (seq INTEGER PRIMARY KEY, {EVENT_COLUMNS})")
        sql = INSERT_EVENT
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == len(rows)
    finally:
        conn.close()
    return len(rows) / elapsed


def build_big_log(path: Path, n: int, rng: random.Random, event_ids: list[str]) -> list[str]:
    """Log ``n`` demo-like events with the writer, a chunk at a time (bounded memory);
    returns a sample of correlation ids to look up, and adds a few event ids to
    ``event_ids``."""
    sample: list[str] = []
    writer = LogWriter(str(path))
    try:
        chunk = 100_000
        for start in range(0, n, chunk):
            events = demo_like(min(chunk, n - start), rng, start)
            sample.extend(e.correlation_id or "" for e in rng.sample(events, 50))
            event_ids.extend(e.id for e in rng.sample(events, 2 if n > chunk else 10))
            submit_in_batches(writer, events)
            while writer.backlog > chunk:  # keep at most two chunks in memory
                time.sleep(0.01)
        if not writer.flush(timeout=1200):
            raise RuntimeError("the writer did not finish")
        assert writer.last_error is None, writer.last_error
    finally:
        writer.close()
    return sample


def chain_by_event_id_ms(path: Path, event_ids: list[str], rng: random.Random) -> float:
    """A chain found by the id of one of its events: a scan of the log (no index)."""
    timings: list[float] = []
    with EventLog(path) as log:
        for event_id in rng.sample(event_ids, min(10, len(event_ids))):
            start = time.perf_counter()
            found = log.chain_id_of_event(event_id)
            timings.append((time.perf_counter() - start) * 1000.0)
            assert found is not None, event_id
    return statistics.median(timings)


def chain_lookup_ms(path: Path, sample: list[str], rng: random.Random) -> tuple[float, int]:
    timings: list[float] = []
    with EventLog(path) as log:
        total = log.count_events()
        ids = rng.sample(sample, LOOKUPS)
        for corr in ids:
            start = time.perf_counter()
            chain = log.chain_events(corr)
            timings.append((time.perf_counter() - start) * 1000.0)
            assert chain and all(e.correlation_id == corr for e in chain), corr
    return statistics.median(timings), total


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    rng = random.Random(42)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="eventflow-bench-") as tmp:
        folder = Path(tmp)
        events = demo_like(N_APPEND, rng)
        writer_rates, raw_rates = [], []
        for n in range(ROUNDS):
            round_dir = folder / f"round{n}"
            round_dir.mkdir()
            writer_rates.append(writer_rate(round_dir, events))
            raw_rates.append(raw_executemany_rate(round_dir, events))
        del events
        w, raw = statistics.median(writer_rates), statistics.median(raw_rates)
        print(
            f"(a) LogWriter, {N_APPEND:,} demo-like events  : {w:>10,.0f} events/s"
            f"  (median of {ROUNDS})  target >= 50,000: {verdict(w >= 50_000)}"
        )
        print(
            f"(b) bare executemany, no index, same rows: {raw:>10,.0f} events/s"
            f"  (median of {ROUNDS}; the writer reaches {w / raw:.0%} of it)"
        )
        event_ids: list[str] = []
        sample = build_big_log(folder / "big.db", N_LOOKUP_DB, rng, event_ids)
        ms, total = chain_lookup_ms(folder / "big.db", sample, rng)
        print(
            f"(c) chain lookup, {total:,} events logged: {ms:>10.3f} ms"
            f"  (median of {LOOKUPS})  target < 20 ms: {verdict(ms < 20)}"
        )
        by_id = chain_by_event_id_ms(folder / "big.db", event_ids, rng)
        print(f"(d) chain by any event's id (a scan)     : {by_id:>10.1f} ms  (median of 10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
