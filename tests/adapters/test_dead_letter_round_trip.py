"""A Kafka dead letter, fixed and replayed, is the record it was: against the real broker.

The failing side here is what Spring Kafka's ``DeadLetterPublishingRecoverer`` does: it
copies the failed record (value, key, headers) to ``<topic>.DLT`` and adds its
``kafka_dlt-*`` headers (the partition as a 4-byte and the offset as an 8-byte big-endian
integer). The app tails the dead-letter topic, replays the letter to ``<topic>``, and a
tail of ``<topic>`` must see the original record again, marked as a replay and never
filed as a new dead letter. When the consumer fails on the replay again, the recoverer
copies it to the DLT again, replay marker included: the new letter links to the old.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.replay import replay_to_kafka
from adapters.kafka.tail import KafkaTail, StartPosition
from monitor.core.deadletters import REPLAY_COUNT_HEADER, REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from tests.adapters.conftest import create_topic

# Not canonical JSON (spaces, key order, a trailing zero): a re-encoding would change it.
VALUE = b'{ "orderId": 7,  "total": 12.50, "items": ["book"] }'
KEY = b"customer-42"
APP_HEADERS = [
    ("traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ("x-tenant", b"acme"),
]


def spring_headers(topic: str, offset: int) -> list[tuple[str, bytes]]:
    return [
        ("kafka_dlt-original-topic", topic.encode()),
        ("kafka_dlt-original-partition", (0).to_bytes(4, "big")),
        ("kafka_dlt-original-offset", offset.to_bytes(8, "big")),
        ("kafka_dlt-exception-fqcn", b"java.lang.IllegalStateException"),
        ("kafka_dlt-exception-message", b"total must have two decimals"),
        ("kafka_dlt-original-consumer-group", b"billing"),
    ]


async def dead_letter_it(
    bootstrap: str, dlt: str, value: bytes | None, key: bytes | None, headers: list[Any]
) -> None:
    """What the recoverer does: the failed record, as it was, plus its headers."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    await producer.start()
    try:
        await (await producer.send(dlt, value, key=key, headers=headers, partition=0))
    finally:
        await producer.stop()


async def raw_records(bootstrap: str, topic: str, n: int) -> list[Any]:
    """The first ``n`` records of ``topic`` as the broker has them (no decoding)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        out: list[Any] = []
        async with asyncio.timeout(20):
            while len(out) < n:
                batch = await consumer.getmany(tp, timeout_ms=500)
                out.extend(batch.get(tp, []))
        return out
    finally:
        await consumer.stop()


async def tail_letters(
    profile: ConnectionProfile, topic: str, n: int
) -> tuple[list[Envelope], list[DeadLetter]]:
    events: list[Envelope] = []
    letters: list[DeadLetter] = []
    tail = KafkaTail(
        profile,
        [topic],
        sink=events.extend,
        dead_letter_sink=letters.append,
        start=StartPosition("beginning"),
    )
    await tail.run(max_records=n, duration=20)
    return events, letters


def test_a_replayed_kafka_dead_letter_is_the_original_record_and_is_not_filed_again(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    topic, dlt = topic_name, f"{topic_name}.DLT"
    bootstrap = profile.bootstrap_servers

    async def scenario() -> None:
        await create_topic(bootstrap, topic)
        await create_topic(bootstrap, dlt)
        await dead_letter_it(bootstrap, dlt, VALUE, KEY, APP_HEADERS + spring_headers(topic, 5))

        _, [letter] = await tail_letters(profile, dlt, 1)
        assert letter.origin == f"kafka:{bootstrap}" and letter.original_topic == topic
        with EventLog(tmp_path / "log.db") as log:
            log.add_dead_letters([letter])
            stored = log.dead_letter(letter.id)
            assert stored.record is not None and stored.record.value == VALUE
            async with KafkaPublisher(profile) as publisher:
                [outcome] = await replay_to_kafka(publisher, log, [stored])
            assert outcome.status == "replayed", outcome.detail

            [record] = await raw_records(bootstrap, topic, 1)
            assert record.value == VALUE and record.key == KEY
            names = [name for name, _ in record.headers]
            assert not any(n.startswith("kafka_dlt-") or n.startswith("ce_") for n in names)
            assert list(record.headers) == [
                *APP_HEADERS,
                (REPLAY_HEADER, letter.id.encode()),
                (REPLAY_COUNT_HEADER, b"1"),
            ]

            # The app's own tail of the original topic sees the event, not a dead letter.
            [event], again = await tail_letters(profile, topic, 1)
            assert again == [] and event.headers[REPLAY_HEADER] == letter.id

            # The consumer fails on it again: the recoverer copies the replay (marker and
            # all) to the DLT. The new letter links to the old one, and the old one's
            # history says what became of its replay.
            await dead_letter_it(
                bootstrap, dlt, record.value, record.key, [*record.headers,
                *spring_headers(topic, record.offset)]
            )  # fmt: skip
            _, letters = await tail_letters(profile, dlt, 2)
            assert [d.replayed_from for d in letters] == [None, letter.id]
            log.add_dead_letters(letters)  # the first one is known: left as it is
            newer = letters[1]
            old = log.dead_letter(letter.id)
            assert old.status == "replayed" and old.failed_again_as == newer.id
            assert [a.action for a in log.actions(letter.id)] == ["replay", "failed again"]
            assert log.actions(letter.id)[1].target == newer.id
            assert log.failed_again([letter.id]) == {letter.id: newer.id}
            # Replaying the new letter sends the original record once more, with a fresh
            # marker (not the old one's, and no failure headers) and the record's second
            # replay counted as such.
            async with KafkaPublisher(profile) as publisher:
                [outcome] = await replay_to_kafka(publisher, log, [log.dead_letter(newer.id)])
            assert outcome.status == "replayed"
            second = (await raw_records(bootstrap, topic, 2))[1]
            assert second.value == VALUE and second.key == KEY
            assert list(second.headers) == [
                *APP_HEADERS,
                (REPLAY_HEADER, newer.id.encode()),
                (REPLAY_COUNT_HEADER, b"2"),
            ]

    asyncio.run(scenario())


def test_an_edited_kafka_dead_letter_replays_the_edit_and_keeps_binary_headers(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    topic, dlt = topic_name, f"{topic_name}.DLT"
    bootstrap = profile.bootstrap_servers
    binary = ("x-trace-bin", bytes(range(8)))  # not UTF-8 text: must survive byte for byte

    async def scenario() -> None:
        await create_topic(bootstrap, topic)
        await create_topic(bootstrap, dlt)
        headers = [*APP_HEADERS, binary, *spring_headers(topic, 9)]
        await dead_letter_it(bootstrap, dlt, VALUE, KEY, headers)
        _, [letter] = await tail_letters(profile, dlt, 1)
        with EventLog(tmp_path / "log.db") as log:
            log.add_dead_letters([letter])
            edited = Envelope.from_dict(letter.event.to_dict())
            edited.data = {**letter.event.data, "total": "12.50"}
            edited.headers = {**edited.headers, "x-tenant": "acme-eu"}
            log.update_dead_letter_event(letter.id, edited)
            async with KafkaPublisher(profile) as publisher:
                [outcome] = await replay_to_kafka(publisher, log, [log.dead_letter(letter.id)])
            assert outcome.status == "replayed"
            [record] = await raw_records(bootstrap, topic, 1)
            assert record.key == KEY
            assert record.value == b'{"orderId":7,"total":"12.50","items":["book"]}'
            assert dict(record.headers)["x-tenant"] == b"acme-eu"
            assert dict(record.headers)["x-trace-bin"] == bytes(range(8))
            assert not any(n.startswith("kafka_dlt-") for n, _ in record.headers)

    asyncio.run(scenario())


def test_a_letter_logged_before_records_were_kept_replays_without_new_attributes(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    """A Kafka letter without its record (logged by an older version) is sent from its
    event: its data and headers, less the failure headers, and no ``ce_*`` header it did
    not have."""
    bootstrap = profile.bootstrap_servers
    event = Envelope(
        type="unknown",
        source="kafka",
        data={"orderId": 8},
        key="customer-1",
        topic=f"{topic_name}.DLT",
        headers={"x-tenant": "acme", "kafka_dlt-exception-fqcn": "Boom"},
    )
    letter = DeadLetter(
        id=f"kafka:{topic_name}.DLT:0:3",
        event=event,
        reason="Boom",
        original_topic=topic_name,
        origin="kafka",
    )

    async def scenario() -> None:
        await create_topic(bootstrap, topic_name)
        with EventLog(tmp_path / "log.db") as log:
            log.add_dead_letters([letter])
            async with KafkaPublisher(profile) as publisher:
                [outcome] = await replay_to_kafka(publisher, log, [log.dead_letter(letter.id)])
            assert outcome.status == "replayed"
        [record] = await raw_records(bootstrap, topic_name, 1)
        assert record.value == b'{"orderId":8}' and record.key == b"customer-1"
        assert [n for n, _ in record.headers] == ["x-tenant", REPLAY_HEADER, REPLAY_COUNT_HEADER]

    asyncio.run(scenario())
