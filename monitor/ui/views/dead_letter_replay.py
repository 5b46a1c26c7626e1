"""Where a replay from the window goes, and running one there.

The view picks a :class:`ReplayTarget` (where each letter came from, by default; or the
embedded bus, or the Kafka cluster the window is connected to), asks
:func:`write_refusal` / :func:`needs_confirmation` what the profile allows, and runs
:func:`replay` inside an operation. The actions themselves are the core's
(:class:`~monitor.core.dead_letter_service.DeadLetterService`) and the Kafka adapter's
(``replay_to_kafka``): windows, pacing and stopping between two windows come from
:func:`monitor.core.replay.replay_in_windows`. No Qt here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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
from monitor.core.dead_letter_service import (
    BUS,
    DeadLetterService,
    Destination,
    comes_from,
    route,
)
from monitor.core.deadletters import DeadLetter
from monitor.core.eventlog import EventLog
from monitor.core.replay import (
    ReplayOutcome,
    ReplayRun,
    ReplayWindow,
    bus_window,
    window_for_rate,
)
from monitor.core.runtime import EmbeddedRuntime


@dataclass(frozen=True, slots=True)
class ReplayTarget:
    """Where the user sends replays: ``origin`` (each letter back where it came from, the
    default), ``bus`` (everything onto the embedded bus) or ``kafka`` (everything into the
    connected cluster). ``profile`` is the connected cluster's, when there is one."""

    kind: Literal["origin", "bus", "kafka"]
    profile: ConnectionProfile | None = None
    password: str | None = None
    # The connected session's producer (KafkaConnectionState.producer): replays into
    # Kafka go through the one Kafka service, not a connection of their own.
    producer: Callable[[], Awaitable[KafkaPublisher]] | None = None

    @property
    def label(self) -> str:
        if self.kind == "origin":
            return "where each letter came from"
        if self.kind == "bus" or self.profile is None:
            return "the embedded bus"
        return f"Kafka ({self.profile.name})"

    @property
    def connected(self) -> Destination | None:
        if self.profile is None:
            return None
        return Destination("kafka", self.profile.bootstrap_servers)

    def destination_of(self, letter: DeadLetter) -> Destination | None:
        """Where ``letter`` goes with this target; None when it cannot go anywhere now (a
        Kafka letter while its cluster is not the connected one)."""
        if self.kind == "bus":
            return BUS
        if self.kind == "kafka":
            return self.connected
        routes, _ = route([letter], self.connected)
        return routes[0][0] if routes else None

    def redirected(self, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
        """The letters this target sends somewhere other than where they came from."""
        return [
            d
            for d in letters
            if (where := self.destination_of(d)) is not None and not comes_from(d, where)
        ]

    def writes_to_kafka(self, letters: Sequence[DeadLetter]) -> bool:
        return any(
            (where := self.destination_of(d)) is not None and where.kind == "kafka" for d in letters
        )


ORIGIN = ReplayTarget("origin")


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
    """Replay ``letters`` as ``target`` says, through the core's
    :class:`~monitor.core.dead_letter_service.DeadLetterService`: a window at a time
    (about a second each at ``rate``), stopping between windows once ``should_stop()``
    says so. With the ``origin`` target, letters from the bus go to the bus and letters
    from the connected cluster to it; letters from another cluster are skipped, saying
    which cluster to connect to.

    Replays into Kafka go through the connected session's producer (the one Kafka
    service), which stays open afterwards. ``on_ready()`` is called once every
    destination is reachable, just before the first send: until then, cancelling the task
    loses nothing (opening the producer on a silent cluster can take a while). Kafka
    writes go through :func:`check_write_allowed` with
    ``confirmed`` (what the user answered), so a read-only profile, or an unconfirmed
    production one, sends nothing.
    """
    log = runtime.log
    if log is None:
        raise RuntimeError("there is no event log, so there are no dead letters to replay")
    service = DeadLetterService(log, runtime.pipeline)
    if target.kind == "origin":
        routes, unsent = route(letters, target.connected)
    else:
        where = target.connected if target.kind == "kafka" else BUS
        if where is None:
            raise RuntimeError("not connected to Kafka")
        routes, unsent = [(where, list(letters))], []
    run = ReplayRun(len(letters), list(unsent))
    if unsent:
        on_window(unsent)
    publisher: KafkaPublisher | None = None
    if any(where.kind == "kafka" for where, _ in routes):
        profile = target.profile
        if profile is None or target.producer is None:
            raise RuntimeError("Not connected to Kafka: connect a profile in Connections first.")
        check_write_allowed(profile, confirmed=confirmed, action="replay")
        publisher = await target.producer()  # the session's: it stays open after the replay
    on_ready()
    window = window_for_rate(rate)
    for where, chunk in routes:
        done_before = len(run.outcomes)

        def progress(done: int, _of: int, before: int = done_before) -> None:
            on_progress(before + done, len(letters))

        send = (
            bus_window(runtime.bus, log)
            if publisher is None or where.kind == "bus"
            else (kafka_window(publisher, log))
        )
        part = await service.replay(
            chunk,
            send,
            window=window,
            rate=rate,
            should_stop=should_stop,
            on_progress=progress,
            on_window=on_window,
        )
        run.outcomes.extend(part.outcomes)
        if part.stopped:
            run.stopped = True
            break
    return run


def kafka_window(publisher: KafkaPublisher, log: EventLog) -> ReplayWindow:
    """A :class:`ReplayWindow` into the cluster of ``publisher``: one acknowledgement
    window per chunk, so a stop never leaves sends unrecorded."""

    async def to_kafka(
        chunk: Sequence[DeadLetter],
        *,
        rate: float | None,
        on_progress: Callable[[int, int], None],
    ) -> list[ReplayOutcome]:
        return await replay_to_kafka(
            publisher, log, chunk, rate=rate, window=len(chunk), on_progress=on_progress
        )

    return to_kafka
