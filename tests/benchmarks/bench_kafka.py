"""Benchmark: the Kafka tail, against a real Kafka-protocol broker (Tansu, in memory).

Starts a broker on a free loopback port, creates a 4-partition topic and produces
~200,000 JSON records of about 250 bytes (chains of four events sharing a ``correlationId``,
each with an ``id``, a ``type``, an RFC 3339 ``time`` and two headers), then prints,
measured in the same run:

(a) the rate of a bare aiokafka consumer reading them all (``assign``,
    ``seek_to_beginning``, ``getmany(max_records=10000)``): the ceiling for what follows;
(b) :class:`KafkaTail` -> :class:`IngestPipeline` with the event log off (stats, chains
    and live buffer in memory). Target: >= 50 % of (a);
(b') the same with the event catalog observing every batch, as every host runs it.
    Target: within 5 % of (b);
(c) the same with the event log on (a :class:`LogWriter` on a temporary database, the
    tail waiting for room), until the writer has committed everything. Target: >= 70 %
    of (d), so that SQLite, not our code, is the limit;
(d) a bare ``sqlite3.executemany`` appending as many demo-like rows (built beforehand)
    into a plain table, as ``bench_eventlog.py`` (b) does: what SQLite itself does here.

Each figure is the median of a few rounds, interleaved so that a noisy moment of the
machine hits all three alike. Timing starts once the consumer is connected and positioned,
for the bare consumer and the tail alike, so connection set-up is not measured.

Run it as a script: ``.venv/bin/python tests/benchmarks/bench_kafka.py [--quick]``
(``--quick``: 5,000 records, one round, to check it runs; its figures mean little).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (./dev bench): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from monitor.cli import tune_garbage_collector
from monitor.core.catalog.catalog import Catalog
from monitor.core.envelope import format_time
from monitor.core.formats.schemas import SchemaSource
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import IngestPipeline
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.benchmarks.bench_eventlog import demo_like, raw_executemany_rate

QUICK = "--quick" in sys.argv[1:]
N = 5_000 if QUICK else 200_000
PARTITIONS = 4
ROUNDS = 1 if QUICK else 3
TOPIC = "bench.orders"
LOGGED_TARGET_SHARE = 0.70  # of a bare executemany, measured in the same round
LIVE_TARGET_SHARE = 0.50
CATALOG_TARGET_SHARE = 0.95  # the tail with the catalog on, against it off
STEPS = (
    ("OrderPlaced", "storefront"),
    ("PaymentAuthorized", "payments"),
    ("InventoryReserved", "warehouse"),
    ("OrderShipped", "shipping"),
)


Header = tuple[str, str | bytes | None]


def records(n: int, rng: random.Random) -> list[tuple[bytes, bytes, list[Header]]]:
    """``(key, value, headers)`` for ``n`` records: chains of four linked by causation."""
    out: list[tuple[bytes, bytes, list[Header]]] = []
    t0 = time.time() - 3600
    order = 0
    while len(out) < n:
        order += 1
        order_id = f"ord-{order:07d}"
        correlation = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cause = None
        for step, (etype, source) in enumerate(STEPS):
            eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            t0 += rng.random() * 0.01
            value: dict[str, object] = {
                "id": eid,
                "type": etype,
                "time": format_time(t0 + step * 0.05),
                "correlationId": correlation,
                "data": {"orderId": order_id, "amount": round(rng.uniform(5, 500), 2), "items": 3},
            }
            if cause is not None:
                value["causationId"] = cause
            headers: list[Header] = [
                ("content-type", b"application/json"),
                ("x-producer", source.encode()),
            ]
            out.append(
                (order_id.encode(), json.dumps(value, separators=(",", ":")).encode(), headers)
            )
            cause = eid
            if len(out) == n:
                break
    return out


def produce_all(bootstrap: str, topic: str, n: int) -> float:
    """Produce ``n`` JSON records; returns the mean value size."""
    rows = records(n, random.Random(7))
    produce_rows(bootstrap, topic, rows)
    return sum(len(v) for _, v, _ in rows) / len(rows)


def produce_rows(bootstrap: str, topic: str, rows: list[tuple[bytes, bytes, Any]]) -> None:
    """Produce ``(key, value, headers)`` rows with librdkafka (fast, batched)."""
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "batch.num.messages": 10_000,
            "queue.buffering.max.messages": 1_000_000,
            "acks": "1",
        }
    )
    for key, value, headers in rows:
        while True:
            try:
                producer.produce(topic, value, key, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    left = producer.flush(60)
    if left:
        raise RuntimeError(f"{left} records were not delivered to the broker")


async def bare_rate(
    bootstrap: str, n: int, topic: str = TOPIC, partitions: int = PARTITIONS
) -> tuple[float, float]:
    """Records/s, and CPU microseconds per record of this thread (the consumer's all)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got = 0
        start, cpu = time.perf_counter(), time.thread_time()
        while got < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            got += sum(len(rs) for rs in batches.values())
        elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu
    finally:
        await consumer.stop()
    return n / elapsed, cpu / n * 1e6


async def tail_rate(
    bootstrap: str,
    n: int,
    db: str | None,
    *,
    catalog: bool = False,
    topic: str = TOPIC,
    schemas: SchemaSource | None = None,
) -> tuple[float, float]:
    """Tail -> pipeline rate; with ``db``, until the log writer committed everything; with
    ``catalog``, the event catalog observing. And CPU microseconds per record of this
    thread (all the work but the log writer's)."""
    writer = LogWriter(db) if db is not None else None
    pipeline = IngestPipeline(writer=writer)
    if catalog:
        # As the runtime hosts it: counting types from the live stats' totals.
        pipeline.add_observer(Catalog(type_totals=pipeline.stats.totals_by_type))
    started: list[float] = []

    def on_state(state: str, _sentence: str) -> None:
        if state == "connected" and not started:
            started.extend((time.perf_counter(), time.thread_time()))

    tail = KafkaTail(
        ConnectionProfile(name="bench", bootstrap_servers=bootstrap),
        [topic],
        sink=pipeline.accept_many,
        wait_for_room=pipeline.wait_for_room if writer is not None else None,
        start=StartPosition("beginning"),
        on_state=on_state,
        schemas=schemas,
    )
    try:
        pipeline.start()
        progress = await tail.run(max_records=n, duration=180)
        await pipeline.stop()
        if writer is not None:
            writer.flush()
        elapsed, cpu = time.perf_counter() - started[0], time.thread_time() - started[1]
    finally:
        if writer is not None:
            writer.close()
    if progress.records != n or pipeline.accepted != n or pipeline.stats.total != n:
        raise RuntimeError(f"read {progress.records} / accepted {pipeline.accepted} of {n}")
    if progress.malformed or progress.undecoded:
        raise RuntimeError(
            f"{progress.malformed} records decoded as malformed, {progress.undecoded} undecoded"
        )
    if writer is not None and writer.written != n:
        raise RuntimeError(f"logged {writer.written} of {n}")
    return n / elapsed, cpu / n * 1e6


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    tune_garbage_collector()  # as the eventflow command does at start-up
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    broker = TansuBroker().start()
    try:
        asyncio.run(create_topic(broker.bootstrap, TOPIC, PARTITIONS))
        t = time.perf_counter()
        size = produce_all(broker.bootstrap, TOPIC, N)
        print(
            f"produced {N:,} records (mean value {size:.0f} bytes) to {PARTITIONS} partitions "
            f"in {time.perf_counter() - t:.1f} s"
        )
        bare: list[float] = []
        live: list[float] = []
        logged: list[float] = []
        shares: list[float] = []
        bare_cpu: list[float] = []
        live_cpu: list[float] = []
        cataloged: list[float] = []
        catalog_cpu: list[float] = []
        catalog_shares: list[float] = []
        sqlite_bare: list[float] = []
        logged_shares: list[float] = []
        rows = demo_like(N, random.Random(3))
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(ROUNDS):
                rate, cpu = asyncio.run(bare_rate(broker.bootstrap, N))
                bare.append(rate)
                bare_cpu.append(cpu)
                # Two pairs of runs, catalog off and on, in both orders (a run that follows
                # another reads a warmer broker, which would favour one of them): a 5 %
                # difference is within what one pair's noise does on this machine, so the
                # figure is the median of every pair's ratio.
                for order in ((False, True), (True, False)):
                    for with_catalog in order:
                        rate, cpu = asyncio.run(
                            tail_rate(broker.bootstrap, N, None, catalog=with_catalog)
                        )
                        (cataloged if with_catalog else live).append(rate)
                        (catalog_cpu if with_catalog else live_cpu).append(cpu)
                    catalog_shares.append(cataloged[-1] / live[-1])
                logged.append(asyncio.run(tail_rate(broker.bootstrap, N, f"{tmp}/log{i}.db"))[0])
                round_dir = Path(tmp) / f"bare{i}"
                round_dir.mkdir()
                sqlite_bare.append(raw_executemany_rate(round_dir, rows))
                logged_shares.append(logged[-1] / sqlite_bare[-1])
                # Rounds interleave the three, so a ratio within a round cancels most of
                # what a busy machine does to both.
                shares.append(live[-1] / bare[-1])
                print(
                    f"  round {i + 1}: bare {bare[-1]:,.0f}  live {live[-1]:,.0f}  "
                    f"catalog on {cataloged[-1]:,.0f}  "
                    f"logged {logged[-1]:,.0f} records/s (bare executemany "
                    f"{sqlite_bare[-1]:,.0f});  main-thread CPU per record: "
                    f"bare {bare_cpu[-1]:.1f} us, live {live_cpu[-1]:.1f} us, "
                    f"catalog on {catalog_cpu[-1]:.1f} us"
                )
    finally:
        broker.stop()
    b, lv, lg = statistics.median(bare), statistics.median(live), statistics.median(logged)
    share = statistics.median(shares)
    logged_share = statistics.median(logged_shares)
    live_ok = share >= LIVE_TARGET_SHARE
    logged_ok = logged_share >= LOGGED_TARGET_SHARE
    print(f"(a) bare aiokafka consumer         : {b:>9,.0f} records/s  (median of {ROUNDS})")
    print(
        f"(b) tail -> pipeline, log off      : {lv:>9,.0f} records/s = {share:.0%} of (a) "
        f"(median of the rounds' ratios); target >= {LIVE_TARGET_SHARE:.0%}: {verdict(live_ok)}"
    )
    print(
        f"    CPU per record, main thread     : bare {statistics.median(bare_cpu):.1f} us, "
        f"live {statistics.median(live_cpu):.1f} us (what the rates come from, less noisy)"
    )
    catalog_share = statistics.median(catalog_shares)
    catalog_ok = catalog_share >= CATALOG_TARGET_SHARE
    print(
        f"(b') the same, catalog on          : {statistics.median(cataloged):>9,.0f} records/s "
        f"= {catalog_share:.1%} of catalog off (median of {len(catalog_shares)} pairs' "
        f"ratios); CPU per record {statistics.median(catalog_cpu):.1f} us; "
        f"target >= {CATALOG_TARGET_SHARE:.0%}: {verdict(catalog_ok)}"
    )
    print(
        f"(c) tail -> pipeline -> event log  : {lg:>9,.0f} records/s = {logged_share:.0%} of (d)"
        f" (median of the rounds' ratios); target >= {LOGGED_TARGET_SHARE:.0%}:"
        f" {verdict(logged_ok)}"
    )
    print(
        f"(d) bare executemany, no index     : {statistics.median(sqlite_bare):>9,.0f} rows/s"
        f"  (median of {ROUNDS})"
    )
    # --quick checks that the benchmark runs; its figures are too small to judge.
    return 0 if QUICK or (live_ok and logged_ok and catalog_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
