"""A real consumer group that read part of a topic, committed, and stopped consuming."""

from __future__ import annotations

import time

from tests.adapters.conftest import create_topic


async def make_lagging_group(
    bootstrap: str, topic: str, group: str, *, records: int, consumed: int, age: float
) -> None:
    """``records`` records written ``age`` seconds ago (their timestamps say so, one per
    request), of which the group ``group`` consumed ``consumed``, committed, and left.

    The consumer reads with ``assign`` under the group's id: a subscription's commit was
    refused by the test broker (UnknownMemberId right after joining), so this is the
    group-commit path it does support."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    await create_topic(bootstrap, topic)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        then_ms = int((time.time() - age) * 1000)
        for i in range(records):
            await (await producer.send(topic, b"{}", partition=0, timestamp_ms=then_ms + i))
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        got = 0
        deadline = time.monotonic() + 30
        while got < consumed and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=consumed - got)
            got += sum(len(rs) for rs in batches.values())
        assert got == consumed, f"the group read {got} of {consumed} records"
        await consumer.commit({tp: consumed})
    finally:
        await consumer.stop()
