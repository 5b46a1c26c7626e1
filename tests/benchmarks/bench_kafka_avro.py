"""Benchmark: the Kafka tail on Avro records in Confluent framing, through the registry.

Like ``bench_kafka.py`` (whose JSON figures to set beside these come from running it),
against a real Kafka-protocol broker: ~200,000 Avro records of about 250 bytes (chains of
four events sharing a ``correlationId``, a ``timestamp-millis`` time, a ``decimal``
amount) behind a v0 prefix, the schema served by the tests' own registry and fetched once
by the app's registry client. Prints, measured in the same run:

(a) a bare aiokafka consumer reading them all (the ceiling);
(b) :class:`KafkaTail` (with the registry client) -> :class:`IngestPipeline`, log off.
    Target: >= 1/3 of (a);
(c) the same with the event log on, until everything is committed. Target: >= 50,000/s.

Run it as a script: ``.venv/bin/python tests/benchmarks/bench_kafka_avro.py [N]``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import fastavro

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.cli import tune_garbage_collector
from monitor.core.formats.framing import frame_v0
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import IngestPipeline
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer

QUICK = "--quick" in sys.argv[1:]  # ./dev bench --quick: small, to check it runs
N = 5_000 if QUICK else int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
PARTITIONS = 4
ROUNDS = 1 if QUICK else 3
TOPIC = "bench.orders.avro"
LOGGED_TARGET = 50_000.0
LIVE_TARGET_SHARE = 1 / 3
SCHEMA = {
    "type": "record",
    "name": "OrderEvent",
    "namespace": "com.acme.bench",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "type", "type": "string"},
        {"name": "time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "correlationId", "type": "string"},
        {"name": "causationId", "type": ["null", "string"], "default": None},
        {"name": "orderId", "type": "string"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 9, "scale": 2}},
        {"name": "items", "type": "int"},
        {"name": "customer", "type": "string"},
        {"name": "note", "type": "string"},
    ],
}  # fmt: skip
STEPS = ("OrderPlaced", "PaymentAuthorized", "InventoryReserved", "OrderShipped")


def records(n: int, rng: random.Random, schema_id: int) -> list[tuple[bytes, bytes]]:
    parsed = fastavro.parse_schema(SCHEMA)
    out: list[tuple[bytes, bytes]] = []
    t0 = int(time.time() * 1000) - 3_600_000
    order = 0
    while len(out) < n:
        order += 1
        order_id = f"ord-{order:07d}"
        correlation = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cause = None
        for step, etype in enumerate(STEPS):
            eid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            body = io.BytesIO()
            fastavro.schemaless_writer(
                body,
                parsed,
                {
                    "id": eid,
                    "type": etype,
                    "time": t0 + order * 10 + step * 50,
                    "correlationId": correlation,
                    "causationId": cause,
                    "orderId": order_id,
                    "amount": Decimal(f"{rng.uniform(5, 500):.2f}"),
                    "items": 3,
                    "customer": f"customer-{rng.randrange(10_000):05d}",
                    "note": "deliver to the side door, ring twice; gift wrap the parcel",
                },
            )
            out.append((order_id.encode(), frame_v0(schema_id, body.getvalue())))
            cause = eid
            if len(out) == n:
                break
    return out


def produce_all(bootstrap: str, rows: list[tuple[bytes, bytes]]) -> None:
    from confluent_kafka import Producer

    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000,
         "queue.buffering.max.messages": 1_000_000, "acks": "1"}
    )  # fmt: skip
    for key, value in rows:
        while True:
            try:
                producer.produce(TOPIC, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(60):
        raise RuntimeError("records were not delivered to the broker")


async def bare_rate(bootstrap: str, n: int) -> float:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024,
    )  # fmt: skip
    await consumer.start()
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        got = 0
        start = time.perf_counter()
        while got < n:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            got += sum(len(rs) for rs in batches.values())
        return n / (time.perf_counter() - start)
    finally:
        await consumer.stop()


async def tail_rate(bootstrap: str, registry: str, n: int, db: str | None) -> float:
    writer = LogWriter(db) if db is not None else None
    pipeline = IngestPipeline(writer=writer)
    started: list[float] = []
    schemas = RegistryClient(RegistrySettings(registry))  # a new cache: one fetch each run

    def on_state(state: str, _sentence: str) -> None:
        if state == "connected" and not started:
            started.append(time.perf_counter())

    tail = KafkaTail(
        ConnectionProfile(name="bench", bootstrap_servers=bootstrap),
        [TOPIC],
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
        elapsed = time.perf_counter() - started[0]
    finally:
        schemas.close()
        if writer is not None:
            writer.close()
    if progress.records != n or progress.malformed or progress.undecoded:
        raise RuntimeError(
            f"read {progress.records} of {n}: {progress.malformed} malformed, "
            f"{progress.undecoded} undecoded"
        )
    if writer is not None and writer.written != n:
        raise RuntimeError(f"logged {writer.written} of {n}")
    return n / elapsed


def main() -> int:
    tune_garbage_collector()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    broker = TansuBroker().start()
    try:
        with SchemaRegistryServer() as registry:
            sid = registry.state.register(f"{TOPIC}-value", {"schema": json.dumps(SCHEMA)})["id"]
            asyncio.run(create_topic(broker.bootstrap, TOPIC, PARTITIONS))
            rows = records(N, random.Random(7), sid)
            t = time.perf_counter()
            produce_all(broker.bootstrap, rows)
            size = sum(len(v) for _, v in rows) / len(rows)
            print(
                f"produced {N:,} Avro records (mean value {size:.0f} bytes, v0 framing) to "
                f"{PARTITIONS} partitions in {time.perf_counter() - t:.1f} s"
            )
            bare, live, logged, shares = [], [], [], []
            with tempfile.TemporaryDirectory() as tmp:
                for i in range(ROUNDS):
                    bare.append(asyncio.run(bare_rate(broker.bootstrap, N)))
                    live.append(asyncio.run(tail_rate(broker.bootstrap, registry.url, N, None)))
                    logged.append(
                        asyncio.run(tail_rate(broker.bootstrap, registry.url, N, f"{tmp}/l{i}.db"))
                    )
                    shares.append(live[-1] / bare[-1])
                    print(
                        f"  round {i + 1}: bare {bare[-1]:,.0f}  live {live[-1]:,.0f}  "
                        f"logged {logged[-1]:,.0f} records/s"
                    )
    finally:
        broker.stop()
    b, lv, lg = statistics.median(bare), statistics.median(live), statistics.median(logged)
    share = statistics.median(shares)
    live_ok, logged_ok = share >= LIVE_TARGET_SHARE, lg >= LOGGED_TARGET
    print(f"(a) bare aiokafka consumer (Avro)  : {b:>9,.0f} records/s  (median of {ROUNDS})")
    print(
        f"(b) tail -> pipeline, log off      : {lv:>9,.0f} records/s = {share:.0%} of bare; "
        f"target >= 33%: {'met' if live_ok else 'NOT met'}"
    )
    print(
        f"(c) tail -> pipeline -> event log  : {lg:>9,.0f} records/s; "
        f"target >= {LOGGED_TARGET:,.0f}: {'met' if logged_ok else 'NOT met'}"
    )
    return 0 if QUICK or (live_ok and logged_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
