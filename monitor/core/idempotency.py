"""Idempotent handlers: run a handler at most once per event id, even across restarts.

Delivery is at least once (retries, replays, a broker's redelivery), so a handler with
side effects needs to recognise an event it already processed. :class:`IdempotencyGuard`
remembers (handler, event id) pairs in a bounded in-memory cache and in the event log's
``processed`` table, which survives restarts. ``guard.once("name", handler)`` wraps a
handler: a repeat delivery is counted in :attr:`duplicates_skipped` and not run again.
An event is marked processed only after its handler returned, so a failed attempt is
retried rather than skipped.
"""

from __future__ import annotations

from collections import OrderedDict

from monitor.core.bus import Handler
from monitor.core.envelope import Envelope, now
from monitor.core.eventlog import EventLog
from monitor.core.logwriter import LogWriter


class IdempotencyGuard:
    def __init__(
        self,
        *,
        log: EventLog | None = None,
        writer: LogWriter | None = None,
        cache_size: int = 100_000,
    ) -> None:
        self._log = log
        self._writer = writer
        # (handler, event id) -> when it was marked processed, oldest first.
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._cache_size = cache_size
        self.duplicates_skipped = 0
        self.log_lookups = 0
        # An event made after this time cannot have been processed without the cache
        # knowing: not before the guard started (it did not exist), not since (its mark
        # would be in the cache, or evicted, and evictions move this time on).
        self._cache_knows_after = now()
        if log is not None:  # warm the cache with what was processed most recently
            for pair in reversed(log.recent_processed(cache_size)):
                self._cache[pair] = 0.0

    def seen(self, handler: str, event_id: str, created: float | None = None) -> bool:
        """True when ``handler`` already processed the event with ``event_id``, made at
        ``created`` (its ``time``) if known."""
        key = (handler, event_id)
        if key in self._cache:
            return True
        if created is not None and created > self._cache_knows_after:
            # The common case, a new event: no need to ask the log, a blocking read on
            # the event loop thread for every event handled.
            return False
        # A replay or an old event: the log decides (a primary-key lookup).
        self.log_lookups += 1
        return self._log is not None and self._log.is_processed(handler, event_id)

    def mark(self, handler: str, event_id: str) -> None:
        self._cache[(handler, event_id)] = now()
        if len(self._cache) > self._cache_size:
            _, marked_at = self._cache.popitem(last=False)
            self._cache_knows_after = max(self._cache_knows_after, marked_at)
        if self._writer is not None:
            self._writer.submit_processed(handler, event_id)

    def once(self, name: str, handler: Handler) -> Handler:
        """``handler`` wrapped so that it runs at most once per event id."""

        async def guarded(event: Envelope) -> None:
            if self.seen(name, event.id, event.time):
                self.duplicates_skipped += 1
                return
            await handler(event)
            self.mark(name, event.id)

        guarded.__qualname__ = name
        return guarded
