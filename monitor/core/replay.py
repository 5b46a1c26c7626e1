"""Replaying dead letters onto the embedded bus.

A replay republishes the dead letter's event to its original topic (or ``topic``) with
two headers, :data:`~monitor.core.deadletters.REPLAY_HEADER` (the dead letter's id) and
:data:`~monitor.core.deadletters.REPLAY_COUNT_HEADER`, so consumers can tell a replay
from the first delivery. The store is updated only after the bus accepted the event.
A dead letter that is not ``pending`` is skipped unless ``force`` is set, so nothing is
replayed twice by accident.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.core.bus import EventBus
from monitor.core.deadletters import REPLAY_COUNT_HEADER, REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog


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
    """The event to send for ``letter``: a copy with the replay marker headers."""
    event = copy.deepcopy(letter.event)
    event.headers = {
        **event.headers,
        REPLAY_HEADER: letter.id,
        REPLAY_COUNT_HEADER: str(letter.replay_count + 1),
    }
    return event


def skip_reason(letter: DeadLetter, force: bool) -> str | None:
    """Why ``letter`` must not be replayed now, or None when it may."""
    if letter.status != "pending" and not force:
        return f"already {letter.status}; use --force to replay it again"
    return None


async def replay_on_bus(
    bus: EventBus,
    log: EventLog,
    letters: Sequence[DeadLetter],
    *,
    topic: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[ReplayOutcome]:
    """Replay ``letters`` on ``bus``; one outcome per letter, in order.

    Log writes run in a worker thread so the caller's event loop keeps running.
    """
    outcomes: list[ReplayOutcome] = []
    for done, letter in enumerate(letters, start=1):
        target_topic = topic or letter.original_topic
        target = f"bus:{target_topic}" if target_topic else None
        reason = skip_reason(letter, force)
        if reason is not None:
            outcomes.append(ReplayOutcome(letter.id, target, "skipped", reason))
        elif not target_topic:
            outcomes.append(
                ReplayOutcome(letter.id, None, "failed", "no original topic known; name one")
            )
        elif dry_run:
            outcomes.append(ReplayOutcome(letter.id, target, "would replay", f"to {target}"))
        else:
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
