"""Publishing to Kafka: test events, bursts, and dead-letter replays.

:class:`KafkaPublisher` wraps one producer (``acks="all"``: a send counts only once the
broker has the record). Events are encoded with the CloudEvents Kafka binding, binary
mode by default or structured mode on request.

:func:`check_write_allowed` is the safety gate every write goes through: a ``read_only``
profile refuses, a ``production`` profile needs explicit confirmation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from adapters.kafka.connection import (
    CONNECT_TIMEOUT,
    KafkaUnavailable,
    client_options_off_loop,
    explain,
    explain_async,
)
from adapters.kafka.profiles import ConnectionProfile
from monitor.core.burst import sleep_until_due
from monitor.core.encoding import encode_binary, encode_structured
from monitor.core.envelope import Envelope
from monitor.core.raw_record import RawRecord

Mode = Literal["binary", "structured"]


class WriteRefused(Exception):
    """The profile does not allow this write; the message says why."""


class ConfirmationNeeded(WriteRefused):
    """The profile is a production one: the user must confirm (``--yes``)."""


def check_write_allowed(profile: ConnectionProfile, *, confirmed: bool, action: str) -> None:
    if profile.read_only:
        raise WriteRefused(
            f"Profile {profile.name} is read-only: {action} is disabled. Use a profile "
            "without read_only to write to this cluster."
        )
    if profile.is_production and not confirmed:
        raise ConfirmationNeeded(
            f"Profile {profile.name} is labelled {profile.environment}: {action} needs "
            "explicit confirmation (pass --yes, or confirm in the window)."
        )


def check_partition_number(partition: int | None) -> None:
    """Refuse a negative partition; needs no connection, so it can run before one."""
    if partition is not None and partition < 0:
        raise KafkaUnavailable(
            f"There is no partition {partition}: partitions are numbered from 0."
        )


def _has(partitions: set[int]) -> str:
    """``has partitions 0-2`` for {0, 1, 2}; ``has partitions 0, 2`` when there are gaps."""
    ordered = sorted(partitions)
    if len(ordered) <= 1:
        return f"has only partition {ordered[0]}" if ordered else "has no partitions"
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"has partitions {ordered[0]}-{ordered[-1]}"
    return f"has partitions {', '.join(str(p) for p in ordered)}"


def encode(event: Envelope, mode: Mode) -> tuple[bytes, list[tuple[str, bytes]]]:
    return encode_structured(event) if mode == "structured" else encode_binary(event)


@dataclass(frozen=True, slots=True)
class Sent:
    topic: str
    partition: int
    offset: int


class KafkaPublisher:
    """``async with KafkaPublisher(profile) as pub: await pub.send(event, "orders")``."""

    def __init__(
        self, profile: ConnectionProfile, password: str | None = None, *, mode: Mode = "binary"
    ) -> None:
        self.profile = profile
        self.password = password
        self.mode = mode
        self._producer: Any = None
        self._topics: set[str] = set()  # topics seen on the cluster (has_topic's cache)

    async def __aenter__(self) -> KafkaPublisher:
        from aiokafka import AIOKafkaProducer

        options = await client_options_off_loop(self.profile, self.password)
        self._producer = AIOKafkaProducer(acks="all", linger_ms=5, **options)
        try:
            await asyncio.wait_for(self._producer.start(), CONNECT_TIMEOUT)
        except Exception as exc:
            await self.__aexit__()
            raise KafkaUnavailable(await explain_async(exc, self.profile)) from exc
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def check_partition(self, topic: str, partition: int | None) -> None:
        """Raise :class:`KafkaUnavailable` with a clear sentence when ``topic`` has no
        partition ``partition`` (aiokafka would fail the send with a bare AssertionError)."""
        if partition is None:
            return
        check_partition_number(partition)
        try:
            partitions = await self._producer.partitions_for(topic)  # cached metadata
        except Exception as exc:
            raise KafkaUnavailable(explain(exc, self.profile, topic=topic)) from exc
        if partition not in partitions:
            raise KafkaUnavailable(
                f"Topic {topic} {_has(partitions)}; there is no partition {partition}."
            )

    async def enqueue(
        self,
        event: Envelope,
        topic: str,
        *,
        partition: int | None = None,
        mode: Mode | None = None,
    ) -> asyncio.Future[Any]:
        """Hand the record to the producer; the returned future resolves on the broker's ack."""
        await self.check_partition(topic, partition)
        value, headers = encode(event, mode or self.mode)
        key = event.key.encode("utf-8", "surrogateescape") if event.key is not None else None
        try:
            fut: asyncio.Future[Any] = await self._producer.send(
                topic, value=value, key=key, headers=headers, partition=partition
            )
        except Exception as exc:
            raise KafkaUnavailable(explain(exc, self.profile, topic=topic)) from exc
        return fut

    async def has_topic(self, topic: str) -> bool:
        """Whether the cluster has ``topic``. Reads the metadata of every topic (asking
        for the one would make a broker that creates topics on demand create it), once
        until a topic is not found."""
        if topic in self._topics:
            return True
        try:
            metadata = await asyncio.wait_for(
                self._producer.client.fetch_all_metadata(), CONNECT_TIMEOUT
            )
        except Exception as exc:
            raise KafkaUnavailable(explain(exc, self.profile, topic=topic)) from exc
        self._topics = set(metadata.topics(exclude_internal_topics=False))
        return topic in self._topics

    async def enqueue_record(self, record: RawRecord, topic: str) -> asyncio.Future[Any]:
        """Hand a record to the producer as it is (value, key and headers byte for byte);
        the returned future resolves on the broker's ack."""
        try:
            fut: asyncio.Future[Any] = await self._producer.send(
                topic, value=record.value, key=record.key, headers=list(record.headers)
            )
        except Exception as exc:
            raise KafkaUnavailable(explain(exc, self.profile, topic=topic)) from exc
        return fut

    async def send_record(self, record: RawRecord, topic: str) -> Sent:
        """Send a record as it is (a schema-encoded one the composer made) and wait for
        the broker's ack."""
        fut = await self.enqueue_record(record, topic)
        try:
            meta = await asyncio.wait_for(fut, CONNECT_TIMEOUT * 2)
        except Exception as exc:
            raise KafkaUnavailable(explain(exc, self.profile, topic=topic)) from exc
        return Sent(meta.topic, meta.partition, meta.offset)

    async def send(
        self,
        event: Envelope,
        topic: str,
        *,
        partition: int | None = None,
        mode: Mode | None = None,
    ) -> Sent:
        """Send one event and wait for the broker's ack."""
        fut = await self.enqueue(event, topic, partition=partition, mode=mode)
        try:
            meta = await asyncio.wait_for(fut, CONNECT_TIMEOUT * 2)
        except Exception as exc:
            raise KafkaUnavailable(explain(exc, self.profile, topic=topic)) from exc
        return Sent(meta.topic, meta.partition, meta.offset)

    async def burst(
        self,
        make_event: Callable[[int], Envelope],
        topic: str,
        *,
        count: int,
        rate: float | None = None,
        partition: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        window: int = 1000,
    ) -> int:
        """Send ``count`` events (``make_event(i)``) at up to ``rate`` per second, waiting
        for acks every ``window`` records; returns how many the broker acknowledged."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        pending: list[asyncio.Future[Any]] = []
        acked = 0
        for i in range(count):
            if rate:
                await sleep_until_due(start, i, rate)
            pending.append(await self.enqueue(make_event(i), topic, partition=partition))
            if len(pending) >= window or i == count - 1:
                results = await asyncio.gather(*pending, return_exceptions=True)
                pending = []
                failures = [r for r in results if isinstance(r, BaseException)]
                acked += len(results) - len(failures)
                if on_progress is not None:
                    on_progress(i + 1, count)
                if failures:
                    raise KafkaUnavailable(explain(failures[0], self.profile, topic=topic))
        return acked
