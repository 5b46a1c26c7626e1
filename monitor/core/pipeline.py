"""The ingest pipeline: one path for every event, whatever its source.

Sources (the embedded bus, a Kafka tail, the user's own publishes) call :meth:`accept`
for each event and :meth:`accept_dead_letter` for each dead letter (:class:`EventSink` is
all a source needs of it). Events are gathered into batches; each batch goes first to the
log writer, then to each observer in turn: the live statistics, the chain index, the live
buffer that stream views read, and whatever else joins with :meth:`add_observer` (an
:class:`Observer` is anything with ``observe(batch)``). An observer that raises is logged
and skipped: it never costs the log or the other observers the batch. Nothing here
redraws anything: views pull snapshots on their own timers.

A batch is handed on when it reaches ``batch_size`` or when the flush task's timer fires
(``flush_interval``), whichever comes first, so latency stays low at a trickle and
overhead stays low at a flood.

Backpressure: a source that can go faster than the log can write awaits
:meth:`wait_for_room` between its own batches; it then slows down to the log's pace.
Nothing is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from monitor.core.chains import ChainIndex
from monitor.core.deadletters import DeadLetter, Status
from monitor.core.envelope import Envelope
from monitor.core.live import LiveBuffer
from monitor.core.logwriter import LogWriter
from monitor.core.periodic import Periodic
from monitor.core.stats import LiveStats

log = logging.getLogger(__name__)


class Observer(Protocol):
    """Sees every batch of events, after the log writer has it. Keeps bounded state."""

    def observe(self, events: Sequence[Envelope]) -> None: ...


class EventSink(Protocol):
    """Where a source delivers: events in batches, dead letters one by one, and a wait
    for room when the log falls behind (backpressure)."""

    def accept_many(self, events: list[Envelope]) -> None: ...

    def accept_dead_letter(self, letter: DeadLetter) -> None: ...

    async def wait_for_room(self) -> None: ...


class _Named:
    """An observer made of a method, with the name its failures are logged under."""

    __slots__ = ("name", "observe")

    def __init__(self, name: str, observe: Callable[[Sequence[Envelope]], None]) -> None:
        self.name = name
        self.observe = observe


class IngestPipeline:
    def __init__(
        self,
        *,
        writer: LogWriter | None = None,
        stats: LiveStats | None = None,
        chains: ChainIndex | None = None,
        live: LiveBuffer | None = None,
        # The flush threshold. A flush runs on the event loop in one go: 1,000 events take
        # ~1.5 ms there. A source that hands over more at once is flushed whole: the
        # window's Kafka tail hands over 500 at a time (WINDOW_TAIL_BATCH).
        batch_size: int = 1000,
        flush_interval: float = 0.05,
        max_backlog: int = 200_000,
    ) -> None:
        self.writer = writer
        self.stats = stats if stats is not None else LiveStats()
        self.chains = chains if chains is not None else ChainIndex()
        self.live = live if live is not None else LiveBuffer()
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_backlog = max_backlog
        self.accepted = 0
        self.observers: list[Observer] = [
            _Named("stats", self.stats.observe),
            _Named("chains", self.chains.add),
            _Named("live buffer", self.live.extend),
        ]
        # Told of every dead letter after it is logged (a view waiting to hear that a
        # replay failed again, say); one that raises is logged and skipped.
        self.dead_letter_listeners: list[Callable[[DeadLetter], None]] = []
        # What of each batch goes to the log, when not all of it: a tail read again into a
        # log leaves out the records it holds (monitor.core.logged_offsets).
        self.log_filter: Callable[[list[Envelope]], list[Envelope]] | None = None
        self._batch: list[Envelope] = []
        # A partial batch is handed on by this timer (a full one at once).
        self._flusher = Periodic(flush_interval, self.flush, what="pipeline flush")

    def accept(self, event: Envelope) -> None:
        """Take one event (cheap: appends to the current batch)."""
        self._batch.append(event)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def accept_many(self, events: list[Envelope]) -> None:
        self._batch.extend(events)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def accept_dead_letter(self, letter: DeadLetter) -> None:
        """Take a dead letter: logged, counted as pending, shown as a failed chain node."""
        self.flush()  # so the event that failed is logged before its dead letter
        self.stats.dead_letters_changed(+1, new=1)
        self.chains.add_dead_letter(letter)
        if self.writer is not None:
            self.writer.submit_dead_letter(letter)
        for listener in list(self.dead_letter_listeners):
            try:
                listener(letter)
            except Exception:
                log.exception("dead-letter listener failed")

    def dead_letters_resolved(self, statuses: Mapping[str, Status]) -> None:
        """Pending dead letters were replayed or discarded: ``{letter id: new status}``.
        They leave the pending count, and their chains stop showing them as pending."""
        if statuses:
            self.stats.dead_letters_changed(-len(statuses))
            self.chains.set_dead_letter_statuses(statuses)

    def add_observer(self, observer: Observer) -> None:
        """Show every later batch to ``observer`` too (after the log and the others)."""
        self.observers.append(observer)

    def remove_observer(self, observer: Observer) -> None:
        if observer in self.observers:
            self.observers.remove(observer)

    def flush(self) -> None:
        """Hand the current batch to the log, then to each observer."""
        batch = self._batch
        if not batch:
            return
        self._batch = []
        self.accepted += len(batch)
        # The log first: whatever an observer does, the batch is logged.
        if self.writer is not None:
            logged = batch if self.log_filter is None else self.log_filter(batch)
            if logged:
                self.writer.submit_events(logged)
        for observer in self.observers:
            try:
                observer.observe(batch)
            except Exception:
                name = getattr(observer, "name", type(observer).__name__)
                log.exception("pipeline observer %s failed on a batch; skipped", name)

    async def wait_for_room(self) -> None:
        """Wait while the log writer is more than ``max_backlog`` events behind."""
        if self.writer is not None and self.writer.backlog > self.max_backlog:
            await self.writer.wait_for_room(self.max_backlog // 2)

    def start(self) -> None:
        """Start the timer that flushes partial batches."""
        self._flusher.start()

    async def stop(self) -> None:
        """Flush what is left and stop the timer (the writer is closed by its owner)."""
        await self._flusher.stop()
        self.flush()
