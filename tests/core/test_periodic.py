"""Periodic work on the event loop: steps on time, a failing step logged and the next one
run, stopped for good."""

from __future__ import annotations

import asyncio

import pytest

from monitor.core.periodic import Periodic


def test_steps_repeat_survive_a_failure_and_stop(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def step() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("one bad round")

    async def main() -> None:
        periodic = Periodic(0.001, step, what="the test's step", at_once=True)
        periodic.start()
        periodic.start()  # a second start does nothing
        async with asyncio.timeout(10):
            while len(calls) < 4:
                await asyncio.sleep(0.001)
        await periodic.stop()
        stopped_at = len(calls)
        await asyncio.sleep(0.01)
        assert len(calls) == stopped_at and not periodic.running

    asyncio.run(main())
    assert "the test's step failed" in caplog.text and "one bad round" in caplog.text


def test_a_plain_function_is_a_step_too() -> None:
    calls: list[str] = []

    async def main() -> None:
        periodic = Periodic(0.001, lambda: calls.append("x"), what="sync step")
        periodic.start()
        async with asyncio.timeout(10):
            while not calls:
                await asyncio.sleep(0.001)
        await periodic.stop()

    asyncio.run(main())
    assert calls
