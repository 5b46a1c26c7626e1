"""Sending many events at a steady rate, with progress, that can be cancelled at any time.

:func:`paced` is the loop behind "send a burst of N at R per second" for any sender: the
embedded bus, or anything else with an async send. Events are spread evenly over time
(event ``i`` goes out ``i / rate`` seconds after the first), so a burst that fell behind
catches up without going over the rate for long. :func:`sleep_until_due` is that pacing
alone, for loops that send in their own way (Kafka bursts, replays).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# A burst with no rate limit still lets the event loop (and with it the window) breathe.
_YIELD_EVERY = 200


async def sleep_until_due(start: float, i: int, rate: float) -> None:
    """Sleep until send ``i`` is due: ``i / rate`` seconds after ``start`` (the running
    loop's time). A send that is already late goes at once."""
    delay = start + i / rate - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


async def paced(
    count: int,
    rate: float | None,
    send: Callable[[int], Awaitable[object]],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    progress_every: float = 0.1,
) -> int:
    """Await ``send(i)`` for ``i`` in ``range(count)``, at most ``rate`` per second.

    ``rate`` of ``None`` or ``0`` sends as fast as ``send`` allows. ``on_progress(done,
    count)`` is called at most every ``progress_every`` seconds and once at the end.
    Returns how many were sent. Cancelling the task stops between two sends; what was sent
    stays sent. An exception from ``send`` ends the burst and propagates.
    """
    if count < 0:
        raise ValueError("a burst cannot have a negative count")
    if rate is not None and rate < 0:
        raise ValueError("a burst cannot have a negative rate")
    loop = asyncio.get_running_loop()
    start = last_report = loop.time()
    for i in range(count):
        if rate:
            await sleep_until_due(start, i, rate)
        elif i and i % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
        await send(i)
        if on_progress is not None and loop.time() - last_report >= progress_every:
            last_report = loop.time()
            on_progress(i + 1, count)
    if on_progress is not None:
        on_progress(count, count)
    return count
