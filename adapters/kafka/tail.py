"""Tailing Kafka topics without disturbing anyone.

:class:`KafkaTail` reads the selected topics with a consumer that has no group id: it
assigns partitions itself, never joins or rebalances a consumer group and never commits
an offset, so the consumers being watched do not notice it.

Each record is decoded into an envelope by the core decoder (a bad record becomes a
malformed envelope; the tail never stops on one), records from dead-letter topics also
become dead letters, and whole batches go to the sink: the same ingest pipeline the demo
feeds (stats, chains, event log).

When the broker goes away the tail says so through ``on_state``, reconnects with
exponential backoff, and resumes each partition at the offset after the last record it
handed on, so no record is skipped or handed on twice; no reported end offset overrides
that (see :mod:`adapters.kafka.resume`). When the fetch says that offset no longer exists
(records deleted before the tail read them, or the topic truncated or recreated), the tail
hands on a gap marker (:mod:`monitor.core.gaps`) saying how many records were lost, where
known, reads on where the partition now starts, and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import gc
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.kafka.connection import (
    CONNECT_TIMEOUT,
    KafkaUnavailable,
    client_options_off_loop,
    explain,
    explain_async,
)
from adapters.kafka.dead_letter_topics import (
    DeadLetterTopicRules,
    dead_letter_from_record,
    has_dead_letter_headers,
)
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.resume import LastRead, Resume, after_out_of_range
from monitor.core.deadletters import DeadLetter
from monitor.core.decoding import DEFAULT_CONFIG, DecoderConfig, decode_record
from monitor.core.envelope import Envelope, parse_time
from monitor.core.eventlog import EventLog
from monitor.core.formats.schemas import SchemaSource
from monitor.core.gaps import describe_gap, gap_marker
from monitor.core.logged_offsets import LoggedOffsets

log = logging.getLogger(__name__)

EventSink = Callable[[list[Envelope]], None]
DeadLetterSink = Callable[[DeadLetter], None]
StateListener = Callable[[str, str], None]  # (state, sentence)

_MAX_BACKOFF = 30.0
_HEALTH_CHECK_AFTER = 2.0  # seconds without records before asking the broker if it is there
_TOPIC_REFRESH = 30.0  # seconds between looks for new topics matching the patterns
_WAIT_FOR_TOPIC = 2.0  # seconds between looks while no topic matches a pattern yet
# Seconds to wait for the last record read when looking whether a partition still has it:
# a broker that has it answers at once; one that has not answers nothing for its fetch
# wait (0.5 s) over and over.
_LOOK_TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class StartPosition:
    """Where a tail starts in each partition: ``beginning``, ``end``, an offset, the
    first record at or after a time (epoch milliseconds), or ``logged``: after the last
    record of the partition in the event log (the tail is given those offsets), from the
    beginning where the log has none."""

    kind: str  # "beginning" | "end" | "offset" | "timestamp" | "logged"
    value: int = 0

    @classmethod
    def parse(cls, text: str) -> StartPosition:
        """``beginning``, ``end``, an offset (digits), an ISO 8601 time, or a time ago
        such as ``-10m`` / ``-2h`` / ``-30s`` / ``-1d``."""
        t = text.strip().lower()
        if t in ("beginning", "earliest", "start"):
            return cls("beginning")
        if t in ("end", "latest", "now"):
            return cls("end")
        if t == "logged":
            return cls("logged")
        if t.isdigit():
            return cls("offset", int(t))
        m = re.fullmatch(r"-(\d+(?:\.\d+)?)([smhd])", t)
        if m:
            seconds = float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
            return cls("timestamp", int((time.time() - seconds) * 1000))
        ts = parse_time(text.strip())
        if ts is not None:
            return cls("timestamp", int(ts * 1000))
        raise ValueError(
            f"--from {text!r} is not a start position: use beginning, end, logged (after"
            " what the log has), an offset (e.g. 1200), a time (2026-11-26T10:00:00Z) or a"
            " time ago (-15m)"
        )


@dataclass(slots=True)
class TailProgress:
    records: int = 0
    malformed: int = 0
    undecoded: int = 0  # kept with their bytes until their schema can be had
    dead_letters: int = 0
    reconnects: int = 0
    partitions: int = 0
    gaps: int = 0  # gap markers handed on: partitions that lost records the tail never read
    topics: list[str] = field(default_factory=list)
    next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)


class NoTopicYet(KafkaUnavailable):
    """No topic on the cluster matches the tail's patterns."""


def is_pattern(text: str) -> bool:
    """Whether a topic selection is a glob (``orders.*``) rather than a name."""
    return any(c in text for c in "*?[")


def matches_any(topic: str, patterns: Sequence[str]) -> bool:
    """Topic selection uses shell-style globs (``orders.*``, ``*-dlt``); a plain name
    matches itself."""
    return any(topic == p or fnmatch.fnmatchcase(topic, p) for p in patterns)


async def stop_quietly(stopping: Awaitable[Any], within: float = 5.0) -> None:
    """Stop an aiokafka client whose broker may be gone.

    Stopping cancels the client's own tasks, and their CancelledError can surface here;
    it is swallowed unless this task itself is being cancelled. A stop that hangs on a
    dead connection is abandoned after ``within`` seconds.
    """
    try:
        await asyncio.wait_for(stopping, within)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception as exc:
        log.debug("closing a Kafka client failed: %s", exc)


class KafkaTail:
    """Reads ``patterns`` from ``start`` and hands decoded batches to ``sink``."""

    def __init__(
        self,
        profile: ConnectionProfile,
        patterns: Sequence[str],
        *,
        sink: EventSink,
        dead_letter_sink: DeadLetterSink | None = None,
        wait_for_room: Callable[[], Awaitable[None]] | None = None,
        start: StartPosition = StartPosition("end"),
        password: str | None = None,
        decoder: DecoderConfig = DEFAULT_CONFIG,
        rules: DeadLetterTopicRules | None = None,
        on_state: StateListener | None = None,
        max_batch: int = 10_000,
        schemas: SchemaSource | None = None,
        resume_at: Mapping[tuple[str, int], int] | None = None,
    ) -> None:
        """``resume_at``: the offset to read on at in the partitions given, whatever the
        start position (``--from logged``: after the records the log has)."""
        if not patterns:
            raise ValueError("name at least one topic or pattern to tail")
        self.profile = profile
        self.patterns = list(patterns)
        self.sink = sink
        self.dead_letter_sink = dead_letter_sink
        self.wait_for_room = wait_for_room
        self.start = start
        self.password = password
        self.decoder = decoder
        self.rules = rules or DeadLetterTopicRules(tuple(profile.dead_letter_patterns))
        self.on_state = on_state
        self.max_batch = max_batch
        # Where schema-encoded records find their schemas. Records whose schema is being
        # fetched are held (not the tail: it reads on) and handed on once it settles.
        self.schemas = schemas
        self._held: dict[Any, list[Any]] = {}
        self._held_count = 0
        self._start_note = ""  # said with "connected": a start offset a partition lacks
        self._released = asyncio.Event()  # set each time held records are handed on
        self._loop: asyncio.AbstractEventLoop | None = None
        self.progress = TailProgress()
        self.progress.next_offsets.update(resume_at or {})
        self.state = "idle"
        self._consumer: Any = None
        self._dlt_topics: dict[str, bool] = {}
        # The partitions the first connection found; None until then.
        self._partitions_at_start: set[tuple[str, int]] | None = None
        # The last record handed on from each partition, to know it again on a reconnect.
        self._last_read: dict[tuple[str, int], LastRead] = {}

    # -- state ------------------------------------------------------------------------

    def _set_state(self, state: str, sentence: str) -> None:
        self.state = state
        log.info("kafka tail %s: %s", state, sentence)
        if self.on_state is not None:
            self.on_state(state, sentence)

    # -- connection -------------------------------------------------------------------

    async def _connect(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        options = await client_options_off_loop(self.profile, self.password)
        consumer = AIOKafkaConsumer(
            group_id=None,  # no group: nothing joined, nothing rebalanced
            enable_auto_commit=False,  # and nothing committed
            # A position the broker no longer has raises OffsetOutOfRangeError from the
            # fetch, for the tail to decide (and log a gap marker); never a silent reset.
            auto_offset_reset="none",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            **options,
        )
        try:
            await asyncio.wait_for(consumer.start(), CONNECT_TIMEOUT)
            topics = await asyncio.wait_for(consumer.topics(), CONNECT_TIMEOUT)
            selected = sorted(t for t in topics if matches_any(t, self.patterns))
            if not selected:
                raise NoTopicYet(
                    f"No topic on {self.profile.bootstrap_servers} matches "
                    f"{', '.join(self.patterns)} (topics there: {', '.join(sorted(topics)[:20])})."
                )
            tps = [
                TopicPartition(t, p)
                for t in selected
                for p in sorted(consumer.partitions_for_topic(t) or ())
            ]
            consumer.assign(tps)
            await self._seek(consumer, tps)
        except BaseException:
            await stop_quietly(consumer.stop())
            raise
        self._consumer = consumer
        self.progress.topics = selected
        self.progress.partitions = len(tps)
        if self._partitions_at_start is None:
            self._partitions_at_start = {(tp.topic, tp.partition) for tp in tps}

    async def _seek(self, consumer: Any, tps: list[Any]) -> None:
        """Resume where we left off; elsewhere, apply the start position.

        A partition read before resumes at the offset after the last record handed on,
        whatever end offset the broker reports: a reported end below the position is no
        proof of truncation (the test broker answers stale ones after a reconnect), so it
        only makes the tail look whether the last record read is still there."""
        next_offsets = self.progress.next_offsets
        resumed = [tp for tp in tps if (tp.topic, tp.partition) in next_offsets]
        fresh = [tp for tp in tps if (tp.topic, tp.partition) not in next_offsets]
        for tp in resumed:
            consumer.seek(tp, next_offsets[(tp.topic, tp.partition)])
        if resumed:
            ends = await consumer.end_offsets(resumed)
            doubtful = [
                tp
                for tp in resumed
                if ends[tp] < next_offsets[(tp.topic, tp.partition)]
                and (tp.topic, tp.partition) in self._last_read
            ]
            if doubtful:
                await self._look_for_last_read(consumer, doubtful)
        # The start position is for the partitions that existed when the tail started. A
        # partition found later (a new topic matching a pattern, found by discovery) only
        # has records written after the tail began watching for it, so none of them is
        # old: read it from its beginning, whatever the start position. With "end" it would
        # lose every record written between its creation and its discovery.
        started = fresh
        if self._partitions_at_start is not None:
            new = [tp for tp in fresh if (tp.topic, tp.partition) not in self._partitions_at_start]
            if new:
                await consumer.seek_to_beginning(*new)
                fresh = [tp for tp in fresh if tp not in new]
        if fresh:
            await self._apply_start(consumer, fresh)
        # Where each partition starts is where a reconnect resumes it, records read or
        # not: a quiet partition tailed from the end must not skip, after a reconnect,
        # the records written while the connection was down.
        for tp in started:
            position = await asyncio.wait_for(consumer.position(tp), CONNECT_TIMEOUT)
            next_offsets[(tp.topic, tp.partition)] = position

    async def _apply_start(self, consumer: Any, fresh: list[Any]) -> None:
        """Seek ``fresh`` partitions to the tail's start position."""
        kind, value = self.start.kind, self.start.value
        if kind in ("beginning", "logged"):  # logged: none of it is in the log yet
            await consumer.seek_to_beginning(*fresh)
        elif kind == "end":
            await consumer.seek_to_end(*fresh)
        elif kind == "offset":
            ends = await consumer.end_offsets(fresh)
            begins = await consumer.beginning_offsets(fresh)
            for tp in fresh:
                consumer.seek(tp, max(begins[tp], min(value, ends[tp])))
            # An offset the partition does not hold is read from its nearest edge: said
            # once, in the "connected" sentence, so --from 99 on a short topic is no puzzle.
            past = [tp for tp in fresh if value > ends[tp]]
            before = [tp for tp in fresh if value < begins[tp]]
            if past:
                self._start_note += (
                    f" Offset {value} is past the end of {_partitions_named(past, ends)}:"
                    " reading from there, the records written next."
                )
            if before:
                self._start_note += (
                    f" Offset {value} is no longer kept by {_partitions_named(before, begins)}:"
                    " reading from the oldest kept."
                )
        else:
            found = await consumer.offsets_for_times({tp: value for tp in fresh})
            ends = await consumer.end_offsets(fresh)
            for tp in fresh:
                hit = found.get(tp)
                # No record at or after the time: "none", or (seen on the test broker) an
                # answer with offset 0 and no timestamp. Either way, the end.
                if hit is None or hit.timestamp is None or hit.timestamp < 0:
                    consumer.seek(tp, ends[tp])
                else:
                    consumer.seek(tp, hit.offset)

    async def _look_for_last_read(self, consumer: Any, tps: list[Any]) -> None:
        """Fetch the last record read from each of ``tps``: the same record still there
        means the partition is intact (read on after it); gone or different means it was
        recreated, and it is read from its beginning after a gap marker."""
        from aiokafka.errors import OffsetOutOfRangeError

        last = {tp: self._last_read[(tp.topic, tp.partition)] for tp in tps}
        for tp in tps:
            consumer.seek(tp, last[tp].offset)
        first: dict[Any, Any] = {}
        waiting = set(tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _LOOK_TIMEOUT
        while waiting and loop.time() < deadline:
            try:
                batches = await consumer.getmany(*waiting, timeout_ms=200)
            except OffsetOutOfRangeError as exc:
                waiting.difference_update(_out_of_range_positions(exc))  # gone
                continue
            for tp, records in batches.items():
                if records and tp in waiting:
                    first[tp] = records[0]
                    waiting.discard(tp)
        for tp in tps:
            position = last[tp].offset + 1
            if last[tp].is_record(first.get(tp)):
                consumer.seek(tp, position)
                continue
            begin = (await consumer.beginning_offsets([tp]))[tp]
            reason = (
                f"the record at offset {last[tp].offset}, read before, is no longer there:"
                " the partition was recreated, and its records are read from its beginning."
            )
            consumer.seek(tp, begin)
            self._hand_on_gap(tp, position, Resume(begin, None, reason))

    async def _out_of_range(self, positions: dict[Any, int]) -> None:
        """The fetch said these positions no longer exist: read on where each partition
        now starts, after a gap marker (see :func:`after_out_of_range`)."""
        consumer = self._consumer
        tps = list(positions)
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        disagree = False
        for tp, position in positions.items():
            resume = after_out_of_range(position, begins[tp], ends[tp])
            if resume is None:
                consumer.seek(tp, position)  # offsets that contain it: ask the fetch again
                disagree = True
            else:
                consumer.seek(tp, resume.offset)
                self._hand_on_gap(tp, position, resume)
        if disagree:
            await asyncio.sleep(0.5)

    def _hand_on_gap(self, tp: Any, position: int, resume: Resume) -> None:
        marker = gap_marker(
            tp.topic,
            tp.partition,
            from_offset=position,
            resumed_at=resume.offset,
            lost=resume.lost,
            reason=resume.reason,
        )
        self.progress.next_offsets[(tp.topic, tp.partition)] = resume.offset
        self._last_read.pop((tp.topic, tp.partition), None)
        self.progress.gaps += 1
        self.sink([marker])
        self._set_state(self.state, describe_gap(marker))

    def _note_last_read(self, batches: dict[Any, list[Any]]) -> None:
        last_read = self._last_read
        for tp, records in batches.items():
            if records:
                last_read[(tp.topic, tp.partition)] = LastRead.of(records[-1])

    async def _disconnect(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await stop_quietly(consumer.stop())

    async def _broker_alive(self) -> bool:
        try:
            assignment = list(self._consumer.assignment())
            await asyncio.wait_for(self._consumer.end_offsets(assignment[:1]), 3.0)
        except Exception:
            return False
        return True

    # -- the loop ---------------------------------------------------------------------

    async def run(
        self, *, duration: float | None = None, max_records: int | None = None
    ) -> TailProgress:
        """Tail until ``duration`` seconds passed, ``max_records`` were read, or cancelled.

        A first connection that fails raises :class:`KafkaUnavailable` with the reason; a
        connection lost later is retried with backoff until the tail ends.
        """
        from aiokafka.errors import OffsetOutOfRangeError

        loop = asyncio.get_running_loop()
        deadline = None if duration is None else loop.time() + duration
        try:
            await self._connect()
        except NoTopicYet as exc:
            # A mistyped name fails at once; a pattern (orders.*) may name topics still to
            # be made, and the tail waits for the first of them.
            if not any(is_pattern(p) for p in self.patterns):
                raise
            if not await self._wait_for_a_topic(str(exc), deadline):
                self._set_state("stopped", "Tail stopped: no topic matched.")
                return self.progress
        except KafkaUnavailable:
            raise
        except Exception as exc:
            topics = ", ".join(self.patterns)
            raise KafkaUnavailable(await explain_async(exc, self.profile, topic=topics)) from exc
        self._set_state(
            "connected",
            f"Tailing {_count(len(self.progress.topics), 'topic')} "
            f"({_count(self.progress.partitions, 'partition')}) "
            f"on {self.profile.bootstrap_servers}.{self._start_note}",
        )
        backoff = 0.5
        quiet_since = loop.time()
        last_refresh = loop.time()
        try:
            while True:
                if deadline is not None and loop.time() >= deadline:
                    break
                # Records held for their schema count: they are handed on once it comes.
                if (
                    max_records is not None
                    and self.progress.records + self._held_count >= max_records
                ):
                    break
                if self._consumer is None:
                    try:
                        await self._connect()
                    except Exception as exc:
                        sentence = explain(exc, self.profile)
                        self._set_state("reconnecting", f"{sentence} Retrying in {backoff:g} s.")
                        await asyncio.sleep(self._bounded(backoff, deadline, loop.time()))
                        backoff = min(_MAX_BACKOFF, backoff * 2)
                        continue
                    self.progress.reconnects += 1
                    backoff = 0.5
                    quiet_since = loop.time()
                    self._set_state(
                        "connected", "Reconnected; resuming after the last record read."
                    )
                limit = self.max_batch
                if max_records is not None:
                    limit = min(limit, max_records - self.progress.records - self._held_count)
                timeout_ms = 200
                if deadline is not None:
                    timeout_ms = max(1, min(timeout_ms, int((deadline - loop.time()) * 1000)))
                try:
                    batches = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=limit)
                except OffsetOutOfRangeError as exc:
                    try:
                        await self._out_of_range(_out_of_range_positions(exc))
                    except Exception as exc:
                        self._set_state("reconnecting", explain(exc, self.profile))
                        await self._disconnect()
                    continue
                except Exception as exc:
                    self._set_state("reconnecting", explain(exc, self.profile))
                    await self._disconnect()
                    continue
                if batches:
                    self._handle(batches)
                    self._note_last_read(batches)
                    quiet_since = loop.time()
                    if self.wait_for_room is not None:
                        await self.wait_for_room()
                    # getmany returns at once while records are buffered: let the rest of
                    # the loop (a window's timers) run between batches.
                    await asyncio.sleep(0)
                elif loop.time() - quiet_since > _HEALTH_CHECK_AFTER:
                    quiet_since = loop.time()
                    if not await self._broker_alive():
                        self._set_state(
                            "reconnecting",
                            f"Lost the connection to {self.profile.bootstrap_servers}; "
                            "reconnecting.",
                        )
                        await self._disconnect()
                # Look for new topics on a timer, busy or quiet: a tail kept busy by one
                # topic must still find the others (this look used to wait for 2 s
                # without records, so a busy tail never found any).
                if self._consumer is not None and loop.time() - last_refresh > _TOPIC_REFRESH:
                    last_refresh = loop.time()
                    try:
                        reconnect = await self._pick_up_new_topics()
                    except Exception as exc:
                        self._set_state("reconnecting", explain(exc, self.profile))
                        reconnect = True
                    if reconnect:
                        await self._disconnect()  # the reconnect assigns the new topics too
            await self._wait_for_held(deadline)
        finally:
            await self._disconnect()
            records = _count(self.progress.records, "record")
            self._set_state("stopped", f"Tail stopped after {records}.")
        return self.progress

    async def _wait_for_a_topic(self, sentence: str, deadline: float | None) -> bool:
        """Look again every few seconds until a topic matches; False at the deadline. The
        topics found were made while the tail waited: all of them are read from their
        beginning, whatever the start position (see _seek)."""
        loop = asyncio.get_running_loop()
        self._partitions_at_start = set()
        self._set_state("waiting", f"{sentence.rstrip('.')}: waiting for one.")
        while deadline is None or loop.time() < deadline:
            await asyncio.sleep(self._bounded(_WAIT_FOR_TOPIC, deadline, loop.time()))
            try:
                await self._connect()
                return True
            except NoTopicYet:
                continue
            except Exception as exc:  # the broker went away meanwhile: say so, keep waiting
                self._set_state("waiting", f"{explain(exc, self.profile)} Retrying.")
        return False

    @staticmethod
    def _bounded(delay: float, deadline: float | None, now: float) -> float:
        return delay if deadline is None else max(0.0, min(delay, deadline - now))

    async def _pick_up_new_topics(self) -> bool:
        """True when a topic matching the patterns is not tailed yet. The reconnect that
        assigns the new topics resumes every partition tailed so far where it was (a
        quiet one included): their positions are kept from the first seek on."""
        topics = await asyncio.wait_for(self._consumer.topics(), CONNECT_TIMEOUT)
        return not all(t in self.progress.topics for t in topics if matches_any(t, self.patterns))

    async def _wait_for_held(self, deadline: float | None) -> None:
        """At the end (``max_records`` reached, say), wait a while for records held for
        their schema, so they are handed on decoded; what is still held after that is the
        caller's to flush (:meth:`flush_held`, undecoded with the reason)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + _HELD_WAIT
        if deadline is not None:
            until = min(until, deadline)
        while self._held:
            left = until - loop.time()
            if left <= 0:
                return
            self._released.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), left)

    def _on_schema_settled(self) -> None:
        # Called from the registry client's worker thread.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._release_held)

    def _release_held(self) -> None:
        """Decode the held records again and hand on those whose schema has settled."""
        if not self._held:
            return
        held, self._held, self._held_count = self._held, {}, 0
        self._handle(held, replay=True)
        self._released.set()

    def flush_held(self) -> None:
        """Hand on the records still waiting for their schema, undecoded (with their
        bytes and the reason), e.g. when the tail stops: nothing read is dropped."""
        if self._held:
            held, self._held, self._held_count = self._held, {}, 0
            self._handle(held, replay=True, hold=False)

    def _handle(
        self, batches: dict[Any, list[Any]], *, replay: bool = False, hold: bool = True
    ) -> None:
        # ``replay``: records held for their schema, already counted in next_offsets.
        events: list[Envelope] = []
        letters: list[DeadLetter] = []
        append = events.append
        decode = decode_record
        config = self.decoder
        schemas = self.schemas
        # Past this many held records, records go on undecoded instead (memory bound).
        can_hold = hold and schemas is not None and self._held_count < _MAX_HELD
        held_before = self._held_count
        next_offsets = self.progress.next_offsets
        # A cluster is known by its address: the same one through a profile or --bootstrap.
        cluster = self.profile.bootstrap_servers
        malformed = undecoded = 0
        # Names seen on records of this batch that had no dead-letter header: records carry
        # the same few names, so one set test replaces a prefix scan of every header.
        plain_names: set[str] = set()
        # A batch creates tens of thousands of objects and frees none: with the cyclic GC
        # running, each batch triggered several scans of the whole, growing heap (a third
        # of the tail's time in tests/benchmarks/bench_kafka.py). Decoding makes no cycles,
        # so the collector waits until the batch is handed on.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for tp, records in batches.items():
                if not records:
                    continue
                topic, partition = tp.topic, tp.partition
                is_dlt = self._dlt_topics.get(topic)
                if is_dlt is None:
                    is_dlt = self._dlt_topics[topic] = self.rules.is_dead_letter_topic(topic)
                for r in records:
                    headers = r.headers or ()
                    env = decode(
                        r.value,
                        headers,
                        key=r.key,
                        topic=topic,
                        partition=partition,
                        offset=r.offset,
                        timestamp_ms=r.timestamp,
                        config=config,
                        schemas=schemas,
                    )
                    # The format test first: nearly every record is decoded, and it spares
                    # them a call.
                    if (
                        can_hold
                        and "undecoded" in (env.format, env.key_format)
                        and _is_pending(env)
                    ):
                        self._held.setdefault(tp, []).append(r)
                        self._held_count += 1
                        continue
                    append(env)
                    if env.malformed:
                        malformed += 1
                    elif env.format == "undecoded":
                        undecoded += 1
                    if not is_dlt:
                        if not headers:
                            continue
                        # env.headers holds every header name (empty only if decoding failed
                        # outright, and then the full check runs).
                        names = env.headers
                        if names and plain_names.issuperset(names):
                            continue
                        if not has_dead_letter_headers(headers):
                            plain_names.update(names)
                            continue
                    letter = dead_letter_from_record(
                        env, headers, self.rules, value=r.value, key=r.key, cluster=cluster
                    )
                    if letter is not None:
                        letters.append(letter)
                if not replay:
                    next_offsets[(topic, partition)] = records[-1].offset + 1
            self.progress.records += len(events)
            self.progress.malformed += malformed
            self.progress.undecoded += undecoded
            self.sink(events)
        finally:
            if gc_was_enabled:
                gc.enable()
        if self.dead_letter_sink is not None:
            for letter in letters:
                self.dead_letter_sink(letter)
        self.progress.dead_letters += len(letters)
        if self._held_count > held_before and schemas is not None:
            self._loop = asyncio.get_running_loop()
            schemas.when_settled(self._on_schema_settled)


_MAX_HELD = 50_000
_HELD_WAIT = 10.0  # seconds a finished tail waits for schemas still being fetched


def _is_pending(env: Envelope) -> bool:
    """Whether the value's or the key's schema is still being fetched (either one: a
    record whose value decoded while its key's new schema was on its way waits too)."""
    if env.format == "undecoded" and env.schema and env.schema.get("pending"):
        return True
    return bool(env.key_format == "undecoded" and env.key_schema and env.key_schema.get("pending"))


def _out_of_range_positions(exc: Exception) -> dict[Any, int]:
    """``{TopicPartition: offset fetched}`` of aiokafka's OffsetOutOfRangeError."""
    positions = exc.args[0] if exc.args else None
    return dict(positions) if isinstance(positions, dict) else {}


def logged_positions(path: str, patterns: Sequence[str]) -> dict[tuple[str, int], int]:
    """For ``--from logged``: the offset after the last record the log at ``path`` has of
    each partition of the topics matching ``patterns``. Blocking (a scan of the log: off
    the loop); raises :class:`~monitor.core.eventlog.LogError` when it cannot be read."""
    with EventLog(path, create=False) as log:
        found = log.kafka_positions()
    return {tp: o for tp, o in found.items() if matches_any(tp[0], patterns)}


def logged_offsets(path: str, patterns: Sequence[str]) -> LoggedOffsets:
    """The records of the topics matching ``patterns`` that the log at ``path`` holds, to
    leave out of what a tail read again into it logs. Blocking (a scan and a sort of the
    log: off the loop); raises :class:`~monitor.core.eventlog.LogError` when it cannot be
    read."""
    with EventLog(path, create=False) as log:
        runs = log.kafka_offset_runs()
    return LoggedOffsets(r for r in runs if matches_any(r[0], patterns))


def _partitions_named(tps: list[Any], offsets: dict[Any, int]) -> str:
    """``orders/0 (at 3), orders/1 (at 5)``: the first few, and how many more."""
    named = ", ".join(f"{tp.topic}/{tp.partition} (at {offsets[tp]})" for tp in tps[:4])
    return named + (f" and {_count(len(tps) - 4, 'more partition')}" if len(tps) > 4 else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
