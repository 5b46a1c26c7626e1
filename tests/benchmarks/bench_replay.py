"""Benchmark: replaying 10,000 dead letters into Kafka.

Starts the Tansu test broker on a free loopback port, stores 10,000 dead letters in a
fresh event log, and replays them all with ``replay_to_kafka`` (acks awaited per window,
the store updated after each window's acks). Prints records/s. Target: >= 5,000/s.
"""

from __future__ import annotations

import asyncio
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

N = 10_000
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


def main() -> int:
    broker = TansuBroker().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rate = asyncio.run(replay_rate(broker, Path(tmp)))
    finally:
        broker.stop()
    met = rate >= 5_000
    print(
        f"replay of {N:,} dead letters to Kafka: {rate:>8,.0f} records/s  "
        f"target >= 5,000: {'met' if met else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
