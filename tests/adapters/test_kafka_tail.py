"""The Kafka tail and cluster inspection, against a real Kafka-protocol broker."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from adapters.kafka import tail as tail_module
from adapters.kafka.cluster import KafkaCluster, lag_of
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.gaps import is_gap_marker
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import IngestPipeline
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import commit_offsets, create_topic, produce
from tests.polling import poll_until


def order(i: int, correlation: str = "c-1") -> bytes:
    return json.dumps(
        {"type": "OrderPlaced", "id": f"ev-{i}", "correlationId": correlation, "n": i}
    ).encode()


async def tail_all(
    profile: ConnectionProfile, patterns: list[str], start: str = "beginning", **kw: object
) -> tuple[list[Envelope], list[DeadLetter], KafkaTail]:
    events: list[Envelope] = []
    letters: list[DeadLetter] = []
    tail = KafkaTail(
        profile,
        patterns,
        sink=events.extend,
        dead_letter_sink=letters.append,
        start=StartPosition.parse(start),
    )
    await tail.run(**kw)  # type: ignore[arg-type]
    return events, letters, tail


def test_cluster_lists_topics_with_partition_offsets_and_flags_dead_letter_topics(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name, 2)
        await create_topic(profile.bootstrap_servers, topic_name + ".DLT", 1)
        await produce(profile.bootstrap_servers, topic_name, [order(i) for i in range(3)])
        async with KafkaCluster(profile) as cluster:
            topics = {t.name: t for t in await cluster.topics()}
            depth = await cluster.dead_letter_depth()
        main = topics[topic_name]
        assert [p.partition for p in main.partitions] == [0, 1]
        assert main.partitions[0].begin == 0 and main.partitions[0].end == 3
        assert main.messages == 3 and not main.is_dead_letter_topic
        assert topics[topic_name + ".DLT"].dead_letter_of == topic_name
        assert depth[topic_name + ".DLT"] == 0

    asyncio.run(run())


def test_tail_from_beginning_decodes_every_record_and_keeps_malformed_ones(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        await produce(profile.bootstrap_servers, topic_name, [order(i) for i in range(5)])
        await produce(profile.bootstrap_servers, topic_name, [b'{"truncated": '])
        events, _, tail = await tail_all(profile, [topic_name], max_records=6, duration=20)
        assert [e.offset for e in events] == list(range(6))
        assert [e.id for e in events[:5]] == [f"ev-{i}" for i in range(5)]
        assert {e.correlation_id for e in events[:5]} == {"c-1"}
        bad = events[5]
        assert bad.malformed and bad.error and bad.raw == b'{"truncated": '
        assert tail.progress.malformed == 1

    asyncio.run(run())


def test_tail_from_end_reads_only_records_produced_after_it_started(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        await produce(profile.bootstrap_servers, topic_name, [order(i) for i in range(3)])
        events: list[Envelope] = []
        tail = KafkaTail(profile, [topic_name], sink=events.extend, start=StartPosition("end"))
        task = asyncio.create_task(tail.run(max_records=2, duration=20))
        await poll_until(lambda: tail.state == "connected" or task.done(), 30, every=0.02)
        await produce(profile.bootstrap_servers, topic_name, [order(10), order(11)])
        await task
        assert [e.id for e in events] == ["ev-10", "ev-11"]

    asyncio.run(run())


def test_tail_from_an_offset_and_from_a_timestamp(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        await produce(profile.bootstrap_servers, topic_name, [order(i) for i in range(4)])
        await asyncio.sleep(0.05)
        cut = time.time()
        await asyncio.sleep(0.05)
        await produce(profile.bootstrap_servers, topic_name, [order(i) for i in range(4, 6)])
        events, _, _ = await tail_all(profile, [topic_name], "3", max_records=3, duration=20)
        assert [e.offset for e in events] == [3, 4, 5]
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(cut)) + f".{int(cut % 1 * 1000):03d}Z"
        events, _, _ = await tail_all(profile, [topic_name], iso, max_records=2, duration=20)
        assert [e.id for e in events] == ["ev-4", "ev-5"]

    asyncio.run(run())


def test_start_positions_parse_and_bad_ones_explain_themselves() -> None:
    assert StartPosition.parse("beginning") == StartPosition("beginning")
    assert StartPosition.parse("END") == StartPosition("end")
    assert StartPosition.parse("42") == StartPosition("offset", 42)
    ago = StartPosition.parse("-15m")
    assert ago.kind == "timestamp" and abs(ago.value / 1000 - (time.time() - 900)) < 5
    with pytest.raises(ValueError, match="not a start position"):
        StartPosition.parse("yesterday-ish")


def test_tail_with_a_glob_pattern_selects_matching_topics(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        for suffix in ("a", "b"):
            await create_topic(profile.bootstrap_servers, f"{topic_name}.{suffix}")
            await produce(profile.bootstrap_servers, f"{topic_name}.{suffix}", [order(1)])
        events, _, tail = await tail_all(profile, [f"{topic_name}.*"], max_records=2, duration=20)
        assert sorted(tail.progress.topics) == [f"{topic_name}.a", f"{topic_name}.b"]
        assert {e.topic for e in events} == {f"{topic_name}.a", f"{topic_name}.b"}

    asyncio.run(run())


def test_tail_joins_no_consumer_group_and_moves_no_committed_offset(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await produce(bs, topic_name, [order(i) for i in range(4)])
        group = f"{topic_name}-billing"
        await commit_offsets(bs, group, {(topic_name, 0): 2})
        async with KafkaCluster(profile) as cluster:
            before = {g.group_id: g.to_dict() for g in await cluster.groups()}
        await tail_all(profile, [topic_name], max_records=4, duration=20)
        async with KafkaCluster(profile) as cluster:
            after = {g.group_id: g.to_dict() for g in await cluster.groups()}
        assert set(after) == set(before)  # no group created by the tail
        committed = [p for p in after[group]["partitions"] if p["topic"] == topic_name]
        assert committed == [p for p in before[group]["partitions"] if p["topic"] == topic_name]
        assert committed[0]["committed"] == 2

    asyncio.run(run())


def test_groups_report_lag_per_partition_and_clamp_a_committed_offset_past_the_end(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name, 2)
        await produce(bs, topic_name, [order(i) for i in range(5)], partition=0)
        await produce(bs, topic_name, [order(i) for i in range(2)], partition=1)
        group = f"{topic_name}-shipping"
        await commit_offsets(bs, group, {(topic_name, 0): 1, (topic_name, 1): 9})
        async with KafkaCluster(profile) as cluster:
            groups = {g.group_id: g for g in await cluster.groups()}
        lag = {(p.topic, p.partition): p for p in groups[group].partitions}
        assert lag[(topic_name, 0)].lag == 4 and not lag[(topic_name, 0)].clamped
        assert lag[(topic_name, 1)].lag == 0 and lag[(topic_name, 1)].clamped
        assert groups[group].lag == 4

    asyncio.run(run())


def test_lag_is_never_negative() -> None:
    assert lag_of(3, 10) == (7, False)
    assert lag_of(12, 10) == (0, True)


def spring_headers(original: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return [
        ("kafka_dlt-original-topic", original.encode()),
        ("kafka_dlt-original-partition", partition.to_bytes(4, "big")),
        ("kafka_dlt-original-offset", offset.to_bytes(8, "big")),
        ("kafka_dlt-exception-fqcn", b"org.example.PaymentDeclined"),
        ("kafka_dlt-exception-message", b"card 4111 declined"),
        ("kafka_dlt-exception-stacktrace", b"org.example.PaymentDeclined: card declined\n\tat X"),
        ("kafka_dlt-original-consumer-group", b"payments"),
    ]


def connect_headers(original: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return [
        ("__connect.errors.topic", original.encode()),
        ("__connect.errors.partition", str(partition).encode()),
        ("__connect.errors.offset", str(offset).encode()),
        ("__connect.errors.connector.name", b"jdbc-sink"),
        ("__connect.errors.exception.class.name", b"org.apache.kafka.connect.errors.DataException"),
        ("__connect.errors.exception.message", b"Converting byte[] to Kafka Connect data failed"),
        ("__connect.errors.exception.stacktrace", b"DataException...\n\tat Y"),
    ]


def test_spring_and_connect_dead_letter_records_land_in_the_dead_letter_store(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    async def run() -> None:
        bs = profile.bootstrap_servers
        spring_dlt, connect_dlq = f"{topic_name}-dlt", f"dlq-{topic_name}-sink"
        for t in (spring_dlt, connect_dlq):
            await create_topic(bs, t)
        await produce(bs, spring_dlt, [order(1)], headers=spring_headers(topic_name, 1, 42))
        await produce(bs, connect_dlq, [b"\x00\x01binary"], headers=connect_headers("db", 0, 7))
        db = tmp_path / "log.db"
        writer = LogWriter(str(db))
        pipeline = IngestPipeline(writer=writer)
        tail = KafkaTail(
            profile,
            [spring_dlt, connect_dlq],
            sink=pipeline.accept_many,
            dead_letter_sink=pipeline.accept_dead_letter,
            start=StartPosition("beginning"),
        )
        await tail.run(max_records=2, duration=20)
        pipeline.flush()
        writer.close()
        assert pipeline.stats.dead_letters_pending == 2
        with EventLog(db) as log:
            letters = {d.original_topic: d for d in log.dead_letters()}
            assert log.count_events() == 2
        spring = letters[topic_name]
        assert spring.reason.startswith("org.example.PaymentDeclined: card 4111 declined")
        assert f"{topic_name}[1]@42" in spring.reason
        assert spring.traceback and "at X" in spring.traceback
        assert spring.handler == "payments" and spring.status == "pending"
        assert spring.event.id == "ev-1"
        connect = letters["db"]
        assert connect.reason.startswith("org.apache.kafka.connect.errors.DataException")
        assert "db[0]@7" in connect.reason and connect.handler == "jdbc-sink"
        assert connect.event.raw == b"\x00\x01binary"

    asyncio.run(run())


def test_tail_reads_records_written_by_confluent_kafka(
    profile: ConnectionProfile, topic_name: str
) -> None:
    from confluent_kafka import Producer

    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        producer = Producer({"bootstrap.servers": profile.bootstrap_servers})
        for i in range(3):
            producer.produce(
                topic_name,
                value=json.dumps({"id": f"ck-{i}", "type": "PaymentAuthorized"}).encode(),
                key=f"k{i}".encode(),
                headers=[("ce_specversion", b"1.0"), ("x-correlation-id", b"from-librdkafka")],
                partition=0,
            )
            producer.flush(10)
        events, _, _ = await tail_all(profile, [topic_name], max_records=3, duration=20)
        assert [e.key for e in events] == ["k0", "k1", "k2"]
        assert {e.correlation_id for e in events} == {"from-librdkafka"}

    asyncio.run(run())


def test_unreachable_bootstrap_raises_one_clear_sentence() -> None:
    from tests.adapters.broker import free_port

    async def run() -> None:
        profile = ConnectionProfile(name="nowhere", bootstrap_servers=f"127.0.0.1:{free_port()}")
        with pytest.raises(KafkaUnavailable, match="Nothing accepts connections at"):
            await tail_all(profile, ["orders"], duration=5)
        with pytest.raises(KafkaUnavailable, match="is the broker running on that port"):
            async with KafkaCluster(profile):
                pass

    asyncio.run(run())


def test_tail_of_a_missing_topic_says_which_topics_exist(profile: ConnectionProfile) -> None:
    async def run() -> None:
        with pytest.raises(KafkaUnavailable, match=r"No topic on .* matches no-such-topic"):
            await tail_all(profile, ["no-such-topic"], duration=5)

    asyncio.run(run())


def test_tail_survives_a_broker_restart_and_skips_or_repeats_nothing() -> None:
    broker = TansuBroker().start()
    profile = ConnectionProfile(name="restart", bootstrap_servers=broker.bootstrap)
    states: list[str] = []

    async def run() -> list[Envelope]:
        bs = broker.bootstrap
        await create_topic(bs, "restarts")
        await produce(bs, "restarts", [order(i) for i in range(5)])
        events: list[Envelope] = []
        tail = KafkaTail(
            profile,
            ["restarts"],
            sink=events.extend,
            start=StartPosition("beginning"),
            on_state=lambda state, _sentence: states.append(state),
        )
        task = asyncio.create_task(tail.run(max_records=8, duration=90))
        await poll_until(lambda: len(events) >= 5 or task.done(), 30, every=0.05)
        broker.stop()
        await poll_until(lambda: "reconnecting" in states or task.done(), 30, every=0.1)
        broker.start()
        await create_topic(bs, "restarts")  # in-memory storage: the restarted broker is empty
        await produce(bs, "restarts", [order(i) for i in range(5, 8)])
        await asyncio.wait_for(task, 80)
        assert tail.progress.reconnects >= 1
        return events

    try:
        events = asyncio.run(run())
    finally:
        broker.stop()
    ids = [e.id for e in events if not is_gap_marker(e)]
    assert ids == [f"ev-{i}" for i in range(8)]  # all, once each, in order
    assert states[0] == "connected" and "reconnecting" in states
    # The restarted broker lost what it had: the log says so where it happened. How many
    # records the old partition got after the tail read it is unknown.
    [marker] = [i for i, e in enumerate(events) if is_gap_marker(e)]
    assert marker == 5
    assert events[marker].data == {
        "topic": "restarts",
        "partition": 0,
        "from_offset": 5,
        "resumed_at": 0,
        "lost": None,
        "reason": events[marker].data["reason"],
    }
    assert "no longer there" in events[marker].data["reason"]


def test_a_start_offset_past_the_end_reads_what_comes_next_and_says_so(
    profile: ConnectionProfile, topic_name: str
) -> None:
    sentences: list[str] = []

    async def run() -> list[Envelope]:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await produce(bs, topic_name, [order(i) for i in range(3)])
        events: list[Envelope] = []
        tail = KafkaTail(
            profile, [topic_name], sink=events.extend, start=StartPosition("offset", 99),
            on_state=lambda _state, sentence: sentences.append(sentence),
        )  # fmt: skip
        task = asyncio.create_task(tail.run(max_records=2, duration=20))
        await poll_until(lambda: tail.state == "connected" or task.done(), 30, every=0.02)
        await produce(bs, topic_name, [order(i) for i in range(3, 5)])
        await task
        return events

    events = asyncio.run(run())
    assert [e.id for e in events] == ["ev-3", "ev-4"]
    said = next(s for s in sentences if s.startswith("Tailing"))
    assert f"Offset 99 is past the end of {topic_name}/0 (at 3): reading from there" in said


def test_a_quiet_partition_tailed_from_the_end_loses_nothing_written_while_reconnecting(
    profile: ConnectionProfile, topic_name: str
) -> None:
    """Nothing was read from the partition when the connection went: the reconnect must
    resume where the tail started, not look for the end again (which would skip what was
    written meanwhile)."""

    async def run() -> list[Envelope]:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await produce(bs, topic_name, [order(i) for i in range(3)])  # old: not read
        events: list[Envelope] = []
        tail = KafkaTail(profile, [topic_name], sink=events.extend, start=StartPosition("end"))
        connect, gate, connects = tail._connect, asyncio.Event(), [0]

        async def reconnect_when_let() -> None:  # the reconnect waits for the records below
            connects[0] += 1
            if connects[0] > 1:
                await gate.wait()
            await connect()

        tail._connect = reconnect_when_let  # type: ignore[method-assign]
        task = asyncio.create_task(tail.run(max_records=2, duration=20))
        await poll_until(lambda: tail.state == "connected" or task.done(), 30, every=0.02)
        await tail._disconnect()  # the connection is gone
        await poll_until(lambda: connects[0] > 1 or task.done(), 10, every=0.02)
        await produce(bs, topic_name, [order(i) for i in range(3, 5)])  # while it is gone
        gate.set()
        await task
        return events

    events = asyncio.run(run())
    assert [e.id for e in events] == ["ev-3", "ev-4"]


def test_a_topic_found_while_tailing_from_the_end_is_read_from_its_beginning(
    profile: ConnectionProfile, topic_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The topics there at start are read from the end; one created later has only new
    records, and the tail must log all of them, not just those after its discovery."""
    monkeypatch.setattr(tail_module, "_TOPIC_REFRESH", 1.0)

    async def run() -> None:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await produce(bs, topic_name, [order(i) for i in range(3)])  # old: not read
        events: list[Envelope] = []
        tail = KafkaTail(
            profile, [topic_name, f"{topic_name}-fresh.*"], sink=events.extend,
            start=StartPosition("end"),
        )  # fmt: skip
        task = asyncio.create_task(tail.run(max_records=10, duration=20))
        await poll_until(lambda: tail.state == "connected" or task.done(), 30, every=0.02)
        fresh = f"{topic_name}-fresh.a"
        await create_topic(bs, fresh)
        await produce(bs, fresh, [order(i) for i in range(10)])
        await task
        assert fresh in tail.progress.topics
        assert [(e.topic, e.id) for e in events] == [(fresh, f"ev-{i}") for i in range(10)]

    asyncio.run(run())


def test_a_busy_tail_still_finds_new_topics(
    profile: ConnectionProfile, topic_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records arriving without pause on one topic must not keep the tail from finding a
    new matching topic within the discovery interval."""
    from aiokafka import AIOKafkaProducer

    monkeypatch.setattr(tail_module, "_TOPIC_REFRESH", 1.0)

    async def run() -> None:
        bs = profile.bootstrap_servers
        busy, fresh = f"{topic_name}.busy", f"{topic_name}.fresh"
        await create_topic(bs, busy)
        events: list[Envelope] = []
        tail = KafkaTail(profile, [f"{topic_name}.*"], sink=events.extend)
        task = asyncio.create_task(tail.run(duration=30))
        await poll_until(lambda: tail.state == "connected" or task.done(), 30, every=0.02)
        producer = AIOKafkaProducer(bootstrap_servers=bs, linger_ms=0)
        await producer.start()

        async def keep_busy() -> None:
            i = 0
            while True:  # a record every 50 ms: never 2 s without one
                await (await producer.send(busy, order(i), partition=0))
                i += 1
                await asyncio.sleep(0.05)

        busy_task = asyncio.create_task(keep_busy())
        try:
            await poll_until(lambda: len(events) >= 3 or task.done(), 10, every=0.05)
            await create_topic(bs, fresh)
            await produce(bs, fresh, [order(100), order(101)])
            # Found within a few discovery intervals while the busy topic keeps going.
            await poll_until(
                lambda: sum(e.topic == fresh for e in events) >= 2 or task.done(), 6, every=0.05
            )
            assert not task.done()
        finally:
            busy_task.cancel()
            await asyncio.gather(busy_task, return_exceptions=True)
            await producer.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert [e.id for e in events if e.topic == fresh] == ["ev-100", "ev-101"]
        busy_ids = [e.id for e in events if e.topic == busy]
        # The reconnect that picked up the new topic skipped and repeated nothing.
        assert busy_ids == [f"ev-{i}" for i in range(len(busy_ids))]

    asyncio.run(run())


def test_a_pattern_that_matches_no_topic_yet_waits_for_one_and_reads_it_whole(
    profile: ConnectionProfile, topic_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--topic 'orders.*'` before any such topic exists: the tail waits, then reads the
    first one from its beginning (all its records are newer than the tail). A name given
    exactly that does not exist still fails at once: it is more likely a typo."""
    monkeypatch.setattr(tail_module, "_WAIT_FOR_TOPIC", 0.2)

    async def run() -> None:
        bs = profile.bootstrap_servers
        states: list[str] = []
        events: list[Envelope] = []
        tail = KafkaTail(
            profile, [f"{topic_name}-later.*"], sink=events.extend, start=StartPosition("end"),
            on_state=lambda state, _sentence: states.append(state),
        )  # fmt: skip
        task = asyncio.create_task(tail.run(max_records=4, duration=30))
        await poll_until(lambda: "waiting" in states or task.done(), 30, every=0.02)
        assert "waiting" in states and not task.done()
        later = f"{topic_name}-later.a"
        await create_topic(bs, later)
        await produce(bs, later, [order(i) for i in range(4)])
        await asyncio.wait_for(task, 30)
        assert [(e.topic, e.id) for e in events] == [(later, f"ev-{i}") for i in range(4)]

        exact = KafkaTail(profile, [f"{topic_name}-typo"], sink=events.extend)
        with pytest.raises(KafkaUnavailable, match=r"No topic on .* matches"):
            await exact.run(duration=5)

    asyncio.run(run())
