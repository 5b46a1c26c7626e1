"""Long replays: windows, pacing across windows, a stop that never splits a window."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from monitor.core.bus import EventBus
from monitor.core.deadletters import REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.replay import (
    ReplayOutcome,
    ReplayRun,
    bus_window,
    replay_in_windows,
    replay_on_bus,
    window_for_rate,
)


def make_letters(n: int, topic: str = "slow.topic") -> list[DeadLetter]:
    return [
        DeadLetter(
            event=Envelope(type="Slow", source="t", data={"n": i}, topic=topic),
            reason=f"Timeout: after {i} ms",
            original_topic=topic,
            handler="slow",
        )
        for i in range(n)
    ]


def test_window_for_rate_is_about_a_second_of_sends() -> None:
    assert window_for_rate(10) == 10
    assert window_for_rate(0.5) == 1
    assert window_for_rate(None) == 500
    assert window_for_rate(100_000) == 500


def test_windows_cover_every_letter_in_order_and_report_progress() -> None:
    letters = make_letters(7)
    seen: list[list[str]] = []
    progress: list[tuple[int, int]] = []
    windows: list[int] = []

    async def fake(
        chunk: Sequence[DeadLetter], *, rate: float | None, on_progress: Callable[[int, int], None]
    ) -> list[ReplayOutcome]:
        seen.append([d.id for d in chunk])
        for i, _ in enumerate(chunk, start=1):
            on_progress(i, len(chunk))
        return [ReplayOutcome(d.id, "x", "replayed", "ok") for d in chunk]

    run = asyncio.run(
        replay_in_windows(
            fake,
            letters,
            window=3,
            on_progress=lambda d, t: progress.append((d, t)),
            on_window=lambda outcomes: windows.append(len(outcomes)),
        )
    )
    assert [len(w) for w in seen] == [3, 3, 1]
    assert [i for w in seen for i in w] == [d.id for d in letters]
    assert progress == [(i, 7) for i in range(1, 8)]
    assert windows == [3, 3, 1]
    assert (run.replayed, run.not_reached, run.stopped) == (7, 0, False)
    assert run.summary() == "7 replayed"


def test_a_stop_request_ends_the_run_after_the_current_window() -> None:
    letters = make_letters(10)
    calls = 0

    async def fake(
        chunk: Sequence[DeadLetter], *, rate: float | None, on_progress: Callable[[int, int], None]
    ) -> list[ReplayOutcome]:
        nonlocal calls
        calls += 1
        return [ReplayOutcome(d.id, "x", "replayed", "ok") for d in chunk]

    run = asyncio.run(replay_in_windows(fake, letters, window=4, should_stop=lambda: calls >= 1))
    assert calls == 1
    assert run.stopped and run.replayed == 4 and run.not_reached == 6
    assert run.summary() == "4 replayed; stopped, 6 not sent (still pending)"


def test_pace_holds_across_windows() -> None:
    letters = make_letters(6)
    starts: list[float] = []

    async def fake(
        chunk: Sequence[DeadLetter], *, rate: float | None, on_progress: Callable[[int, int], None]
    ) -> list[ReplayOutcome]:
        starts.append(asyncio.get_running_loop().time())
        return []

    async def main() -> None:
        await replay_in_windows(fake, letters, window=2, rate=20.0)

    asyncio.run(main())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g >= 0.09 for g in gaps), gaps  # 2 letters at 20/s: 0.1 s per window


def test_window_must_hold_a_letter() -> None:
    async def never(*_a: object, **_k: object) -> list[ReplayOutcome]:
        raise AssertionError

    with pytest.raises(ValueError):
        asyncio.run(replay_in_windows(never, make_letters(1), window=0))


def test_bus_windows_replay_paced_and_record_each_letter(tmp_path: Path) -> None:
    letters = make_letters(5)
    received: list[Envelope] = []
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters(letters)

        async def main() -> tuple[ReplayRun, float]:
            async def handler(e: Envelope) -> None:
                received.append(e)

            async with EventBus() as bus:
                bus.subscribe("slow.topic", handler)
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                run = await replay_in_windows(bus_window(bus, log), letters, window=2, rate=25.0)
                took = loop.time() - t0
                await bus.drain()
            return run, took

        run, took = asyncio.run(main())
        assert run.replayed == 5
        assert took >= 4 / 25 - 0.01  # the fifth send waits for 4/25 s
        assert [e.headers[REPLAY_HEADER] for e in received] == [d.id for d in letters]
        assert {log.dead_letter(d.id).status for d in letters} == {"replayed"}


def test_replay_on_bus_rate_spaces_the_publishes(tmp_path: Path) -> None:
    letters = make_letters(3)
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters(letters)

        async def main() -> list[float]:
            times: list[float] = []
            loop = asyncio.get_running_loop()
            async with EventBus(on_publish=lambda e: times.append(loop.time())) as bus:
                await replay_on_bus(bus, log, letters, rate=20.0)
            return times

        times = asyncio.run(main())
        assert times[2] - times[0] >= 2 / 20 - 0.01
