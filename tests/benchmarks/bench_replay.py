"""Benchmark: replaying 10,000 dead letters into Kafka.

Starts the Tansu test broker on a free loopback port, stores 10,000 dead letters in a
fresh event log, and replays them all with ``replay_to_kafka`` (acks awaited per window,
the store marking each letter as its ack comes). Prints records/s, beside a bare aiokafka
producer sending as many records of the same value (acks from all replicas, no store) in
the same run. Target: >= 5,000/s. ``--quick``: 500 letters, to check it runs.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.replay import replay_to_kafka
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic

QUICK = "--quick" in sys.argv[1:]
N = 500 if QUICK else 10_000
TOPIC = "payments.authorized"


def dead_letters(n: int) -> list[DeadLetter]:
    return [
        DeadLetter(
            event=Envelope(
                type="PaymentAuthorized",
                source="demo-shop/payments",
                topic=TOPIC,
                key=f"ord-{i:06d}",
                data={"orderId": f"ord-{i:06d}", "amount": 42.5, "items": [{"sku": "SKU-999"}]},
            ),
            reason="UnknownProduct: product SKU-999 is not stocked in any warehouse",
            original_topic=TOPIC,
            handler="warehouse",
            attempts=3,
        )
        for i in range(n)
    ]


async def replay_rate(broker: TansuBroker, folder: Path) -> float:
    await create_topic(broker.bootstrap, TOPIC, 4)
    with EventLog(folder / "log.db") as log:
        letters = dead_letters(N)
        log.add_dead_letters(letters)
        profile = ConnectionProfile(name="bench", bootstrap_servers=broker.bootstrap)
        async with KafkaPublisher(profile) as publisher:
            start = time.perf_counter()
            outcomes = await replay_to_kafka(publisher, log, letters)
            elapsed = time.perf_counter() - start
        assert [o.status for o in outcomes] == ["replayed"] * N
        assert log.stats().dead_letters_by_status["replayed"] == N
    return N / elapsed


async def bare_producer_rate(broker: TansuBroker) -> float:
    """A bare producer, configured as the replay's, sending N records of a letter's size."""
    from aiokafka import AIOKafkaProducer

    topic = f"{TOPIC}.bare"
    await create_topic(broker.bootstrap, topic, 4)
    value = json.dumps(dead_letters(1)[0].event.data).encode()  # a binary-mode replay's value
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        start = time.perf_counter()
        futures = [await producer.send(topic, value, key=f"ord-{i:06d}".encode()) for i in range(N)]
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - start
    finally:
        await producer.stop()
    return N / elapsed


def main() -> int:
    broker = TansuBroker().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rate = asyncio.run(replay_rate(broker, Path(tmp)))
        bare = asyncio.run(bare_producer_rate(broker))
    finally:
        broker.stop()
    met = rate >= 5_000
    print(f"bare aiokafka producer, {N:,} records     : {bare:>8,.0f} records/s")
    print(
        f"replay of {N:,} dead letters to Kafka: {rate:>8,.0f} records/s = {rate / bare:.0%} of"
        f" the bare producer; target >= 5,000: {'met' if met else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
