"""The burst pacer behind "send N at R per second"."""

from __future__ import annotations

import asyncio

import pytest

from monitor.core.burst import paced
from tests.polling import poll_until


def test_burst_keeps_to_the_rate_and_reports_progress_up_to_the_end() -> None:
    sent: list[int] = []
    progress: list[tuple[int, int]] = []

    async def send(i: int) -> None:
        sent.append(i)

    async def run() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await paced(40, 200.0, send, on_progress=lambda d, n: progress.append((d, n)))
        return loop.time() - start

    elapsed = asyncio.run(run())
    assert sent == list(range(40))
    assert elapsed >= 39 / 200 * 0.9  # event i leaves i/rate seconds after the first
    assert progress[-1] == (40, 40)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


def test_cancelling_a_burst_stops_it_between_sends() -> None:
    sent: list[int] = []

    async def send(i: int) -> None:
        sent.append(i)

    async def run() -> None:
        task = asyncio.create_task(paced(1000, 100.0, send))
        await poll_until(lambda: len(sent) >= 3 or task.done(), 30, every=0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert 3 <= len(sent) < 1000


def test_a_failing_send_ends_the_burst_with_its_error() -> None:
    async def send(i: int) -> None:
        if i == 2:
            raise RuntimeError("the event bus is closed")

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(paced(5, None, send))
