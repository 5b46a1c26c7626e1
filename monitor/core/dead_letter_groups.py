"""Dead letters as a person triages them: grouped by the shape of their failure.

A thousand letters that failed with ``UnknownProduct: product 'SKU-1' ...`` and
``... 'SKU-2' ...`` are one problem, so :func:`group_by_reason` folds them into one
:class:`ReasonGroup` keyed by :attr:`DeadLetter.reason_group` (exception class plus the
message with its ids and numbers blanked out).

:func:`load_snapshot` reads what a dead-letter view shows in one go;
:func:`pending_in_group` / :func:`current_letters` fetch the letters an action is about to
touch, as the store has them now; :func:`discard_pending` discards, :func:`original_event`
finds the event as it failed. All of them do blocking I/O on the log: run them in a worker
thread when a window is drawing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.core.deadletters import REPLAY_HEADER, STATUSES, DeadLetter, Status
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.logschema import LogError

DEFAULT_SNAPSHOT_LIMIT = 2000  # pending letters a snapshot reads
DEFAULT_SETTLED_LIMIT = 500  # replayed (and, apart, discarded) letters a snapshot reads
GROUP_SCAN_LIMIT = 100_000

_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*")


def exception_name(reason: str) -> str:
    """The exception class a reason starts with (``"UnknownProduct: ..."`` ->
    ``"UnknownProduct"``); empty when the reason does not start with one."""
    head = reason.split(":", 1)[0].strip()
    return head if _EXCEPTION_NAME.fullmatch(head) else ""


@dataclass(frozen=True, slots=True)
class ReasonGroup:
    """Dead letters that failed the same way."""

    key: str  # DeadLetter.reason_group, shared by every letter of the group
    count: int
    pending: int
    example: str  # the full reason of the newest letter
    exception: str  # the exception class name, "" when the reason names none
    handlers: tuple[str, ...]  # who failed, most frequent first
    topics: tuple[str, ...]  # original destinations, most frequent first
    newest_at: float
    oldest_at: float


def _by_frequency(counts: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def group_by_reason(letters: Iterable[DeadLetter]) -> list[ReasonGroup]:
    """One group per reason shape, the biggest first (ties: the most recent first)."""
    members: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        members.setdefault(letter.reason_group, []).append(letter)
    groups = []
    for key, group in members.items():
        newest = max(group, key=lambda d: d.created_at)
        handlers: dict[str, int] = {}
        topics: dict[str, int] = {}
        for d in group:
            if d.handler:
                handlers[d.handler] = handlers.get(d.handler, 0) + 1
            if d.original_topic:
                topics[d.original_topic] = topics.get(d.original_topic, 0) + 1
        groups.append(
            ReasonGroup(
                key=key,
                count=len(group),
                pending=sum(1 for d in group if d.status == "pending"),
                example=newest.reason,
                exception=exception_name(newest.reason),
                handlers=_by_frequency(handlers),
                topics=_by_frequency(topics),
                newest_at=newest.created_at,
                oldest_at=min(d.created_at for d in group),
            )
        )
    groups.sort(key=lambda g: (-g.count, -g.newest_at, g.key))
    return groups


@dataclass(frozen=True, slots=True)
class DeadLetterSnapshot:
    """The newest dead letters of each status, as a view shows them.

    ``letters`` is newest first (ties broken by id, so two snapshots of the same store list
    the same letters in the same order). ``counts`` is how many of each status were read;
    a status in ``truncated`` has more letters in the store than were read.
    """

    letters: tuple[DeadLetter, ...]
    counts: Mapping[Status, int]
    truncated: frozenset[Status]
    limit: int

    def count_text(self, status: Status | None) -> str:
        """``"12"``, or ``"2,000+"`` when the store holds more than were read."""
        if status is None:
            n = sum(self.counts.values())
            more = bool(self.truncated)
        else:
            n = self.counts.get(status, 0)
            more = status in self.truncated
        return f"{n:,}+" if more else f"{n:,}"


def sort_newest_first(letters: Iterable[DeadLetter]) -> list[DeadLetter]:
    return sorted(letters, key=lambda d: (d.created_at, d.id), reverse=True)


def load_snapshot(
    log: EventLog,
    *,
    limit: int = DEFAULT_SNAPSHOT_LIMIT,
    settled_limit: int = DEFAULT_SETTLED_LIMIT,
) -> DeadLetterSnapshot:
    """The newest ``limit`` pending letters and the newest ``settled_limit`` replayed
    and discarded ones each: a flood of settled letters never hides the pending ones,
    and a view that reloads every few seconds does not parse thousands of letters
    nobody acts on any more."""
    letters: list[DeadLetter] = []
    counts: dict[Status, int] = {}
    truncated: set[Status] = set()
    for status in STATUSES:
        cap = limit if status == "pending" else settled_limit
        rows = log.dead_letters(status=status, limit=cap + 1)
        if len(rows) > cap:
            truncated.add(status)
            rows = rows[:cap]
        counts[status] = len(rows)
        letters.extend(rows)
    return DeadLetterSnapshot(
        tuple(sort_newest_first(letters)), counts, frozenset(truncated), limit
    )


def pending_in_group(
    log: EventLog, key: str, *, limit: int, scan_limit: int = GROUP_SCAN_LIMIT
) -> list[DeadLetter]:
    """The pending letters of reason group ``key``, oldest first, at most ``limit``.

    The store has no index on the group, so this reads the newest ``scan_limit`` pending
    letters and keeps the group's; with more pending than that, the oldest are not seen.
    Oldest first: replaying in the order the events first failed.
    """
    rows = log.dead_letters(status="pending", limit=scan_limit)
    members = [d for d in rows if d.reason_group == key]
    members.sort(key=lambda d: (d.created_at, d.id))
    return members[:limit]


def current_letters(log: EventLog, ids: Sequence[str]) -> list[DeadLetter]:
    """The letters with these ids as stored now, in the given order; ids the store no
    longer has (retention removed them) are left out."""
    out = []
    for letter_id in ids:
        try:
            out.append(log.dead_letter(letter_id))
        except LogError:
            continue
    return out


def discard_pending(
    log: EventLog, ids: Sequence[str], *, note: str = "discarded by user"
) -> list[str]:
    """Discard the letters among ``ids`` that are still pending (each discard recorded in
    its history); returns the ids discarded. Letters already replayed or discarded, or
    gone, are left alone."""
    discarded = []
    for letter in current_letters(log, ids):
        if letter.status == "pending":
            log.discard(letter.id, note=note)
            discarded.append(letter.id)
    return discarded


def original_event(log: EventLog, letter: DeadLetter) -> Envelope | None:
    """The event as it failed, from the event log: the first logged delivery with the
    letter's event id and the same replay marker (none for a first delivery). None when
    the log no longer has it (retention) or never had it (a letter read from a
    dead-letter topic). After an edit, this is what the edit is compared with."""
    marker = letter.event.headers.get(REPLAY_HEADER)
    for event in log.chain_events(letter.event.chain_id):
        if event.id == letter.event.id and event.headers.get(REPLAY_HEADER) == marker:
            return event
    return None


__all__ = [
    "DEFAULT_SNAPSHOT_LIMIT",
    "DeadLetterSnapshot",
    "ReasonGroup",
    "current_letters",
    "discard_pending",
    "exception_name",
    "group_by_reason",
    "load_snapshot",
    "original_event",
    "pending_in_group",
    "sort_newest_first",
]
