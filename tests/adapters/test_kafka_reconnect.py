"""`eventflow kafka tail` logs every record once across a lost connection.

The issue's scenario, end to end: records produced by librdkafka (confluent-kafka) in
multi-record batches, so that the test broker reports stale end offsets after the
reconnect (1 for a partition already read to 167); the tail runs as users run it, as a
process, through a proxy that cuts every connection for 6 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.conftest import create_topic
from tests.adapters.tcp_proxy import CuttableProxy
from tests.polling import poll_until

TOPIC = "reconnects.orders"
CUT_SECONDS = 6.0
RECONNECTED = "Reconnected; resuming after the last record read."


def produce_with_librdkafka(bootstrap: str, first: int, n: int) -> None:
    """``n`` JSON records with ids ``r-<first>`` on, three keys, linger.ms 0 (blocking)."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for i in range(first, first + n):
        value = {"id": f"r-{i}", "type": "OrderPlaced", "correlationId": f"c-{i}", "n": i}
        producer.produce(TOPIC, json.dumps(value).encode(), f"key-{i % 3}".encode())
        producer.poll(0)
    left = producer.flush(30)
    assert left == 0, f"{left} records not delivered"


def logged_ids(db: Path) -> list[str]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return [row[0] for row in conn.execute("SELECT id FROM events")]
    except sqlite3.Error:  # not created yet
        return []


def test_kafka_tail_logs_each_record_once_across_a_cut_connection(tmp_path: Path) -> None:
    proxy_port = free_port()
    broker = TansuBroker(advertised_port=proxy_port).start()
    db = tmp_path / "log.db"
    bootstrap = f"127.0.0.1:{proxy_port}"

    async def run() -> tuple[int | None, str]:
        async with CuttableProxy(proxy_port, broker.port) as proxy:
            await create_topic(bootstrap, TOPIC, 4)
            # librdkafka blocks: in a thread, so the proxy on this loop keeps serving.
            await asyncio.to_thread(produce_with_librdkafka, bootstrap, 0, 500)
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "monitor", "kafka", "tail", "--db", str(db),
                "--bootstrap", bootstrap, "--topic", TOPIC, "--from", "beginning",
                "--duration", "30", "--max", "1000", "--quiet",
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
            assert child.stderr is not None
            said: list[str] = []

            async def read_stderr() -> None:
                assert child.stderr is not None
                while line := await child.stderr.readline():
                    said.append(line.decode())

            reading = asyncio.create_task(read_stderr())
            try:
                ids: list[str] = []

                def first_500_logged() -> bool:
                    ids[:] = logged_ids(db)
                    return len(ids) >= 500 or child.returncode is not None

                await poll_until(first_500_logged, 30, every=0.1)
                assert len(ids) == 500, "the tail ended before it read the first 500"
                proxy.cut()
                await asyncio.sleep(CUT_SECONDS)  # the scenario: the network gone for 6 s
                proxy.restore()
                # Produced once the tail is back: the end offsets it is told on reconnecting
                # are then the stale ones of the first 500 records' batches.
                await poll_until(
                    lambda: RECONNECTED in "".join(said) or child.returncode is not None,
                    30,
                    every=0.05,
                )
                await asyncio.to_thread(produce_with_librdkafka, bootstrap, 500, 500)
                # --max 1000: a tail that read anything twice stops before the last records.
                await asyncio.wait_for(child.wait(), 60)
                await reading
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
                reading.cancel()
            assert proxy.refused > 0  # the cut was felt: connections were refused
        return child.returncode, "".join(said)

    try:
        code, stderr = asyncio.run(run())
    finally:
        broker.stop()
    assert code == 0, stderr
    assert RECONNECTED in stderr
    ids = logged_ids(db)
    assert len(ids) == 1000, stderr
    assert sorted(ids) == sorted(f"r-{i}" for i in range(1000))  # each once, none missing
