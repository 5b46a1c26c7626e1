"""Running an event-log search from the window: in a worker thread, step by step, cancellable.

:class:`LogSearch` is the operation object behind the event stream's "Search log": one
search at a time; :meth:`LogSearch.start` replaces a running one. Each step is one
:meth:`EventLog.search` call in ``asyncio.to_thread``, bounded in time (a short first step,
:data:`FIRST_STEP_SECONDS`, so the newest matches show at once; :data:`STEP_SECONDS` after), so
the loop that draws the window is never blocked, matches show as soon as a step finds
them (:attr:`LogSearch.results`), progress moves, and :meth:`LogSearch.cancel` stops the
search within one step.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject, Signal

from monitor.core.event_filter import EventFilter
from monitor.core.eventlog import EventLog
from monitor.core.formats.schemas import SchemaSource
from monitor.core.redecode import Redecoder
from monitor.core.undecoded_log import SEARCH_WAIT
from monitor.ui.background import BackgroundTasks

# The connected session's schema source, found when asked (context.kafka.schemas).
FindSchemas = Callable[[], Awaitable[SchemaSource | None]]

FIRST_STEP_SECONDS = 0.03  # the newest matches on screen at once...
STEP_SECONDS = 0.15  # ...then longer steps: fewer thread hops, progress still smooth


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """How a search ended. ``next_before`` continues it with older events ("Search older");
    ``None`` when the whole log was searched."""

    filter: EventFilter
    found: int
    complete: bool
    cancelled: bool
    error: str | None
    elapsed: float
    span: int  # events in the log
    searched_back_to: float | None
    next_before: int | None
    used_index: bool
    continued: bool  # this search went on from an earlier one
    undecoded_left: int = 0  # events read whose schema could not be had: not searched in


class LogSearch(QObject):
    # Matches of one step (newest first; older than any emitted before) and the progress
    # through the log so far, 0..1.
    results = Signal(object, float)
    started = Signal(object)  # the EventFilter
    finished = Signal(object)  # a SearchOutcome

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._cancel = threading.Event()
        self._task: asyncio.Future[None] | None = None
        self.tasks = BackgroundTasks(self)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(
        self,
        log: EventLog,
        flt: EventFilter,
        *,
        limit: int,
        before: int | None = None,
        schemas: FindSchemas | None = None,
    ) -> None:
        """Search ``log`` for up to ``limit`` matches (older than ``before`` if given).
        With ``schemas`` (the connected session's source), the undecoded events the
        search reads are decoded and stored first when their schema can be had.

        Raises ``RuntimeError`` when no asyncio loop is running (nothing could run it).
        """
        asyncio.get_running_loop()  # RuntimeError without one: nothing could run the search
        self.cancel()
        self._generation += 1
        self._cancel = threading.Event()
        self._task = self.tasks.spawn(
            self._run(self._generation, log, flt, limit, before, self._cancel, schemas)
        )
        self.started.emit(flt)

    def cancel(self) -> None:
        """Stop the running search after its current step; it finishes as cancelled."""
        self._cancel.set()

    async def wait(self) -> None:
        """Until every search started so far has finished (for shutdown and tests)."""
        while pending := self.tasks.pending():
            await asyncio.gather(*pending, return_exceptions=True)

    async def _run(
        self,
        generation: int,
        log: EventLog,
        flt: EventFilter,
        limit: int,
        before: int | None,
        cancel: threading.Event,
        schemas: FindSchemas | None = None,
    ) -> None:
        started = time.perf_counter()
        redecoder = await _redecoder(schemas)
        found, span, used_index, undecoded_left = 0, 0, False, 0
        complete, error = False, None
        cursor, back_to = before, None
        top: int | None = None
        budget = FIRST_STEP_SECONDS
        # A page waits briefly for schemas being fetched; once a page was left with events
        # undecoded (a registry that does not answer), the next pages do not wait: such a
        # registry holds a search up once, not once a page.
        schema_wait = SEARCH_WAIT
        try:
            while True:
                page = await asyncio.to_thread(
                    log.search,
                    flt,
                    before=cursor,
                    limit=limit - found,
                    max_seconds=budget,
                    cancel=cancel,
                    redecoder=redecoder,
                    schema_wait=schema_wait,
                )
                if page.undecoded_left:
                    schema_wait = 0.0
                budget = STEP_SECONDS
                if not shiboken6.isValid(self) or generation != self._generation:
                    return  # closed, or a newer search replaced this one: say nothing
                if top is None:
                    top = cursor if cursor is not None else page.newest_seq + 1
                found += len(page.events)
                undecoded_left += page.undecoded_left
                span, used_index = page.span, used_index or page.used_index
                back_to, cursor, complete = page.searched_back_to, page.next_before, page.complete
                if page.complete or top <= page.oldest_seq or page.next_before is None:
                    progress = 1.0
                else:
                    progress = (top - page.next_before) / max(1, top - page.oldest_seq)
                self.results.emit(page.events, progress)
                if complete or found >= limit or page.cancelled or cancel.is_set():
                    break
        except Exception as exc:  # a closed or broken log: say so, keep the window going
            error = str(exc) or type(exc).__name__
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self.finished.emit(
            SearchOutcome(
                filter=flt,
                found=found,
                complete=complete and error is None,
                cancelled=cancel.is_set() and not complete,
                error=error,
                elapsed=time.perf_counter() - started,
                span=span,
                searched_back_to=back_to,
                next_before=None if complete else cursor,
                used_index=used_index,
                continued=before is not None,
                undecoded_left=undecoded_left,
            )
        )


async def _redecoder(schemas: FindSchemas | None) -> Redecoder | None:
    """A redecoder with the session's schema source, if it has one that can be used."""
    if schemas is None:
        return None
    try:
        source = await schemas()
    except Exception:  # a schema file that cannot be used: the search goes on without
        return None
    return Redecoder(source) if source is not None else None


__all__ = ["FIRST_STEP_SECONDS", "STEP_SECONDS", "LogSearch", "SearchOutcome"]
