"""Waiting for a schema without blocking the event loop.

A :class:`~monitor.core.formats.schemas.SchemaSource` never waits: a schema it has not
fetched yet is :class:`Pending`, and the source calls ``when_settled`` callbacks (from
its worker thread) once the fetch has ended. Editing a dead letter needs the schema
itself, so :func:`wait_for_schema` asks, waits for that call on the running loop and asks
again. The core does no network I/O of its own here: the source does, in its threads.
"""

from __future__ import annotations

import asyncio

from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schemas import Pending, Schema, SchemaSource, Unavailable

DEFAULT_WAIT = 20.0  # a registry's own timeout is 5 s a request; references add some


async def wait_for_schema(
    source: SchemaSource,
    ref: SchemaRef | None,
    topic: str | None,
    is_key: bool,
    *,
    wait_seconds: float = DEFAULT_WAIT,
) -> Schema | Unavailable:
    """The schema ``source`` has for ``ref`` (of ``topic``'s key or value), or why not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        answer = source.lookup(ref, topic, is_key)
        if not isinstance(answer, Pending):
            return answer
        settled: asyncio.Future[None] = loop.create_future()

        def wake(settled: asyncio.Future[None] = settled) -> None:
            # Called from the source's worker thread, or at once when nothing is in flight.
            loop.call_soon_threadsafe(_settle, settled)

        source.when_settled(wake)
        left = deadline - loop.time()
        try:
            await asyncio.wait_for(settled, max(0.0, left))
        except TimeoutError:
            return Unavailable(f"{answer.reason}: no answer within {wait_seconds:g} s")


def _settle(settled: asyncio.Future[None]) -> None:
    if not settled.done():  # a wait that timed out has cancelled it
        settled.set_result(None)
