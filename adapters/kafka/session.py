"""One connected Kafka cluster, as the window uses it: browse, watch, tail, publish.

A :class:`KafkaSession` is a profile and its password plus what runs against that cluster
while the user is connected:

* one browsing connection (:class:`~adapters.kafka.cluster.KafkaCluster`) for the topics
  and consumer-group tables;
* a watch task that, every ``interval`` seconds, samples group lag and dead-letter depth
  into gauge histories (through a :class:`~adapters.kafka.sampler.ClusterSampler`, so the
  gauges mean exactly what they mean elsewhere) and reads the topics, and hands both to
  ``on_snapshot``. The tables and the charts are fed by one round of requests on one
  connection, rather than a sampler and a table refresh each asking the cluster;
* at most one :class:`~adapters.kafka.tail.KafkaTail` task feeding the ingest pipeline
  (the same path the demo takes);
* a producer, opened on the first publish, behind :func:`check_write_allowed`.

:meth:`KafkaSession.open` raises :class:`KafkaUnavailable` (one sentence) when the cluster
cannot be used. Later failures never raise out of a task: the watch reports them through
``on_state`` and retries on its next tick; the tail reconnects by itself and reports
through ``on_tail_state``. :meth:`KafkaSession.close` cancels and awaits every task and
closes every client; it is safe to call more than once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from adapters.kafka.cluster import GroupInfo, KafkaCluster, TopicInfo
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import KafkaPublisher, Mode, Sent, check_write_allowed
from adapters.kafka.sampler import ClusterSampler
from adapters.kafka.tail import (
    KafkaTail,
    StartPosition,
    logged_offsets,
    logged_positions,
    matches_any,
)
from adapters.schema_registry.client import RegistrySettings
from adapters.schema_registry.sources import registry_settings, schema_source
from monitor.core.envelope import Envelope
from monitor.core.eventlog import LogError
from monitor.core.formats.schemas import SchemaSource, close_schema_source
from monitor.core.gauges import GaugeHistory
from monitor.core.logged_offsets import LoggedOffsets
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import EventSink, IngestPipeline
from monitor.core.raw_record import RawRecord
from monitor.core.wording import count

log = logging.getLogger(__name__)

StateListener = Callable[[str, str], None]  # (state, sentence)
SnapshotListener = Callable[[list[TopicInfo], list[GroupInfo]], None]
FROM_END = StartPosition("end")
# Records a window's tail takes per fetch. A fetch is decoded in one go on the event loop:
# 500 records take ~5 ms there, the tail's default 10,000 would freeze the window for a
# tenth of a second. 1,000 were tried first: halving them cut the loop-latency p99 by
# about a sixth at 50,000 records/s (tests/benchmarks/bench_window.py feeds batches of
# this size).
WINDOW_TAIL_BATCH = 500


async def check_connection(
    profile: ConnectionProfile, password: str | None = None
) -> tuple[bool, str]:
    """Connect, count the topics, disconnect: ``(True, "Connected to ...")`` or
    ``(False, the sentence saying what is wrong)``. Never raises for a cluster problem."""
    try:
        async with KafkaCluster(profile, password) as cluster:
            names = await cluster.topic_names()
    except KafkaUnavailable as exc:
        return False, str(exc)
    return True, f"Connected to {profile.bootstrap_servers}: {count(len(names), 'topic')}."


class KafkaSession:
    def __init__(
        self,
        profile: ConnectionProfile,
        password: str | None = None,
        *,
        pipeline: EventSink,
        lag: GaugeHistory | None = None,
        dead_letter_depth: GaugeHistory | None = None,
        interval: float = 5.0,
        on_state: StateListener | None = None,
        on_tail_state: StateListener | None = None,
        on_snapshot: SnapshotListener | None = None,
        registry_secret: str | None = None,
    ) -> None:
        self.profile = profile
        self.password = password
        # The schema registry's password or token when the caller has it (else the
        # environment's or the keyring's is used).
        self.registry_secret = registry_secret
        self.pipeline = pipeline
        self.sampler = ClusterSampler(
            profile, password, lag=lag, dead_letter_depth=dead_letter_depth, interval=interval
        )
        self.interval = interval
        self.on_state = on_state
        self.on_tail_state = on_tail_state
        self.on_snapshot = on_snapshot
        self.topics: list[TopicInfo] = []
        self.groups: list[GroupInfo] = []
        self.tail: KafkaTail | None = None
        # The profile's schema registry and local schema files, made on the first tail.
        self._schemas: SchemaSource | None = None
        self._schemas_made = False
        self.closed = False
        self._cluster: KafkaCluster | None = None
        self._cluster_lock = asyncio.Lock()
        self._publisher: KafkaPublisher | None = None
        self._publisher_lock = asyncio.Lock()
        self._schemas_lock = asyncio.Lock()
        self._watch_task: asyncio.Task[None] | None = None
        self._tail_task: asyncio.Task[Any] | None = None
        self._healthy = True

    @property
    def lag(self) -> GaugeHistory:
        return self.sampler.lag

    @property
    def dead_letter_depth(self) -> GaugeHistory:
        return self.sampler.dead_letter_depth

    # -- lifecycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Connect and read the cluster once, then keep watching it in the background.

        Raises :class:`KafkaUnavailable` with the reason when the cluster cannot be used;
        nothing is left running then.
        """
        if self.closed:
            raise KafkaUnavailable("This Kafka session was closed; connect again.")
        try:
            await self.refresh()
        except BaseException:
            await self._close_cluster()
            raise
        self._watch_task = asyncio.get_running_loop().create_task(
            self._watch(), name=f"eventflow-kafka-watch-{self.profile.name}"
        )

    async def close(self) -> None:
        """Stop the tail and the watch, close every client. Safe to call twice."""
        self.closed = True
        tasks = [t for t in (self._tail_task, self._watch_task) if t is not None]
        self._tail_task = self._watch_task = None
        self.tail = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with self._publisher_lock:
            publisher, self._publisher = self._publisher, None
            if publisher is not None:
                await publisher.__aexit__()
        await self._close_cluster()
        async with self._schemas_lock:  # after a source being made, not before it
            close_schema_source(self._schemas)  # the registry client's worker threads
            self._schemas, self._schemas_made = None, False

    def running_tasks(self) -> list[asyncio.Task[Any]]:
        """The session's background tasks that have not finished (for shutdown checks)."""
        return [t for t in (self._tail_task, self._watch_task) if t is not None and not t.done()]

    # -- browsing and watching ----------------------------------------------------------

    async def refresh(self) -> tuple[list[TopicInfo], list[GroupInfo]]:
        """Sample lag and dead-letter depth, read topics and groups, tell ``on_snapshot``.

        Raises :class:`KafkaUnavailable`; the next call reconnects.
        """
        async with self._cluster_lock:
            if self.closed:
                raise KafkaUnavailable("This Kafka session was closed; connect again.")
            try:
                if self._cluster is None:
                    cluster = KafkaCluster(self.profile, self.password)
                    await cluster.__aenter__()
                    self._cluster = cluster
                await self.sampler.sample_once(self._cluster)
                topics = await self._cluster.topics()
            except KafkaUnavailable:
                await self._close_cluster_locked()
                raise
        self.topics, self.groups = topics, list(self.sampler.groups)
        if self.on_snapshot is not None:
            self.on_snapshot(self.topics, self.groups)
        return self.topics, self.groups

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except KafkaUnavailable as exc:
                self._healthy = False
                self._state("reconnecting", f"{exc} Retrying in {self.interval:g} s.")
                continue
            if not self._healthy:
                self._healthy = True
                self._state("connected", f"Reconnected to {self.profile.bootstrap_servers}.")

    async def _close_cluster(self) -> None:
        async with self._cluster_lock:
            await self._close_cluster_locked()

    async def _close_cluster_locked(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            await cluster.__aexit__()

    def _state(self, state: str, sentence: str) -> None:
        log.info("kafka session %s: %s", state, sentence)
        if self.on_state is not None:
            self.on_state(state, sentence)

    # -- tailing ------------------------------------------------------------------------

    @property
    def tailing(self) -> bool:
        return self._tail_task is not None and not self._tail_task.done()

    def is_tailing(self, topic: str) -> bool:
        """True when the running tail reads ``topic``."""
        return self.tailing and self.tail is not None and matches_any(topic, self.tail.patterns)

    async def start_tail(
        self, patterns: Sequence[str], start: StartPosition = FROM_END
    ) -> KafkaTail:
        """Tail ``patterns`` from ``start`` into the pipeline, replacing a running tail.

        Returns once the tail has its partitions and has sought to ``start``, so records
        produced after this return are read, or once it waits for a first topic to match
        a pattern. Raises :class:`KafkaUnavailable` when the first connection fails or no
        topic has a name given exactly; no task is left running then.
        """
        if self.closed:
            raise KafkaUnavailable("This Kafka session was closed; connect again.")
        await self.stop_tail()
        try:
            schemas = await self.schema_source()
        except ValueError as bad:  # a schema file that cannot be used
            raise KafkaUnavailable(f"{bad}.") from bad
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def on_state(state: str, sentence: str) -> None:
            if state in ("connected", "waiting") and not ready.done():
                ready.set_result(None)
            if self.on_tail_state is not None:
                self.on_tail_state(state, sentence)

        pipeline = self.pipeline
        resume_at = None
        # The app's pipeline has a log writer (None with no log); a bare sink has none.
        writer = getattr(pipeline, "writer", None)
        if writer is None:
            pass  # no log: "where the log left off" is every partition's beginning
        elif start.kind == "logged":
            resume_at = await asyncio.to_thread(
                _read_log, writer, logged_positions, patterns, "to resume from"
            )
        elif start.kind != "end" and isinstance(pipeline, IngestPipeline):
            # From an earlier point: what the log holds of it is read, shown, not logged.
            held = await asyncio.to_thread(
                _read_log, writer, logged_offsets, patterns, "to tail into it"
            )
            current = pipeline.log_filter
            if isinstance(current, LoggedOffsets):
                current.take_from(held)
            elif held:  # the log holds some of it (no filter at all otherwise)
                pipeline.log_filter = held
        tail = KafkaTail(
            self.profile,
            patterns,
            sink=pipeline.accept_many,
            dead_letter_sink=pipeline.accept_dead_letter,
            wait_for_room=pipeline.wait_for_room,
            start=start,
            password=self.password,
            on_state=on_state,
            max_batch=WINDOW_TAIL_BATCH,
            schemas=schemas,
            resume_at=resume_at,
        )
        task = loop.create_task(tail.run(), name=f"eventflow-kafka-tail-{self.profile.name}")
        task.add_done_callback(lambda t: self._tail_ended(t, tail))
        self.tail, self._tail_task = tail, task
        try:
            waiting: list[asyncio.Future[Any]] = [task, ready]
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            await self._cancel_tail(task)
            raise
        finally:
            ready.cancel()
        if task.done() and (task.cancelled() or task.exception() is not None):
            if self._tail_task is task:
                self.tail = self._tail_task = None
            if task.cancelled():
                raise KafkaUnavailable("The tail was stopped before it connected.")
            exc = task.exception()
            if isinstance(exc, KafkaUnavailable):
                raise exc
            raise KafkaUnavailable(f"The tail could not start: {exc}") from exc
        return tail

    async def schema_source(self) -> SchemaSource | None:
        """The profile's schema registry and local schema files (``None`` when it has
        neither): one source for the session, shared by the tail and whatever needs a
        schema the tail decoded with (an edit of a dead letter). Raises ValueError for a
        schema file that cannot be used."""
        if self.closed:
            return None  # a caller that outlived the connection makes nothing new
        # One at a time: two callers at once (the tail starting, a late decode) share one
        # source, and so one registry cache, instead of each making its own.
        async with self._schemas_lock:
            if not self._schemas_made and not self.closed:
                # The keyring and the schema files are read in a thread, not on the loop.
                self._schemas = await asyncio.to_thread(
                    partial(schema_source, self.profile, registry_secret=self.registry_secret)
                )
                self._schemas_made = True
        return self._schemas

    async def registry_settings(self) -> RegistrySettings | None:
        """The profile's registry with the secret the session has (typed in the window,
        else the environment's or the keyring's, read in a thread); ``None`` without one.
        For what asks the registry other than the tail: the composer's subjects."""
        return await asyncio.to_thread(registry_settings, self.profile, secret=self.registry_secret)

    async def stop_tail(self) -> None:
        task = self._tail_task
        self.tail = self._tail_task = None
        if task is not None:
            await self._cancel_tail(task)

    @staticmethod
    async def _cancel_tail(task: asyncio.Task[Any]) -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    def _tail_ended(self, task: asyncio.Task[Any], tail: KafkaTail) -> None:
        """A tail that failed after it had started (not a failed start, which
        :meth:`start_tail` raises): say why."""
        # Records still waiting for their schema go on undecoded: nothing read is lost.
        with contextlib.suppress(Exception):
            tail.flush_held()
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, so asyncio never logs it as lost
        if exc is None or tail.state == "idle":
            return
        if not isinstance(exc, KafkaUnavailable):
            log.error("the Kafka tail failed", exc_info=exc)
        if self._tail_task is task:
            self.tail = self._tail_task = None
        if self.on_tail_state is not None:
            self.on_tail_state("failed", str(exc) or type(exc).__name__)

    # -- publishing ---------------------------------------------------------------------

    async def producer(self) -> KafkaPublisher:
        """The session's one producer (opened on first use, closed with the session):
        publishes, bursts and dead-letter replays all go through it."""
        async with self._publisher_lock:
            if self.closed:
                raise KafkaUnavailable("This Kafka session was closed; connect again.")
            if self._publisher is None:
                publisher = KafkaPublisher(self.profile, self.password)
                self._publisher = await publisher.__aenter__()
            return self._publisher

    async def _drop_producer(self) -> None:
        async with self._publisher_lock:
            publisher, self._publisher = self._publisher, None
            if publisher is not None:
                await publisher.__aexit__()

    async def publish(
        self, event: Envelope, topic: str, *, mode: Mode = "binary", confirmed: bool = False
    ) -> Sent:
        """Send one event and wait for the broker's ack.

        Raises :class:`~adapters.kafka.publisher.WriteRefused` (read-only profile, or a
        production one without ``confirmed``) or :class:`KafkaUnavailable`.
        """
        check_write_allowed(self.profile, confirmed=confirmed, action="publishing")
        publisher = await self.producer()
        try:
            return await publisher.send(event, topic, mode=mode)
        except KafkaUnavailable:
            await self._drop_producer()  # the next publish starts a fresh producer
            raise

    async def publish_record(
        self, record: RawRecord, topic: str, *, confirmed: bool = False
    ) -> Sent:
        """Send one record as it is (value, key and headers already encoded) and wait
        for the broker's ack; raises like :meth:`publish`."""
        check_write_allowed(self.profile, confirmed=confirmed, action="publishing")
        publisher = await self.producer()
        try:
            return await publisher.send_record(record, topic)
        except KafkaUnavailable:
            await self._drop_producer()
            raise

    async def burst(
        self,
        make_event: Callable[[int], Envelope],
        topic: str,
        *,
        count: int,
        rate: float | None,
        mode: Mode = "binary",
        confirmed: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Send ``count`` events at up to ``rate`` per second; returns how many were acked.

        Progress is reported about ten times a second (acks are awaited per window of
        that size). Raises like :meth:`publish`.
        """
        check_write_allowed(self.profile, confirmed=confirmed, action="publishing")
        publisher = await self.producer()
        window = max(1, min(1000, round(rate / 10))) if rate else 1000
        publisher.mode = mode  # burst() encodes with the publisher's mode
        try:
            return await publisher.burst(
                make_event, topic, count=count, rate=rate, on_progress=on_progress, window=window
            )
        except KafkaUnavailable:
            await self._drop_producer()
            raise


_Read = TypeVar("_Read")


def _read_log(
    writer: LogWriter,
    read: Callable[[str, Sequence[str]], _Read],
    patterns: Sequence[str],
    purpose: str,
) -> _Read:
    """What ``read`` finds in the log of the tailed topics (blocking: in a thread), the
    writer's queue committed first, so the log has all the session read."""
    writer.flush(timeout=30)
    try:
        return read(writer.path, patterns)
    except LogError as exc:
        raise KafkaUnavailable(f"The log cannot be read {purpose}: {exc}") from exc
