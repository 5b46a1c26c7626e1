"""Replaying dead letters to Kafka.

A letter that came from Kafka is sent as the record it was (:class:`RawRecord`: the same
value and key bytes, its headers less the failing side's ``kafka_dlt-*`` /
``__connect.errors.*``) with the replay marker headers, to its original topic (or the one
the user names). A letter from the embedded bus is sent as a CloudEvent (binary mode),
which is what bus events are. Records go out in windows: every record of a window is handed
to the producer, the broker's acks are awaited, and only then are the acknowledged dead
letters marked ``replayed`` in the store, in one transaction per window. A crash between
the ack and the store update leaves a dead letter ``pending`` although it was sent: it
may be sent again (at least once), and the ``eventflow-replay-of`` header lets a consumer
drop the duplicate. Nothing is ever marked replayed without the broker having it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from adapters.kafka.connection import explain
from adapters.kafka.publisher import KafkaPublisher
from monitor.core.burst import sleep_until_due
from monitor.core.deadletters import DeadLetter
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import RawRecord, record_of_event
from monitor.core.replay import ReplayOutcome, replay_event, unsent_outcome


def replay_record(letter: DeadLetter) -> RawRecord | None:
    """The record a replay of ``letter`` sends, for a letter that came from Kafka (None
    for a letter from the embedded bus)."""
    if letter.kafka_cluster is None:
        return None
    record = letter.record or record_of_event(letter.event)
    return record.for_replay(letter.id, letter.replay_count + 1)


async def replay_to_kafka(
    publisher: KafkaPublisher,
    log: EventLog,
    letters: Sequence[DeadLetter],
    *,
    topic: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    rate: float | None = None,
    window: int = 500,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[ReplayOutcome]:
    """Replay ``letters`` through ``publisher``; one outcome per letter, in order."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcomes: list[ReplayOutcome] = []
    batch: list[tuple[DeadLetter, str, asyncio.Future[object]]] = []
    sent = 0
    cluster = publisher.profile.name

    async def settle() -> None:
        results = await asyncio.gather(*(fut for _, _, fut in batch), return_exceptions=True)
        records = []
        for (letter, target, _), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                text = explain(result, publisher.profile, topic=target)
                records.append((letter.id, f"kafka:{cluster}/{target}", False, text))
                outcomes.append(ReplayOutcome(letter.id, target, "failed", text))
            else:
                where = f"{target}[{result.partition}]@{result.offset}"  # type: ignore[attr-defined]
                records.append((letter.id, f"kafka:{cluster}/{target}", True, f"acked at {where}"))
                outcomes.append(ReplayOutcome(letter.id, target, "replayed", f"sent to {where}"))
        # Only now, with the broker's answer in hand, does the store change.
        await asyncio.to_thread(log.record_replays, records)
        batch.clear()

    for done, letter in enumerate(letters, start=1):
        target = topic or letter.original_topic
        unsent = unsent_outcome(letter, topic=target, target=target, force=force, dry_run=dry_run)
        if unsent is not None:
            outcomes.append(unsent)
        else:
            assert target  # unsent_outcome fails a letter with no topic to send it to
            if rate:
                await sleep_until_due(started, sent, rate)
            record = replay_record(letter)
            if record is not None:
                fut = await publisher.enqueue_record(record, target)
            else:
                fut = await publisher.enqueue(replay_event(letter), target)
            batch.append((letter, target, fut))
            sent += 1
            if len(batch) >= window:
                await settle()
        if on_progress is not None:
            on_progress(done, len(letters))
    if batch:
        await settle()
    order = {letter.id: i for i, letter in enumerate(letters)}
    outcomes.sort(key=lambda o: order[o.dead_letter_id])
    return outcomes
