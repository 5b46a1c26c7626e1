"""What a design rule reads and what it reports.

A :class:`Rule` has a ``name`` (the one users see, ``command-named``), a default
``severity`` and ``check(context)``, which yields :class:`Finding` objects: the rule, a
severity, the event type and topic it is about, a sentence saying why it matters and how
to fix it, and the evidence (counts and example event ids) as plain JSON data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from monitor.core.catalog.catalog import Catalog

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    event_type: str | None
    topic: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "event_type": self.event_type,
            "topic": self.topic,
            "message": self.message,
            "evidence": self.evidence,
        }

    def example_event_ids(self) -> list[str]:
        """The event ids the evidence names (for opening them in the stream or a chain)."""
        ids = self.evidence.get("example_event_ids") or []
        return [str(i) for i in ids]


@dataclass(slots=True)
class Thresholds:
    """Where the rules draw their lines; every one can be changed."""

    god_event_bytes: int = 64 * 1024
    god_event_fields: int = 100
    soup_types: int = 8  # distinct types from one entity within the catalog's soup window
    sync_pairs: int = 3  # request/reply pairs before a type is called a synchronous call
    coupling_window: float = 600.0  # seconds after a drift that dead letters are counted in
    coupling_min_dead_letters: int = 3
    dlq_max_age: float = 24 * 3600.0
    # Dead letters filed over this long, this many or more, with no replay or discard.
    dlq_rising_window: float = 6 * 3600.0
    dlq_rising_min: int = 10
    correlation_share: float = 0.05  # share of events outside any chain that is reported


@dataclass(slots=True)
class PendingLetter:
    id: str
    created_at: float
    event_type: str
    topic: str


@dataclass(slots=True)
class ReviewContext:
    """What the rules may read: the catalog, the thresholds, the time, and what only the
    log knows (pending dead letters, the handlers' processed marks) when there is one."""

    catalog: Catalog
    thresholds: Thresholds = field(default_factory=Thresholds)
    now: float = field(default_factory=time.time)
    old_pending_letters: list[PendingLetter] | None = None  # None: no log to ask
    # Over the last dlq_rising_window: (letters filed, the first's time, replays and
    # discards). None: no log to ask.
    dead_letter_activity: tuple[int, float | None, int] | None = None
    processed_by: Callable[[str], set[str]] | None = None


class Rule(Protocol):
    name: str
    severity: Severity

    def check(self, context: ReviewContext) -> Iterable[Finding]: ...


def main_topic(topics: dict[str, int]) -> str | None:
    """The topic a type is mostly published on."""
    return max(topics, key=lambda t: topics[t]) if topics else None


def percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.01 or share == 0 else f"{share:.1%}"
