"""Undecoded rows of the event stream decoded once their schema can be had.

When the details pane shows an undecoded event (its schema could not be had when it was
read), :class:`LateDecoding` asks the connected session's schema source for it, in the
background, and decodes that event and every other undecoded row of the stream's tables
with it (:class:`~monitor.core.redecode.Redecoder`: the tail's decoder, in a worker
thread; the registry is awaited, never waited for on the loop). The envelopes are
decoded in place, so the tables, the live buffer and the details pane, which hold the
same objects, all show the decoded record (once the log writer has written them as they
came, so it never reads one half changed); :attr:`LateDecoding.decoded` says how many,
for the view to redraw. Live events decoded so are no longer counted as undecoded on the
overview (``runtime.undecoded.resolved``).

The same happens, with no row shown, when the connection's schema source becomes
available (a profile with a registry connected): the rows already in the stream are
decoded then, so the live filters match what is inside them without a click (the
recent events a filter hides are decoded too, for the view to filter them again). At most
:data:`MAX_ROWS` rows are taken in one attempt: the work stays bounded whatever the
tables hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from PySide6.QtCore import QObject

from monitor.core.envelope import Envelope
from monitor.core.logwriter import LogWriter
from monitor.core.redecode import DEFAULT_WAIT, Redecoder, can_redecode, take_decoded
from monitor.ui.context import AppContext
from monitor.ui.event_table_model import EventTableModel
from monitor.ui.views.event_stream_search import FindSchemas
from monitor.ui.views.late_decode_attempts import LateDecodeAttempts

WRITER_WAIT = 10.0  # seconds: the log writer commits every few milliseconds when well
MAX_ROWS = 5_000  # undecoded rows decoded in one attempt, the shown one first


class LateDecoding(LateDecodeAttempts[Envelope]):
    what = "undecoded events"

    def __init__(
        self,
        context: AppContext,
        live: EventTableModel,
        others: Sequence[EventTableModel] = (),
        parent: QObject | None = None,
        recent: Callable[[], Sequence[Envelope]] | None = None,
    ) -> None:
        super().__init__(context, parent)
        self.live = live
        self.models = [live, *others]
        # The live events a filter may hide from the live table, oldest first.
        self.recent = recent if recent is not None else list

    def event_shown(self, event: Envelope | None) -> None:
        """The details pane shows ``event``: decode it, and the other undecoded rows, if
        their schema can be had now. One attempt at a time; nothing without a schema
        source (not connected, or a profile without a registry or schema files)."""
        if event is None or not can_redecode(event) or self.running:
            return
        self._start(event)

    def _attempt(self, shown: Envelope | None) -> Coroutine[Any, Any, int] | None:
        find = self.context.kafka.schemas
        return self._decode(find, shown) if find is not None else None

    async def _decode(self, find: FindSchemas, shown: Envelope | None) -> int:
        source = await find()
        if source is None:
            return 0
        events = self._undecoded_rows(shown)
        if not events:
            return 0
        # Every live row was handed to the log writer before the table got it: counted
        # right after the rows are collected (no await between), so each of them is in
        # the count, and _written below waits until the writer has written them all.
        writer = self.context.runtime.writer
        submitted = writer.submitted if writer is not None else 0
        better = await Redecoder(source).resolve(events, DEFAULT_WAIT)
        if not better:
            return 0
        # The log writer's thread reads the envelopes it was handed when it writes them:
        # change them only once they are written, never under its feet (a row would mix
        # the undecoded and the decoded event). The log's own rows are decoded by
        # searches and listings.
        if writer is not None and not await _written(writer, submitted):
            return 0
        live = {id(e) for e in self.live.envelopes()} | {id(e) for e in self.recent()}
        resolved_live = 0
        for i, new in better.items():
            old = events[i]
            if not can_redecode(old):
                continue  # changed meanwhile (decoded by another path): leave it
            was_undecoded = old.undecoded
            take_decoded(old, new)
            if was_undecoded and not old.undecoded and id(old) in live:
                resolved_live += 1
        self.context.runtime.undecoded.resolved += resolved_live
        return len(better)

    def _undecoded_rows(self, shown: Envelope | None) -> list[Envelope]:
        """The rows to decode: ``shown`` first, then the tables' undecoded rows, each
        once, at most :data:`MAX_ROWS`."""
        seen: set[int] = set()
        events: list[Envelope] = []
        for candidates in ([shown] if shown is not None else [], *self._tables()):
            for e in candidates:
                if len(events) >= MAX_ROWS:
                    return events
                if id(e) not in seen and can_redecode(e):
                    seen.add(id(e))
                    events.append(e)
        return events

    def _tables(self) -> list[Sequence[Envelope]]:
        """Newest first: the tables' rows, then the recent events a filter hides."""
        return [*(model.envelopes() for model in self.models), self.recent()[::-1]]


async def _written(writer: LogWriter, submitted: int, wait: float = WRITER_WAIT) -> bool:
    """Whether the writer has committed the first ``submitted`` events (waited for, on
    the loop, up to ``wait`` seconds: a log that fails keeps them queued)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while writer.written < submitted:
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


__all__ = ["LateDecoding"]
