"""Sending what the composer made: one event or a burst, to the embedded bus or to Kafka.

:class:`EventSender` runs one send at a time as a task of the
:class:`~monitor.ui.kafka_service.KafkaService` (so shutting the service down cancels it
too) and reports through signals: ``progress(done, total)`` about ten times a second,
then exactly one of ``finished(Outcome)``, ``failed(sentence, done, total)`` or
``cancelled(done, total)``. Events already sent when a burst fails or is cancelled stay
sent.

A send to Kafka with registry subjects sends one record, its payload (and key) encoded
with the subjects' schemas (:mod:`adapters.schema_registry.subject_encoding`, as
``kafka publish --value-subject`` does); a payload that does not fit fails it before
anything is sent, naming the field and the reason.

A send to Kafka names a topic the cluster has, unless ``create_topic`` is given: a broker
creates a topic a producer names, so a typo would publish into a new topic nobody reads.
The check reads the connected cluster's topic list, fresh when the topic is not in it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from adapters.kafka.cluster import TopicMissing, missing_topic_sentence
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import Mode, Sent, WriteRefused
from adapters.schema_registry.subject_encoding import (
    SubjectChoice,
    SubjectRecord,
    SubjectRefused,
    encode_by_subjects,
)
from monitor.core.burst import paced
from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.kafka_service import KafkaService

BUS = "the embedded bus"

# Failures a user can cause or fix (a closed bus, a cluster gone, a refused write, data
# the encoder cannot write). Anything else is a bug and goes to the app's error dialog.
_EXPECTED = (KafkaUnavailable, WriteRefused, RuntimeError, ValueError, TypeError)

EventFactory = Callable[[int], Envelope]  # i (0-based) -> a fresh event

# What the composer offers when the topic is missing (its check box says the same).
CREATE_TOPIC_REMEDY = 'create it, or tick "Create the topic if it does not exist" and send again'


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a finished send or burst did."""

    last: Envelope | None  # the last event sent
    count: int
    target: str  # BUS, or "Kafka <profile> (<bootstrap>)"
    topic: str
    sent: Sent | None  # the broker's answer for a single Kafka send
    seconds: float
    # A record encoded with registry subjects: what it was, e.g. "an Avro record
    # (orders-value version 3, schema id 42)"; None for a CloudEvent.
    encoded_as: str | None = None

    @property
    def to_kafka(self) -> bool:
        return self.target != BUS


class EventSender(QObject):
    progress = Signal(int, int)  # (done, total)
    finished = Signal(object)  # Outcome
    failed = Signal(str, int, int)  # (sentence, done, total)
    cancelled = Signal(int, int)  # (done, total)

    def __init__(
        self, runtime: EmbeddedRuntime, service: KafkaService, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.service = service
        self.done = 0
        self.total = 0
        self._task: asyncio.Future[Any] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def to_bus(self, make: EventFactory, topic: str, *, count: int, rate: float | None) -> None:
        """Publish ``count`` events on the embedded bus at up to ``rate`` per second."""
        self._start(self._bus(make, topic, count, rate), count)

    def to_kafka(
        self,
        make: EventFactory,
        topic: str,
        *,
        count: int,
        rate: float | None,
        mode: Mode,
        confirmed: bool,
        target: str,
        create_topic: bool = False,
    ) -> None:
        """Publish ``count`` events to ``topic`` on the connected cluster; a topic it does
        not have fails the send (:class:`TopicMissing`) unless ``create_topic``."""
        self._start(
            self._kafka(make, topic, count, rate, mode, confirmed, target, create_topic), count
        )

    def to_kafka_by_subjects(
        self,
        make: EventFactory,
        topic: str,
        *,
        profile: ConnectionProfile,
        value_subject: SubjectChoice | None,
        key_subject: SubjectChoice | None,
        confirmed: bool,
        target: str,
        create_topic: bool = False,
    ) -> None:
        """Publish one record to ``topic``: the event's payload (and key) encoded with the
        subjects' schemas from ``profile``'s registry, its headers as they are. A payload
        that does not fit fails the send (SubjectRefused) before anything is sent."""
        coro = self._kafka_by_subjects(
            make, topic, profile, value_subject, key_subject, confirmed, target, create_topic
        )
        self._start(coro, 1)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def shutdown(self) -> None:
        """Cancel a send still running and wait until it has ended."""
        task = self._task
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- internals ----------------------------------------------------------------------

    def _start(self, coro: Any, count: int) -> None:
        if self._task is not None:
            coro.close()
            raise RuntimeError("a send is already running")
        self.done, self.total = 0, count
        # Errors are reported by _ended, after `running` is false again.
        task = self.service.spawn(coro, failed=lambda _exc: None)
        self._task = task
        task.add_done_callback(self._ended)

    def _on_progress(self, done: int, total: int) -> None:
        self.done = done
        self.progress.emit(done, total)

    async def _bus(self, make: EventFactory, topic: str, count: int, rate: float | None) -> Outcome:
        bus = self.runtime.bus
        started = time.monotonic()
        last: list[Envelope] = []

        async def one(i: int) -> None:
            last[:] = [await bus.publish(make(i), topic)]

        await paced(count, rate, one, on_progress=self._on_progress)
        return Outcome(last[-1] if last else None, count, BUS, topic, None, _since(started))

    async def _kafka(
        self,
        make: EventFactory,
        topic: str,
        count: int,
        rate: float | None,
        mode: Mode,
        confirmed: bool,
        target: str,
        create_topic: bool,
    ) -> Outcome:
        started = time.monotonic()
        if not create_topic:
            await self._require_topic(topic)
        if count == 1:
            event = make(0)
            sent = await self.service.publish(event, topic, mode=mode, confirmed=confirmed)
            self._on_progress(1, 1)
            return Outcome(event, 1, target, topic, sent, _since(started))
        made: list[Envelope] = []

        def remember(i: int) -> Envelope:
            made[:] = [make(i)]
            return made[0]

        acked = await self.service.burst(
            remember,
            topic,
            count=count,
            rate=rate,
            mode=mode,
            confirmed=confirmed,
            on_progress=self._on_progress,
        )
        return Outcome(made[-1] if made else None, acked, target, topic, None, _since(started))

    async def _kafka_by_subjects(
        self,
        make: EventFactory,
        topic: str,
        profile: ConnectionProfile,
        value_subject: SubjectChoice | None,
        key_subject: SubjectChoice | None,
        confirmed: bool,
        target: str,
        create_topic: bool,
    ) -> Outcome:
        started = time.monotonic()
        event = make(0)
        headers = tuple((n, v.encode()) for n, v in event.headers.items())

        # Signed in as the session is (a secret typed in the window included).
        settings = await self.service.registry_settings()
        if settings is None:
            raise SubjectRefused(f"Profile {profile.name} has no schema registry.")

        def encode() -> SubjectRecord:
            return encode_by_subjects(
                settings,
                value=event.data,
                value_subject=value_subject,
                key=event.key,
                key_subject=key_subject,
                headers=headers,
            )

        # HTTP blocks: a worker thread. A payload that does not fit is refused here,
        # before anything is sent.
        try:
            encoded = await asyncio.to_thread(encode)
        except SubjectRefused as exc:
            raise SubjectRefused(
                f"{exc}{_other_message(exc)}", does_not_fit=exc.does_not_fit
            ) from exc
        if not create_topic:
            await self._require_topic(topic)
        sent = await self.service.publish_record(encoded.record, topic, confirmed=confirmed)
        self._on_progress(1, 1)
        return Outcome(
            event, 1, target, topic, sent, _since(started), encoded_as=encoded.described()
        )

    async def _require_topic(self, topic: str) -> None:
        """Raise :class:`TopicMissing` when the connected cluster has no ``topic``."""
        service = self.service
        if any(t.name == topic for t in service.topics):
            return
        # The list is a few seconds old: the topic may have been made since. Read it again.
        if not await service.refresh():
            raise KafkaUnavailable(service.sentence)
        if any(t.name == topic for t in service.topics):
            return
        profile = service.profile
        if profile is None:
            raise KafkaUnavailable(service.sentence)
        raise TopicMissing(missing_topic_sentence(topic, profile, CREATE_TOPIC_REMEDY))

    def _ended(self, task: asyncio.Future[Any]) -> None:
        if self._task is task:
            self._task = None
        if task.cancelled():
            self.cancelled.emit(self.done, self.total)
            return
        exc = task.exception()
        if exc is None:
            self.finished.emit(task.result())
            return
        if not isinstance(exc, _EXPECTED):
            sys.excepthook(type(exc), exc, exc.__traceback__)  # a bug: the error dialog
        self.failed.emit(str(exc) or type(exc).__name__, self.done, self.total)


def _other_message(exc: SubjectRefused) -> str:
    """For a payload that fits another Protobuf message than the first: which, and where
    to choose it (the message box beside the subject)."""
    if not exc.fits:
        return ""
    which = "Key" if exc.is_key else "Value"
    names = " or ".join(exc.fits)
    return f" It fits {names}: choose it in {which} message."


def _since(started: float) -> float:
    return time.monotonic() - started
