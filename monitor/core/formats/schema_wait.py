"""Waiting for schemas a source is fetching: the one settle-and-ask-again loop.

A :class:`~monitor.core.formats.schemas.SchemaSource` never waits: a schema it has not
fetched yet is :class:`Pending`, and the source calls ``when_settled`` callbacks (from
its worker thread, or at once when nothing is in flight) once its fetches have ended.
Whoever needs the schema itself asks, waits for that call and asks again, until the
answer no longer waits or the time is up:

- :func:`wait_until_settled` on an event loop (the window: Show schema, Edit of a dead
  letter, the background decoding of undecoded rows), never holding the loop up;
- :func:`wait_until_settled_blocking` in the calling thread (the command line, a
  search's worker thread), which also stops as soon as a ``cancel`` event is set;
- :func:`wait_for_schema`: one schema, on a loop, with the reason when it cannot be had.

How long to wait is each caller's to say (``wait_seconds``), as each needs its own: a
search waits briefly and looks again next time
(:data:`monitor.core.undecoded_log.SEARCH_WAIT`), a late decode otherwise one registry
request (:data:`monitor.core.redecode.DEFAULT_WAIT`), the details pane and the edit of a
dead letter longer, as a schema's references are requests too
(:data:`monitor.core.formats.schema_display.FETCH_TIMEOUT`, :data:`EDIT_WAIT`). The core
does no network I/O of its own here: the source does, in its threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schemas import Pending, Schema, SchemaSource, Unavailable

T = TypeVar("T")

# Editing a dead letter (wait_for_schema's default, for dead_letter_service): a
# registry's own timeout is 5 s a request, and the references a schema imports are each
# a request more; the user is waiting for this one schema, and nothing else is held up.
EDIT_WAIT = 20.0
# How often a blocking wait looks at its cancel event: a threading.Event cannot call
# back, and a twentieth of a second is quicker than anyone clicks twice.
_CANCEL_POLL = 0.05


async def wait_until_settled(
    source: SchemaSource,
    attempt: Callable[[], Awaitable[T]],
    waiting: Callable[[T], bool],
    *,
    wait_seconds: float,
) -> T:
    """``await attempt()`` again each time ``source`` settles, while ``waiting(answer)``
    and for at most ``wait_seconds`` in all; the last answer (which may still wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        answer = await attempt()
        left = deadline - loop.time()
        if not waiting(answer) or left <= 0 or not await _settled(source, left):
            return answer


def wait_until_settled_blocking(
    source: SchemaSource,
    attempt: Callable[[], T],
    waiting: Callable[[T], bool],
    *,
    wait_seconds: float,
    cancel: threading.Event | None = None,
) -> T:
    """:func:`wait_until_settled` in the calling thread, which it blocks (never call it
    on a loop that draws a window); it also stops once ``cancel`` is set."""
    deadline = time.monotonic() + wait_seconds
    while True:
        answer = attempt()
        left = deadline - time.monotonic()
        if not waiting(answer) or left <= 0 or not _settled_blocking(source, left, cancel):
            return answer


async def wait_for_schema(
    source: SchemaSource,
    ref: SchemaRef | None,
    topic: str | None,
    is_key: bool,
    *,
    wait_seconds: float = EDIT_WAIT,
) -> Schema | Unavailable:
    """The schema ``source`` has for ``ref`` (of ``topic``'s key or value), or why not."""

    async def ask() -> Schema | Pending | Unavailable:
        return source.lookup(ref, topic, is_key)

    answer = await wait_until_settled(
        source, ask, lambda a: isinstance(a, Pending), wait_seconds=wait_seconds
    )
    if isinstance(answer, Pending):
        return Unavailable(f"{answer.reason}: no answer after {wait_seconds:g} s")
    return answer


async def _settled(source: SchemaSource, seconds: float) -> bool:
    """Whether ``source`` settled within ``seconds`` (awaited on the running loop)."""
    loop = asyncio.get_running_loop()
    settled: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        # Called from the source's worker thread, or at once. The loop may be gone by
        # then (a window closed while a fetch ran): nothing is waiting on it any more.
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the test and the call
                loop.call_soon_threadsafe(_set_done, settled)

    source.when_settled(wake)
    try:
        await asyncio.wait_for(settled, seconds)
    except TimeoutError:
        return False
    return True


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():  # a wait that timed out has cancelled it
        future.set_result(None)


def _settled_blocking(source: SchemaSource, seconds: float, cancel: threading.Event | None) -> bool:
    """Whether ``source`` settled within ``seconds`` and before ``cancel`` was set."""
    settled = threading.Event()
    source.when_settled(settled.set)
    if cancel is None:
        return settled.wait(seconds)
    deadline = time.monotonic() + seconds
    while not cancel.is_set():
        left = deadline - time.monotonic()
        if settled.wait(min(left, _CANCEL_POLL)):
            return True
        if left <= _CANCEL_POLL:
            return False
    return False


__all__ = [
    "EDIT_WAIT",
    "wait_for_schema",
    "wait_until_settled",
    "wait_until_settled_blocking",
]
