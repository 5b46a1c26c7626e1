"""Waiting, inside a test's event loop, for a condition on plain attributes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def poll_until(condition: Callable[[], bool], within: float = 10.0, *, every: float) -> None:
    """Await ``condition``, checking it every ``every`` seconds and yielding to the loop in
    between (polled: the conditions are plain attributes, not events). Raises TimeoutError,
    failing the test, if it does not hold within ``within`` seconds."""
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(every)
