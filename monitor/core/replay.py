"""Replaying dead letters onto the embedded bus.

A replay republishes the dead letter's event to its original topic (or ``topic``) with
two headers, :data:`~monitor.core.deadletters.REPLAY_HEADER` (the dead letter's id) and
:data:`~monitor.core.deadletters.REPLAY_COUNT_HEADER`, so consumers can tell a replay
from the first delivery. The store is updated only after the bus accepted the event.
A dead letter that is not ``pending`` is skipped unless ``force`` is set, so nothing is
replayed twice by accident.

:func:`replay_in_windows` drives a long replay (the window's, or any caller's): it hands
the letters to a target (the bus here, Kafka in ``adapters.kafka.replay``) a window at a
time, paces them to a rate, and stops between two windows when asked to. Stopping never
splits a window, so what the store says was sent is exactly what the target accepted.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from monitor.core.burst import sleep_until_due
from monitor.core.bus import EventBus
from monitor.core.deadletters import REPLAY_COUNT_HEADER, REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import is_failure_header


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    dead_letter_id: str
    target: str | None
    status: str  # "replayed", "skipped", "failed", "would replay" (dry run)
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "dead_letter_id": self.dead_letter_id,
            "target": self.target,
            "status": self.status,
            "detail": self.detail,
        }


def replay_event(letter: DeadLetter) -> Envelope:
    """The event to send for ``letter``: a copy with the replay marker headers, without
    the headers a failing framework added when it dead-lettered it."""
    event = copy.deepcopy(letter.event)
    event.headers = {
        **{n: v for n, v in event.headers.items() if not is_failure_header(n)},
        REPLAY_HEADER: letter.id,
        REPLAY_COUNT_HEADER: str(letter.next_replay_count),
    }
    return event


def skip_reason(letter: DeadLetter, force: bool) -> str | None:
    """Why ``letter`` must not be replayed now, or None when it may."""
    if letter.status != "pending" and not force:
        return f"already {letter.status}; use --force to replay it again"
    return None


def unsent_outcome(
    letter: DeadLetter,
    *,
    topic: str | None,
    target: str | None,
    force: bool,
    dry_run: bool,
) -> ReplayOutcome | None:
    """The outcome of ``letter`` when it is not to be sent: skipped (see
    :func:`skip_reason`), failed for want of a topic, or a dry run's "would replay".
    None when it is to be sent to ``topic``; ``target`` names that place in outcomes
    (``bus:orders``, or the Kafka topic)."""
    reason = skip_reason(letter, force)
    if reason is not None:
        return ReplayOutcome(letter.id, target, "skipped", reason)
    if not topic:
        return ReplayOutcome(
            letter.id,
            None,
            "failed",
            "no original topic known (its dead-letter topic's name does not say it): name the"
            " topic to replay to with eventflow dlq replay --topic TOPIC, or give the profile's"
            " --dead-letter-pattern a group named origin",
        )
    if dry_run:
        return ReplayOutcome(letter.id, target, "would replay", f"to {target}")
    return None


async def replay_on_bus(
    bus: EventBus,
    log: EventLog,
    letters: Sequence[DeadLetter],
    *,
    topic: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    rate: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[ReplayOutcome]:
    """Replay ``letters`` on ``bus``; one outcome per letter, in order.

    ``rate`` caps the publishes per second (``None`` or 0: as fast as the bus takes them).
    Log writes run in a worker thread so the caller's event loop keeps running.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = 0
    outcomes: list[ReplayOutcome] = []
    for done, letter in enumerate(letters, start=1):
        target_topic = topic or letter.original_topic
        target = f"bus:{target_topic}" if target_topic else None
        unsent = unsent_outcome(
            letter, topic=target_topic, target=target, force=force, dry_run=dry_run
        )
        if unsent is not None:
            outcomes.append(unsent)
        else:
            if rate:
                await sleep_until_due(started, sent, rate)
            sent += 1
            try:
                await bus.publish(replay_event(letter), target_topic)
            except Exception as exc:
                await asyncio.to_thread(
                    log.record_replay, letter.id, target=target or "", ok=False, result=str(exc)
                )
                outcomes.append(ReplayOutcome(letter.id, target, "failed", str(exc)))
            else:
                await asyncio.to_thread(
                    log.record_replay, letter.id, target=target or "", ok=True, result="published"
                )
                outcomes.append(
                    ReplayOutcome(letter.id, target, "replayed", f"published to {target}")
                )
        if on_progress is not None:
            on_progress(done, len(letters))
    return outcomes


# -- long replays: windows, pacing, stopping ---------------------------------------------


class ReplayWindow(Protocol):
    """Replays one window of letters to some target and returns one outcome per letter.

    It paces its own sends to ``rate`` per second (counted from its own start) and calls
    ``on_progress(done, len(letters))`` as it goes. By the time it returns, the target has
    accepted what it reports as replayed and the store says so.
    """

    async def __call__(
        self,
        letters: Sequence[DeadLetter],
        /,
        *,
        rate: float | None,
        on_progress: Callable[[int, int], None],
    ) -> list[ReplayOutcome]: ...


def bus_window(
    bus: EventBus, log: EventLog, *, topic: str | None = None, force: bool = False
) -> ReplayWindow:
    """A :class:`ReplayWindow` that replays onto the embedded ``bus``."""

    async def replay(
        letters: Sequence[DeadLetter],
        *,
        rate: float | None,
        on_progress: Callable[[int, int], None],
    ) -> list[ReplayOutcome]:
        return await replay_on_bus(
            bus, log, letters, topic=topic, force=force, rate=rate, on_progress=on_progress
        )

    return replay


def window_for_rate(rate: float | None, *, seconds: float = 1.0, largest: int = 500) -> int:
    """How many letters make a window that takes about ``seconds`` at ``rate``.

    A stop request is honoured between windows, so this is also about how long a stop
    takes. Unlimited rates get the largest window.
    """
    if not rate or rate <= 0:
        return largest
    return max(1, min(largest, int(rate * seconds)))


@dataclass(slots=True)
class ReplayRun:
    """What a :func:`replay_in_windows` call did: an outcome per letter it reached."""

    total: int
    outcomes: list[ReplayOutcome] = field(default_factory=list)
    stopped: bool = False  # asked to stop before every letter was reached

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def replayed(self) -> int:
        return self.count("replayed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def not_reached(self) -> int:
        """Letters never handed to the target (the run stopped first); still pending."""
        return self.total - len(self.outcomes)

    def summary(self) -> str:
        """One sentence for a status line, e.g. ``12 replayed, 1 failed; 20 not sent``."""
        parts = [f"{self.replayed} replayed"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.skipped:
            # Say why when it is one reason (not pending; came from a cluster that is
            # not connected), which is the common case.
            reasons = {o.detail for o in self.outcomes if o.status == "skipped"}
            why = reasons.pop() if len(reasons) == 1 else "for different reasons"
            parts.append(f"{self.skipped} skipped ({why})")
        text = ", ".join(parts)
        if self.stopped and self.not_reached:
            text += f"; stopped, {self.not_reached} not sent (still pending)"
        return text


async def replay_in_windows(
    replay: ReplayWindow,
    letters: Sequence[DeadLetter],
    *,
    window: int,
    rate: float | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_window: Callable[[list[ReplayOutcome]], None] | None = None,
) -> ReplayRun:
    """Replay ``letters`` through ``replay`` in windows of ``window`` letters.

    Sends are paced to ``rate`` per second over the whole run. ``should_stop`` is asked
    before each window: once it says yes, no further window starts and the run returns
    with :attr:`ReplayRun.stopped` set; the letters not reached stay as they are
    (pending). ``on_progress(done, total)`` counts letters handed to the target;
    ``on_window(outcomes)`` is called after each window, once its outcomes are stored.
    """
    if window < 1:
        raise ValueError("a replay window holds at least one letter")
    loop = asyncio.get_running_loop()
    started = loop.time()
    total = len(letters)
    run = ReplayRun(total)
    for offset in range(0, total, window):
        if rate and offset:
            # The window paces itself from its own start; keep the pace across windows.
            await sleep_until_due(started, offset, rate)
        if should_stop is not None and should_stop():
            run.stopped = True
            break
        chunk = letters[offset : offset + window]

        def progress(done: int, _of: int, offset: int = offset) -> None:
            if on_progress is not None:
                on_progress(offset + done, total)

        outcomes = await replay(chunk, rate=rate, on_progress=progress)
        run.outcomes.extend(outcomes)
        if on_window is not None:
            on_window(outcomes)
    return run
