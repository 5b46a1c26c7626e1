"""Where a replay from the window goes, and running one there.

The view picks a :class:`ReplayTarget` (the embedded bus, or the Kafka cluster the window
is connected to), asks :func:`write_refusal` / :func:`needs_confirmation` what the
profile allows, and runs :func:`replay` inside an operation. The sends themselves are the
core's and the Kafka adapter's (``replay_on_bus``, ``replay_to_kafka``): windows, pacing
and stopping between two windows come from :func:`monitor.core.replay.replay_in_windows`.
No Qt here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import (
    ConfirmationNeeded,
    KafkaPublisher,
    WriteRefused,
    check_write_allowed,
)
from adapters.kafka.replay import replay_to_kafka
from monitor.core.deadletters import DeadLetter
from monitor.core.replay import (
    ReplayOutcome,
    ReplayRun,
    bus_window,
    replay_in_windows,
    window_for_rate,
)
from monitor.core.runtime import EmbeddedRuntime


@dataclass(frozen=True, slots=True)
class ReplayTarget:
    kind: Literal["bus", "kafka"]
    profile: ConnectionProfile | None = None
    password: str | None = None

    @property
    def label(self) -> str:
        if self.kind == "bus" or self.profile is None:
            return "the embedded bus"
        return f"Kafka ({self.profile.name})"


BUS = ReplayTarget("bus")


def write_refusal(profile: ConnectionProfile) -> str | None:
    """Why replaying into ``profile`` is not allowed at all (read-only), or None."""
    try:
        check_write_allowed(profile, confirmed=True, action="replay to Kafka")
    except WriteRefused as exc:
        return str(exc)
    return None


def needs_confirmation(profile: ConnectionProfile) -> bool:
    """Whether replaying into ``profile`` must be confirmed first (production)."""
    try:
        check_write_allowed(profile, confirmed=False, action="replay to Kafka")
    except ConfirmationNeeded:
        return True
    except WriteRefused:
        return False
    return False


async def replay(
    target: ReplayTarget,
    runtime: EmbeddedRuntime,
    letters: Sequence[DeadLetter],
    *,
    rate: float | None,
    confirmed: bool,
    should_stop: Callable[[], bool],
    on_progress: Callable[[int, int], None],
    on_window: Callable[[list[ReplayOutcome]], None],
    on_ready: Callable[[], None] = lambda: None,
) -> ReplayRun:
    """Replay ``letters`` to ``target`` a window at a time (about a second each at
    ``rate``), stopping between windows once ``should_stop()`` says so.

    ``on_ready()`` is called once the target is reachable, just before the first send:
    until then, cancelling the task loses nothing (connecting to a silent cluster can
    take a while). Kafka writes go through :func:`check_write_allowed` with
    ``confirmed`` (what the user answered), so a read-only profile, or an unconfirmed
    production one, sends nothing.
    """
    log = runtime.log
    if log is None:
        raise RuntimeError("there is no event log, so there are no dead letters to replay")
    window = window_for_rate(rate)
    if target.kind == "bus":
        on_ready()
        return await replay_in_windows(
            bus_window(runtime.bus, log),
            letters,
            window=window,
            rate=rate,
            should_stop=should_stop,
            on_progress=on_progress,
            on_window=on_window,
        )
    profile = target.profile
    if profile is None:
        raise RuntimeError("not connected to Kafka")
    check_write_allowed(profile, confirmed=confirmed, action="replay")
    publisher = KafkaPublisher(profile, target.password)
    try:
        await publisher.__aenter__()
    except asyncio.CancelledError:
        await publisher.__aexit__()  # stopped while connecting: close what was opened
        raise
    try:
        on_ready()

        async def to_kafka(
            chunk: Sequence[DeadLetter],
            *,
            rate: float | None,
            on_progress: Callable[[int, int], None],
        ) -> list[ReplayOutcome]:
            # One acknowledgement window per chunk: a stop never leaves sends unrecorded.
            return await replay_to_kafka(
                publisher, log, chunk, rate=rate, window=len(chunk), on_progress=on_progress
            )

        return await replay_in_windows(
            to_kafka,
            letters,
            window=window,
            rate=rate,
            should_stop=should_stop,
            on_progress=on_progress,
            on_window=on_window,
        )
    finally:
        await publisher.__aexit__()
