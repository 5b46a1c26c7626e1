from __future__ import annotations

import asyncio
import itertools

import pytest

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from monitor.core.envelope import Envelope
from tests.adapters.broker import TansuBroker

_names = itertools.count()


@pytest.fixture
def profile(broker: TansuBroker) -> ConnectionProfile:
    return ConnectionProfile(name="test", bootstrap_servers=broker.bootstrap)


@pytest.fixture
def topic_name() -> str:
    """A fresh topic name per test: the broker is shared by the session."""
    return f"t{next(_names)}-orders"


async def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def produce(
    bootstrap: str,
    topic: str,
    values: list[bytes],
    *,
    headers: list[tuple[str, bytes]] | None = None,
    partition: int | None = 0,
    one_per_request: bool = True,
) -> None:
    """Produce records. One record per request by default: the test broker reports the
    high watermark of a multi-record batch as its base offset + 1."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        for v in values:
            fut = await producer.send(topic, v, headers=headers or [], partition=partition)
            if one_per_request:
                await fut
        await producer.flush()
    finally:
        await producer.stop()


async def read_topic(profile: ConnectionProfile, topic: str, n: int) -> list[Envelope]:
    """The first ``n`` events of ``topic``, read from its beginning by the app's own tail."""
    out: list[Envelope] = []
    tail = KafkaTail(profile, [topic], sink=out.extend, start=StartPosition("beginning"))
    await tail.run(max_records=n, duration=20)
    return out


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def commit_offsets(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Commit offsets for ``group`` as a consumer of that group would."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = {TopicPartition(t, p): o for (t, p), o in offsets.items()}
        consumer.assign(list(tps))
        await consumer.commit(tps)
    finally:
        await consumer.stop()
