"""Dead letters read undecoded, decoded in the window once their schema can be had.

A letter whose event could not be decoded when it was tailed (no registry configured,
a 404, the registry down) keeps the record as it came. When the view shows such a
letter, or the connection's schema source becomes available (a profile with a registry
connected), :class:`LetterDecoding` decodes it and the view's other undecoded letters
with that source, in the background: the decode runs in a worker thread and the
registry is awaited on the loop, never waited for (:class:`~monitor.core.redecode.
Redecoder`); the log is written in a worker thread, only over the undecoded event read
(:mod:`monitor.core.undecoded_letters`). :attr:`LetterDecoding.decoded` says how many
letters changed, for the view to reload them from the log.

Only letters that came from the connected cluster are decoded with its source: a schema
id means something only in its own cluster's registry.

The editor asks :meth:`LetterDecoding.for_edit` first, so an edit of an undecoded letter
is an edit of its decoded payload when the schema can be had now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.formats.schemas import SchemaSource
from monitor.core.redecode import DEFAULT_WAIT, Redecoder, can_redecode, waits_for_schema
from monitor.core.undecoded_letters import LetterBatch, can_decode_letter, store_letters
from monitor.ui.context import AppContext
from monitor.ui.views.late_decode_attempts import LateDecodeAttempts

MAX_LETTERS = 2_000  # undecoded letters decoded in one attempt, the shown one first


@dataclass(frozen=True, slots=True)
class ForEdit:
    """What the editor opens on: the letter as stored (decoded when it could be), the
    event as it failed (decoded likewise), or ``None``."""

    letter: DeadLetter
    original: Envelope | None


class LetterDecoding(LateDecodeAttempts[DeadLetter]):
    """See the module docstring. ``letters`` gives the letters the view holds now."""

    what = "undecoded dead letters"

    def __init__(
        self,
        context: AppContext,
        log_: EventLog | None,
        letters: Callable[[], Sequence[DeadLetter]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(context, parent)
        self.log = log_
        self.letters = letters

    def cluster(self) -> str | None:
        """The connected cluster's bootstrap servers, ``None`` when not connected."""
        kafka = self.context.kafka
        return kafka.profile.bootstrap_servers if kafka.connected and kafka.profile else None

    def can_decode(self, letter: DeadLetter) -> bool:
        """Whether ``letter`` is undecoded and the connection may decode it now."""
        cluster = self.cluster()
        return (
            cluster is not None
            and self.context.kafka.schemas is not None
            and can_decode_letter(letter, cluster)
        )

    def letter_shown(self, letter: DeadLetter | None) -> None:
        """The inspector shows ``letter``: decode it, and the other undecoded letters,
        if their schema can be had now. One attempt at a time."""
        if letter is None or self.running or not self.can_decode(letter):
            return
        self._start(letter)

    def _attempt(self, shown: DeadLetter | None) -> Coroutine[Any, Any, int] | None:
        return self._decode(shown) if self.log is not None else None

    async def _decode(self, shown: DeadLetter | None) -> int:
        cluster, source = self.cluster(), await self._source()
        if cluster is None or source is None or self.log is None:
            return 0
        letters = [shown] if shown is not None else []
        letters += [d for d in self.letters() if shown is None or d.id != shown.id]
        batch = LetterBatch([d for d in letters if can_decode_letter(d, cluster)][:MAX_LETTERS])
        if not batch:
            return 0
        better = await Redecoder(source).resolve(batch.events, DEFAULT_WAIT, batch.records)
        if not better:
            return 0
        await asyncio.to_thread(store_letters, self.log, batch, better)
        return len(better)

    async def _source(self) -> SchemaSource | None:
        find = self.context.kafka.schemas
        return await find() if find is not None else None

    async def for_edit(self, letter: DeadLetter, original: Envelope | None) -> ForEdit:
        """``letter`` (and ``original``, the event as it failed) decoded first when it is
        undecoded and the connection has its schema: the letter as then stored, read
        again. As given when that cannot be done. Raises what the schema source raises
        (a schema file that cannot be used)."""
        if self.log is None or not self.can_decode(letter):
            return ForEdit(letter, original)
        source, cluster = await self._source(), self.cluster()
        if source is None or cluster is None:
            return ForEdit(letter, original)
        batch = LetterBatch([letter], cluster)
        events, records = list(batch.events), list(batch.records)
        if original is not None and can_redecode(original):
            events.append(original)
            records.append(None)
        better = await Redecoder(source).resolve(events, DEFAULT_WAIT, records)
        if 0 in better:
            await asyncio.to_thread(store_letters, self.log, batch, {0: better[0]})
        stored = await asyncio.to_thread(self.log.dead_letter, letter.id)
        decoded_original = better.get(1, original) if original is not None else None
        if decoded_original is not None and waits_for_schema(decoded_original):
            decoded_original = original
        return ForEdit(stored, decoded_original)


def payload_text(event: Envelope) -> str | None:
    """What the payload pane says of an undecoded event instead of its null data; ``None``
    for an event that has its payload."""
    if not event.undecoded:
        return None
    reason = event.error or "its schema could not be had"
    return (
        f"undecoded: {reason}\n\n"
        "The record's bytes are kept, and it is decoded once its schema can be had: "
        "connect to the letter's cluster with a profile that has its schema registry "
        "(or a schema file for its topic)."
    )


__all__ = ["MAX_LETTERS", "ForEdit", "LetterDecoding", "payload_text"]
