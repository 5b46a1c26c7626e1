"""What is on a Kafka cluster: topics with their offsets, consumer groups with their lag.

:class:`KafkaCluster` is an async context manager holding one admin client and one
group-less consumer (used only to read offsets; it joins nothing and commits nothing).

Lag is ``end offset - committed offset`` per partition, never negative: a committed
offset past the end (which some brokers report after batched writes, or after a topic
was truncated) is clamped to zero lag and flagged, so a user sees a question rather
than a nonsense number.

A broker with ``auto.create.topics.enable`` (the default) creates any topic a producer
names, so a typo in a publish makes a new topic and the event goes nowhere anyone reads.
:func:`require_topic` checks first, and publishing refuses a missing topic unless the
user asked for it to be created (:class:`TopicMissing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from adapters.kafka.connection import (
    CONNECT_TIMEOUT,
    KafkaUnavailable,
    client_options_off_loop,
    explain,
    explain_async,
)
from adapters.kafka.dead_letter_topics import DeadLetterTopicRules
from adapters.kafka.profiles import ConnectionProfile

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    partition: int
    begin: int
    end: int

    @property
    def messages(self) -> int:
        return max(0, self.end - self.begin)


@dataclass(slots=True)
class TopicInfo:
    name: str
    partitions: list[PartitionOffsets]
    dead_letter_of: str | None = None  # the original topic, when this is a dead-letter topic

    @property
    def messages(self) -> int:
        return sum(p.messages for p in self.partitions)

    @property
    def is_dead_letter_topic(self) -> bool:
        return self.dead_letter_of is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "partitions": [
                {"partition": p.partition, "begin": p.begin, "end": p.end, "messages": p.messages}
                for p in self.partitions
            ],
            "messages": self.messages,
            "dead_letter_topic": self.is_dead_letter_topic,
            "dead_letter_of": self.dead_letter_of,
        }


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int
    end: int
    lag: int
    clamped: bool  # committed was past the end: lag shown as 0, worth a look
    # How far behind in time: the age of the record at the committed offset (0 with no
    # lag; None when not asked for or the record could not be read).
    lag_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "committed": self.committed,
            "end": self.end,
            "lag": self.lag,
            "clamped": self.clamped,
            "lag_seconds": self.lag_seconds,
        }


@dataclass(slots=True)
class GroupInfo:
    group_id: str
    state: str
    members: int
    partitions: list[PartitionLag] = field(default_factory=list)
    sampled_at: float = field(default_factory=time.time)

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def lag_seconds(self) -> float | None:
        """The worst partition's lag in seconds; None when none was measured."""
        ages = [p.lag_seconds for p in self.partitions if p.lag_seconds is not None]
        return max(ages) if ages else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "state": self.state,
            "members": self.members,
            "lag": self.lag,
            "lag_seconds": self.lag_seconds,
            "partitions": [p.to_dict() for p in self.partitions],
        }


class TopicMissing(KafkaUnavailable):
    """The topic a write names does not exist, and the user did not ask to create it."""


def cluster_label(profile: ConnectionProfile) -> str:
    """How a sentence names the cluster: ``staging (kafka:9092)``, or only the servers for
    a ``--bootstrap`` without a profile."""
    adhoc = profile.name == "bootstrap"
    return profile.bootstrap_servers if adhoc else f"{profile.name} ({profile.bootstrap_servers})"


def missing_topic_sentence(topic: str, profile: ConnectionProfile, remedy: str) -> str:
    """``Topic X does not exist on CLUSTER; <remedy>.``"""
    return f"Topic {topic} does not exist on {cluster_label(profile)}; {remedy}."


async def require_topic(
    profile: ConnectionProfile, password: str | None, topic: str, *, remedy: str
) -> None:
    """Raise :class:`TopicMissing` (with :func:`missing_topic_sentence`) when ``topic`` is
    not on the profile's cluster, :class:`KafkaUnavailable` when the cluster cannot be
    asked. Opens a connection of its own for the question."""
    async with KafkaCluster(profile, password) as cluster:
        if not await cluster.has_topic(topic):
            raise TopicMissing(missing_topic_sentence(topic, profile, remedy))


def lag_of(committed: int, end: int) -> tuple[int, bool]:
    """(lag, clamped): never negative."""
    if committed > end:
        return 0, True
    return end - committed, False


class KafkaCluster:
    """``async with KafkaCluster(profile) as cluster: await cluster.topics()``.

    Entering raises :class:`KafkaUnavailable` with one sentence when the cluster cannot be
    reached or refuses the credentials.
    """

    def __init__(
        self,
        profile: ConnectionProfile,
        password: str | None = None,
        rules: DeadLetterTopicRules | None = None,
    ) -> None:
        self.profile = profile
        self.password = password
        self.rules = rules or DeadLetterTopicRules(tuple(profile.dead_letter_patterns))
        self._admin: Any = None
        self._consumer: Any = None
        self._peeker: Any = None  # reads single records for lag in seconds; made on demand

    async def __aenter__(self) -> KafkaCluster:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        options = await client_options_off_loop(self.profile, self.password)
        admin_options = {k: v for k, v in options.items() if k != "retry_backoff_ms"}
        self._admin = AIOKafkaAdminClient(**admin_options)
        self._consumer = AIOKafkaConsumer(group_id=None, enable_auto_commit=False, **options)
        try:
            await asyncio.wait_for(self._admin.start(), CONNECT_TIMEOUT)
            await asyncio.wait_for(self._consumer.start(), CONNECT_TIMEOUT)
        except BaseException as exc:
            await self.__aexit__()
            if isinstance(exc, Exception):
                raise KafkaUnavailable(await explain_async(exc, self.profile)) from exc
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for client, stop in (
            (self._peeker, "stop"),
            (self._consumer, "stop"),
            (self._admin, "close"),
        ):
            if client is not None:
                with contextlib.suppress(Exception):
                    await getattr(client, stop)()
        self._admin = self._consumer = self._peeker = None

    async def _call(self, coro: Any, what: str) -> Any:
        try:
            return await asyncio.wait_for(coro, CONNECT_TIMEOUT)
        except Exception as exc:
            raise KafkaUnavailable(f"{what}: {explain(exc, self.profile)}") from exc

    async def has_topic(self, name: str) -> bool:
        """Whether the cluster has a topic called ``name`` (internal ones included).

        Reads the metadata of every topic: a metadata request that names the topic would
        itself make a broker that creates topics on demand create it."""
        names = await self._call(self._consumer.topics(), "Listing topics failed")
        return name in names

    async def topic_names(self) -> list[str]:
        names = await self._call(self._consumer.topics(), "Listing topics failed")
        return sorted(n for n in names if not n.startswith("__"))

    async def topics(self) -> list[TopicInfo]:
        """Every non-internal topic with its partitions' begin and end offsets."""
        from aiokafka import TopicPartition

        names = await self.topic_names()
        tps = [
            TopicPartition(n, p)
            for n in names
            for p in sorted(self._consumer.partitions_for_topic(n) or ())
        ]
        begins = await self._call(self._consumer.beginning_offsets(tps), "Reading offsets failed")
        ends = await self._call(self._consumer.end_offsets(tps), "Reading offsets failed")
        out = []
        for n in names:
            parts = [
                PartitionOffsets(tp.partition, begins[tp], ends[tp]) for tp in tps if tp.topic == n
            ]
            out.append(TopicInfo(n, parts, self.rules.match(n)))
        return out

    async def dead_letter_depth(self) -> dict[str, int]:
        """Messages waiting in each dead-letter topic."""
        return {t.name: t.messages for t in await self.topics() if t.is_dead_letter_topic}

    async def _describe(self, group_ids: list[str]) -> dict[str, tuple[str, int]]:
        """State and member count per group. One group whose description the broker
        garbles (seen with Kafka-compatible brokers) must not hide all the others, so a
        failed batch is retried group by group and the unreadable ones say so."""
        state: dict[str, tuple[str, int]] = {}
        try:
            batches = [
                await asyncio.wait_for(
                    self._admin.describe_consumer_groups(group_ids), CONNECT_TIMEOUT
                )
            ]
        except Exception:
            batches = []
            for gid in group_ids:
                try:
                    batches.append(
                        await asyncio.wait_for(
                            self._admin.describe_consumer_groups([gid]), CONNECT_TIMEOUT
                        )
                    )
                except Exception as exc:
                    log.info("describing group %s failed: %s", gid, exc)
                    state[gid] = ("Unknown (unreadable answer)", 0)
        for described in batches:
            for response in described:
                for g in response.groups:
                    # (error_code, group, state, protocol_type, protocol, members)
                    state[g[1]] = (g[2] or "Unknown", len(g[5] or ()))
        return state

    async def groups(self, *, lag_seconds: bool = False) -> list[GroupInfo]:
        """Consumer groups with state, member count, committed offsets and lag; with
        ``lag_seconds``, also how far behind in time each lagging partition is."""
        from aiokafka import TopicPartition

        listed = await self._call(self._admin.list_consumer_groups(), "Listing groups failed")
        group_ids = sorted(g[0] for g in listed)
        if not group_ids:
            return []
        state = await self._describe(group_ids)
        names = await self.topic_names()
        tps = [
            TopicPartition(n, p)
            for n in names
            for p in sorted(self._consumer.partitions_for_topic(n) or ())
        ]
        ends = await self._call(self._consumer.end_offsets(tps), "Reading offsets failed")
        out = []
        for gid in group_ids:
            # Partitions are passed explicitly: asking for "all" is not supported by
            # every Kafka-compatible broker.
            st, members = state.get(gid, ("Unknown", 0))
            try:
                committed = await asyncio.wait_for(
                    self._admin.list_consumer_group_offsets(gid, partitions=tps), CONNECT_TIMEOUT
                )
            except Exception as exc:
                log.info("reading the offsets of group %s failed: %s", gid, exc)
                out.append(GroupInfo(gid, f"{st}; offsets unreadable", members, []))
                continue
            lags = []
            for tp, meta in sorted(
                committed.items(), key=lambda kv: (kv[0].topic, kv[0].partition)
            ):
                if meta is None or meta.offset is None or meta.offset < 0:
                    continue  # nothing committed for this partition
                end = ends.get(tp, 0)
                lag, clamped = lag_of(meta.offset, end)
                lags.append(PartitionLag(tp.topic, tp.partition, meta.offset, end, lag, clamped))
            out.append(GroupInfo(gid, st, members, lags))
        if lag_seconds:
            await self._add_lag_seconds(out)
        return out

    async def _add_lag_seconds(self, groups: list[GroupInfo]) -> None:
        from aiokafka import TopicPartition

        wanted = {
            (p.topic, p.partition, p.committed) for g in groups for p in g.partitions if p.lag > 0
        }
        try:
            times = await record_times(self, [(TopicPartition(t, n), o) for t, n, o in wanted])
        except Exception as exc:  # lag in records is still worth showing
            log.info("reading the records at committed offsets failed: %s", exc)
            times = {}
        now = time.time()
        for g in groups:
            g.partitions = [
                dataclasses.replace(p, lag_seconds=_age(p, times, now)) for p in g.partitions
            ]

    async def peeker(self) -> Any:
        """A group-less consumer of its own, for reading single records at offsets (the
        offsets consumer is never assigned anything, so its reads stay cheap)."""
        if self._peeker is None:
            from aiokafka import AIOKafkaConsumer

            options = await client_options_off_loop(self.profile, self.password)
            peeker = AIOKafkaConsumer(
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_partition_fetch_bytes=64 * 1024,
                **options,
            )
            await asyncio.wait_for(peeker.start(), CONNECT_TIMEOUT)
            self._peeker = peeker
        return self._peeker


def _age(p: PartitionLag, times: dict[tuple[str, int, int], float], now: float) -> float | None:
    if p.lag <= 0:
        return 0.0
    at = times.get((p.topic, p.partition, p.committed))
    return None if at is None else max(0.0, now - at)


async def record_times(
    cluster: KafkaCluster, wanted: list[tuple[Any, int]]
) -> dict[tuple[str, int, int], float]:
    """The timestamp (epoch seconds) of the record at each ``(TopicPartition, offset)``,
    keyed ``(topic, partition, offset)``. A record gone (retention) reads as the first one
    still there; one not read within the connect timeout is left out."""
    if not wanted:
        return {}
    consumer = await cluster.peeker()
    consumer.assign([tp for tp, _ in wanted])
    for tp, offset in wanted:
        consumer.seek(tp, offset)
    found: dict[tuple[str, int, int], float] = {}
    offsets = dict(wanted)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CONNECT_TIMEOUT
    while len(found) < len(wanted) and loop.time() < deadline:
        batches = await consumer.getmany(timeout_ms=200, max_records=len(wanted) * 10)
        for tp, records in batches.items():
            key = (tp.topic, tp.partition, offsets[tp])
            if records and key not in found:
                found[key] = records[0].timestamp / 1000.0
                consumer.pause(tp)
    consumer.assign([])
    return found
