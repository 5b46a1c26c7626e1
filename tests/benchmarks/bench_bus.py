"""Benchmark: in-process publish -> one async handler on the embedded bus.

Prints events/s for the bus beside the rate of a bare ``asyncio.Queue`` hand-off (one
producer, one consumer coroutine) measured in the same run, so the figure can be judged
against what asyncio itself does on this machine, and the bus's figure as a share of it.
Target: bus >= 200,000 events/s. ``--quick``: 20,000 events once, to check it runs.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from monitor.core.bus import EventBus
from monitor.core.envelope import Envelope

QUICK = "--quick" in sys.argv[1:]
N = 20_000 if QUICK else 200_000
ROUNDS = 1 if QUICK else 3


async def bare_queue_rate(n: int) -> float:
    queue: asyncio.Queue[Envelope] = asyncio.Queue(maxsize=10_000)
    events = [Envelope(type="OrderPlaced", source="bench", topic="orders") for _ in range(n)]
    received = 0
    done = asyncio.get_running_loop().create_future()

    async def consumer() -> None:
        nonlocal received
        while True:
            await queue.get()
            received += 1
            if received == n:
                done.set_result(None)
                return

    task = asyncio.create_task(consumer())
    start = time.perf_counter()
    for event in events:
        await queue.put(event)
    await done
    elapsed = time.perf_counter() - start
    await task
    return n / elapsed


async def bus_rate(n: int) -> float:
    events = [Envelope(type="OrderPlaced", source="bench") for _ in range(n)]
    received = 0

    async def handler(event: Envelope) -> None:
        nonlocal received
        received += 1

    bus = EventBus(default_capacity=10_000)
    bus.subscribe("orders.*", handler, name="bench")
    start = time.perf_counter()
    for event in events:
        await bus.publish(event, "orders.placed")
    await bus.drain()
    elapsed = time.perf_counter() - start
    await bus.close()
    assert received == n, (received, n)
    assert bus.counters["orders.placed"].delivered == n
    return n / elapsed


def main() -> int:
    bare, ours = [], []
    for _ in range(ROUNDS):
        bare.append(asyncio.run(bare_queue_rate(N)))
        ours.append(asyncio.run(bus_rate(N)))
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"bare asyncio.Queue hand-off : {b:>10,.0f} events/s  (median of {ROUNDS})")
    print(
        f"embedded bus publish->handler: {o:>10,.0f} events/s  (median of {ROUNDS})"
        f" = {o / b:.0%} of the bare hand-off"
    )
    print(f"target 200,000 events/s: {'met' if o >= 200_000 else 'NOT met'}")
    return 0 if o >= 200_000 or QUICK else 1


if __name__ == "__main__":
    sys.exit(main())
