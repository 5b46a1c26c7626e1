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

from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.cli import tune_garbage_collector
from monitor.core.formats.framing import frame_v0
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.benchmarks.bench_kafka import bare_rate, produce_rows, tail_rate

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


def avro_tail_rate(bootstrap: str, registry: str, db: str | None) -> float:
    """The tail's rate with the app's registry client (a new cache: one fetch each run)."""
    schemas = RegistryClient(RegistrySettings(registry))
    try:
        return asyncio.run(tail_rate(bootstrap, N, db, topic=TOPIC, schemas=schemas))[0]
    finally:
        schemas.close()


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
            produce_rows(broker.bootstrap, TOPIC, [(k, v, None) for k, v in rows])
            size = sum(len(v) for _, v in rows) / len(rows)
            print(
                f"produced {N:,} Avro records (mean value {size:.0f} bytes, v0 framing) to "
                f"{PARTITIONS} partitions in {time.perf_counter() - t:.1f} s"
            )
            bare, live, logged, shares = [], [], [], []
            with tempfile.TemporaryDirectory() as tmp:
                for i in range(ROUNDS):
                    bare.append(asyncio.run(bare_rate(broker.bootstrap, N, TOPIC, PARTITIONS))[0])
                    live.append(avro_tail_rate(broker.bootstrap, registry.url, None))
                    logged.append(avro_tail_rate(broker.bootstrap, registry.url, f"{tmp}/l{i}.db"))
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
