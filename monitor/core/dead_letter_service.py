"""Dead-letter actions, one service for the window and the command line alike.

:class:`DeadLetterService` replays, discards and edits dead letters. Each action is
recorded in the letter's history by the event log, and every letter that stops being
pending is told to the pipeline (when there is one), so the live counts and the chains
stay right without the caller having to remember it.

Where a replay goes is decided here too: by default, **where the letter came from**
(:func:`route`): a letter from the embedded bus back to the bus, a letter from a Kafka
cluster back to that cluster's original topic. Sending a letter elsewhere is the
caller's explicit choice (and the window asks first).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from monitor.core.dead_letter_groups import discard_pending
from monitor.core.deadletters import DeadLetter, Status
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.formats.reframe import framing_of
from monitor.core.formats.schema_wait import wait_for_schema
from monitor.core.formats.schemas import JSON_SCHEMA, Schema, SchemaSource
from monitor.core.pipeline import IngestPipeline
from monitor.core.raw_record import EditRefused, needs_schema, schema_label, value_schema_header
from monitor.core.replay import ReplayOutcome, ReplayRun, ReplayWindow, replay_in_windows


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a replay sends letters: the embedded bus, or a Kafka cluster by its bootstrap
    servers (``""``: the cluster is not known, as for letters logged by older versions).
    A cluster is known by its address, whether it was reached through a profile or
    ``--bootstrap``."""

    kind: str  # "bus" | "kafka"
    cluster: str = ""

    @property
    def label(self) -> str:
        if self.kind == "bus":
            return "the embedded bus"
        return f"Kafka ({self.cluster})" if self.cluster else "Kafka"


BUS = Destination("bus")


def origin_of(letter: DeadLetter) -> Destination:
    cluster = letter.kafka_cluster
    return BUS if cluster is None else Destination("kafka", cluster)


def comes_from(letter: DeadLetter, destination: Destination) -> bool:
    """Whether ``destination`` is where ``letter`` came from. A Kafka letter whose cluster
    is unknown counts as coming from any cluster."""
    origin = origin_of(letter)
    if origin.kind != destination.kind:
        return False
    if origin.kind == "bus" or not origin.cluster:
        return True
    # "a:9092,b:9092" and "b:9092" name the same cluster: any server in common.
    return bool(_servers(origin.cluster) & _servers(destination.cluster))


def _servers(bootstrap: str) -> set[str]:
    return {s.strip().lower() for s in bootstrap.split(",") if s.strip()}


def route(
    letters: Sequence[DeadLetter], connected: Destination | None
) -> tuple[list[tuple[Destination, list[DeadLetter]]], list[ReplayOutcome]]:
    """Split ``letters`` by where they came from: ``([(destination, letters), ...],
    outcomes of letters that cannot go back now)``. ``connected`` is the Kafka cluster the
    caller can send to (None when none); a Kafka letter from another cluster is skipped
    with a sentence that says which cluster to connect to."""
    groups: dict[Destination, list[DeadLetter]] = {}
    unsent: list[ReplayOutcome] = []
    for letter in letters:
        origin = origin_of(letter)
        if origin.kind == "kafka":
            if connected is None or not comes_from(letter, connected):
                where = f"Kafka cluster {origin.cluster}" if origin.cluster else "Kafka"
                unsent.append(
                    ReplayOutcome(
                        letter.id,
                        None,
                        "skipped",
                        f"came from {where}: connect to it to replay the letter there",
                    )
                )
                continue
            origin = connected
        groups.setdefault(origin, []).append(letter)
    return list(groups.items()), unsent


class DeadLetterService:
    """Replay, discard and edit the dead letters of ``log``; see the module docstring.

    Every method does its log I/O in a worker thread: call them from the event loop.
    """

    def __init__(self, log: EventLog, pipeline: IngestPipeline | None = None) -> None:
        self.log = log
        self.pipeline = pipeline

    def _resolved(self, statuses: dict[str, Status]) -> None:
        if self.pipeline is not None and statuses:
            self.pipeline.dead_letters_resolved(statuses)

    async def replay(
        self,
        letters: Sequence[DeadLetter],
        send: ReplayWindow,
        *,
        window: int,
        rate: float | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        on_window: Callable[[list[ReplayOutcome]], None] | None = None,
    ) -> ReplayRun:
        """Replay ``letters`` through ``send`` (a window of the bus or of a Kafka cluster)
        in windows, paced to ``rate``; each replayed letter leaves the pending count."""
        pending = {d.id for d in letters if d.status == "pending"}

        def after_window(outcomes: list[ReplayOutcome]) -> None:
            replayed: dict[str, Status] = {
                o.dead_letter_id: "replayed"
                for o in outcomes
                if o.status == "replayed" and o.dead_letter_id in pending
            }
            self._resolved(replayed)
            if on_window is not None:
                on_window(outcomes)

        return await replay_in_windows(
            send,
            letters,
            window=window,
            rate=rate,
            should_stop=should_stop,
            on_progress=on_progress,
            on_window=after_window,
        )

    async def discard(self, ids: Iterable[str]) -> list[str]:
        """Discard the pending letters among ``ids``; returns the ids discarded (a letter
        no longer pending is left as it is and recorded nothing)."""
        done = await asyncio.to_thread(discard_pending, self.log, list(ids))
        self._resolved(dict.fromkeys(done, "discarded"))
        return done

    async def edit(
        self,
        letter_id: str,
        event: Envelope,
        schemas: SchemaSource | None = None,
        schemas_of: Destination | None = None,
    ) -> DeadLetter:
        """Replace the event a letter will replay (its record's bytes follow the edit),
        recording what changed.

        A schema-encoded payload (Avro, Protobuf, JSON Schema) is encoded again with the
        schema it was decoded with, which ``schemas`` (the connection's registry or schema
        files; the caller's, as this service does no network I/O) is asked for without
        blocking the loop. ``schemas_of``: the cluster those schemas belong to, when known;
        a letter from another cluster is refused, as a schema id means nothing outside its
        own registry. Raises :class:`EditRefused` with the reason when the edit does not
        fit that schema or the schema cannot be had; nothing is saved then.
        """
        letter = await asyncio.to_thread(self.log.dead_letter, letter_id)
        schema = await self._schema_for(letter, event, schemas, schemas_of)
        return await asyncio.to_thread(self.log.update_dead_letter_event, letter_id, event, schema)

    @staticmethod
    async def _schema_for(
        letter: DeadLetter,
        event: Envelope,
        schemas: SchemaSource | None,
        schemas_of: Destination | None,
    ) -> Schema | None:
        """The schema the edited payload is encoded with; ``None`` when it needs none or
        it cannot be had (then ``edited_record`` refuses, or writes JSON Schema payloads as
        JSON behind their framing)."""
        record, before = letter.record, letter.event
        if record is None or record.value is None or not needs_schema(record, before, event):
            return None
        if schemas is None:
            return None
        if schemas_of is not None and not comes_from(letter, schemas_of):
            raise EditRefused(
                f"The payload is {before.format} ({schema_label(before)}) and the letter "
                f"came from {origin_of(letter).label}, not from {schemas_of.label}: its "
                "schema id means something only in that cluster's registry. Connect to "
                "that cluster to edit the payload, or edit the headers."
            )
        try:
            ref = framing_of(record.value, value_schema_header(record), before.format or "").ref
        except ValueError as exc:
            raise EditRefused(f"The payload's framing is broken: {exc}.") from None
        answer = await wait_for_schema(schemas, ref, before.topic, False)
        if isinstance(answer, Schema):
            return answer
        if before.format == JSON_SCHEMA:
            return None
        raise EditRefused(
            f"The payload is {before.format} ({schema_label(before)}): the edit must be "
            f"encoded with that schema again, and it cannot be had: {answer.reason}. "
            "Edit the headers, or replay the letter as it is."
        )
