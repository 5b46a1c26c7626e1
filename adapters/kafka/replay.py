"""Replaying dead letters to Kafka.

A letter that came from Kafka is sent as the record it was (:class:`RawRecord`: the same
value and key bytes, its headers less the failing side's ``kafka_dlt-*`` /
``__connect.errors.*``) with the replay marker headers, to its original topic (or the one
the user names). A letter from the embedded bus is sent as a CloudEvent (binary mode),
which is what bus events are.

A letter is marked ``replayed`` in the store as the broker acknowledges its record, never
before: :class:`AckMarks` writes the marks of the records answered since its last write,
one transaction at a time, while the next records go out (a few letters a write at a slow
rate, hundreds when the broker answers in bursts), within about :data:`MARK_INTERVAL` of
the ack. Sends are also settled every ``window`` records (every ack awaited, every mark
written). A process killed half-way has marked all but the records in flight and those
acked since the last write: the next run sends only those again (at least once), and the
``eventflow-replay-of`` header lets a consumer drop the duplicate. Nothing is ever marked
replayed without the broker having it.
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
    return record.for_replay(letter.id, letter.next_replay_count)


# Seconds between two writes of marks, at most: what a kill can leave acked but unmarked
# is about this much of the send rate, plus the records in flight.
MARK_INTERVAL = 0.05
Mark = tuple[str, str, bool, str]  # (letter id, target, acked, result) for record_replays


class AckMarks:
    """Marks letters in ``log`` as their records' acks come in (see the module docstring).

    :meth:`track` a send's future; each answer (an ack or a failure) becomes an outcome
    and a mark. A writer task stores the marks gathered since its last write, in a worker
    thread, then the next ones. :meth:`settle` waits for every answer and mark so far and
    raises the store's error if a write failed; after such a failure :meth:`track`
    refuses more sends (nothing should go out that cannot be marked).
    """

    def __init__(self, log: EventLog, publisher: KafkaPublisher) -> None:
        self.log = log
        self.publisher = publisher
        self.outcomes: list[ReplayOutcome] = []
        self._cluster = publisher.profile.name
        self._answered: list[Mark] = []
        self._unsettled: list[asyncio.Future[object]] = []  # sent since the last settle
        self._tracked = 0
        self._marked = 0
        self._wake = asyncio.Event()
        self._wrote = asyncio.Event()
        self._hurry = asyncio.Event()
        self._closing = False
        self._writer = asyncio.create_task(self._write_marks())

    def track(self, letter: DeadLetter, target: str, fut: asyncio.Future[object]) -> None:
        self._raise_if_failed()
        self._unsettled.append(fut)
        self._tracked += 1
        fut.add_done_callback(lambda done: self._answer(letter, target, done))

    def _answer(self, letter: DeadLetter, target: str, fut: asyncio.Future[object]) -> None:
        where = f"kafka:{self._cluster}/{target}"
        error = asyncio.CancelledError() if fut.cancelled() else fut.exception()
        if error is not None:
            text = explain(error, self.publisher.profile, topic=target)
            self._answered.append((letter.id, where, False, text))
            self.outcomes.append(ReplayOutcome(letter.id, target, "failed", text))
        else:
            meta = fut.result()
            at = f"{target}[{meta.partition}]@{meta.offset}"  # type: ignore[attr-defined]
            self._answered.append((letter.id, where, True, f"acked at {at}"))
            self.outcomes.append(ReplayOutcome(letter.id, target, "replayed", f"sent to {at}"))
        self._wake.set()

    async def _write_marks(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            marks, self._answered = self._answered, []
            if marks:
                # Only now, with the broker's answer in hand, does the store change.
                await asyncio.to_thread(self.log.record_replays, marks)
                self._marked += len(marks)
                self._wrote.set()
            if self._closing:
                if self._answered:
                    continue  # what came in during the last write is written too
                return
            # A write per ack would cost a flood of acks its speed (a transaction and a
            # thread hand-off each); a pause gathers them, and bounds how many are acked
            # but not marked when the process dies to what a pause lets in. settle() and
            # close() cut it short. (asyncio.wait: wait_for can swallow a cancellation.)
            if not self._hurry.is_set():
                hurry = asyncio.ensure_future(self._hurry.wait())
                try:
                    await asyncio.wait((hurry,), timeout=MARK_INTERVAL)
                finally:
                    hurry.cancel()

    def _raise_if_failed(self) -> None:
        if self._writer.done():
            self._writer.result()  # the store's error
            raise RuntimeError("the replay's marks are no longer written")

    async def settle(self) -> None:
        """Wait until every tracked send is answered and marked in the store."""
        unsettled, self._unsettled = self._unsettled, []
        await asyncio.gather(*unsettled, return_exceptions=True)
        self._hurry.set()
        while self._marked < self._tracked:
            self._raise_if_failed()
            self._wrote.clear()
            await asyncio.wait(
                (asyncio.ensure_future(self._wrote.wait()), self._writer),
                return_when=asyncio.FIRST_COMPLETED,
            )
        self._hurry.clear()
        self._raise_if_failed()

    async def close(self) -> None:
        """Stop the writer once it has written the marks of the answers so far (after
        :meth:`settle` there are none left; after a failure, those that came)."""
        self._closing = True
        self._wake.set()
        self._hurry.set()
        await asyncio.gather(self._writer, return_exceptions=True)


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
    """Replay ``letters`` through ``publisher``; one outcome per letter, in order. Each
    letter sent is marked in ``log`` as the broker acknowledges it; at most ``window``
    sends wait for their answers at a time."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    unsent: list[ReplayOutcome] = []
    marks = AckMarks(log, publisher)
    sent = 0
    try:
        for done, letter in enumerate(letters, start=1):
            target = topic or letter.original_topic
            outcome = unsent_outcome(
                letter, topic=target, target=target, force=force, dry_run=dry_run
            )
            if outcome is None and target and not await publisher.has_topic(target):
                # A replay never creates a topic (the broker would, on demand): the letter
                # stays pending until the topic is there, or another is named.
                outcome = ReplayOutcome(
                    letter.id,
                    target,
                    "failed",
                    f"Topic {target} does not exist on {publisher.profile.bootstrap_servers};"
                    " a replay never creates one: create it, or name another with --topic.",
                )
            if outcome is not None:
                unsent.append(outcome)
            else:
                assert target  # unsent_outcome fails a letter with no topic to send it to
                if rate:
                    await sleep_until_due(started, sent, rate)
                record = replay_record(letter)
                if record is not None:
                    fut = await publisher.enqueue_record(record, target)
                else:
                    fut = await publisher.enqueue(replay_event(letter), target)
                marks.track(letter, target, fut)
                sent += 1
                if sent % window == 0:
                    await marks.settle()
            if on_progress is not None:
                on_progress(done, len(letters))
        await marks.settle()
    finally:
        await marks.close()
    outcomes = unsent + marks.outcomes
    order = {letter.id: i for i, letter in enumerate(letters)}
    outcomes.sort(key=lambda o: order[o.dead_letter_id])
    return outcomes
