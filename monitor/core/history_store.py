"""Sampled series kept in the event log, rolled up as they age.

A series is a name (``dead_letters.pending``, ``topic.orders.rate``,
``group.billing.lag_seconds``...) with a unit and samples ``(time, value)``. Samples are
kept in tiers: every sample for :data:`RAW_KEEP` seconds, then 10 s buckets for a day,
then 1 min buckets for 30 days, then nothing. A bucket keeps the mean *and* the maximum
of what it summarises, and what is read back is the maximum, so a spike survives its
roll-up instead of being averaged away.

A rolled-up sample leaves its finer tier in the same transaction, so the tiers of one
series never overlap in time and a read is the union of all tiers, in time order.

:class:`HistoryStore` is blocking (SQLite); hosts call it from a worker thread. It is safe
to share between threads (a lock serialises its calls).
"""

from __future__ import annotations

import fnmatch
import itertools
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monitor.core.log_tables import LogTables


@dataclass(frozen=True, slots=True)
class Tier:
    number: int
    bucket: float  # seconds a sample of this tier summarises (0: a single sample)
    keep: float  # seconds a sample stays in this tier before it is rolled up or dropped


RAW_KEEP = 3600.0
TIERS = (
    Tier(0, 0.0, RAW_KEEP),
    Tier(1, 10.0, 86_400.0),
    Tier(2, 60.0, 30 * 86_400.0),
)

UNITS = {
    "rate": "events/s",
    "pending": "letters",
    "lag": "records",
    "lag_seconds": "s",
}


def unit_of(name: str) -> str:
    """The unit a series' name implies: its last dotted part (``rate``, ``lag``...)."""
    return UNITS.get(name.rsplit(".", 1)[-1], "")


@dataclass(slots=True)
class Series:
    """One series read back: ``samples`` are ``(time, value)`` in time order, the value of
    a rolled-up sample being the maximum of its bucket."""

    name: str
    unit: str
    samples: list[tuple[float, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "unit": self.unit,
            "samples": [[round(t, 3), v] for t, v in self.samples],
        }


class HistoryStore(LogTables):
    """Series in the log at ``path`` (created and migrated if needed)."""

    what = "the history"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._ids: dict[str, int] = {}

    def _series_id(self, conn: sqlite3.Connection, name: str) -> int:
        sid = self._ids.get(name)
        if sid is None:
            conn.execute(
                "INSERT OR IGNORE INTO history_series (name, unit) VALUES (?, ?)",
                (name, unit_of(name)),
            )
            row = conn.execute("SELECT id FROM history_series WHERE name = ?", (name,)).fetchone()
            sid = self._ids[name] = int(row[0])
        return sid

    def write(self, at: float, values: Mapping[str, float]) -> None:
        """Store one sample of each series in ``values``, taken at ``at``."""
        if not values:
            return
        with self._transaction() as conn:
            rows = [(self._series_id(conn, n), at, float(v), float(v)) for n, v in values.items()]
            conn.executemany(
                "INSERT OR REPLACE INTO history_samples (series, tier, t, mean, max, n)"
                " VALUES (?, 0, ?, ?, ?, 1)",
                rows,
            )

    def roll_up(self, now: float) -> None:
        """Move samples older than their tier's keep into the next tier's buckets (the
        last tier's are dropped). Cut-offs fall on bucket boundaries, so a bucket is
        rolled up whole, once. Series by series: each step is then a range of the
        primary key, not a scan of the whole history."""
        with self._transaction() as conn:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM history_series")]
            for sid in ids:
                for finer, coarser in itertools.pairwise(TIERS):
                    size = coarser.bucket
                    cutoff = (now - finer.keep) // size * size
                    # A bucket already there (a sample written late) is merged into.
                    conn.execute(
                        """
                        INSERT INTO history_samples (series, tier, t, mean, max, n)
                        SELECT series, ?, CAST(t / ? AS INTEGER) * ?, sum(mean * n) / sum(n),
                               max(max), sum(n)
                        FROM history_samples WHERE series = ? AND tier = ? AND t < ?
                        GROUP BY CAST(t / ? AS INTEGER)
                        ON CONFLICT (series, tier, t) DO UPDATE SET
                            mean = (mean * n + excluded.mean * excluded.n) / (n + excluded.n),
                            max = max(max, excluded.max),
                            n = n + excluded.n
                        """,
                        (coarser.number, size, size, sid, finer.number, cutoff, size),
                    )
                    conn.execute(
                        "DELETE FROM history_samples WHERE series = ? AND tier = ? AND t < ?",
                        (sid, finer.number, cutoff),
                    )
                last = TIERS[-1]
                conn.execute(
                    "DELETE FROM history_samples WHERE series = ? AND tier = ? AND t < ?",
                    (sid, last.number, now - last.keep),
                )

    def names(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT name FROM history_series ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def read(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        since: float | None = None,
        until: float | None = None,
        step: float | None = None,
    ) -> list[Series]:
        """The series whose names match any of the glob ``patterns``, samples in
        ``[since, until]``. ``step`` buckets them further (the maximum of each ``step``
        seconds), so a chart a few hundred pixels wide reads a few hundred points."""
        low = float("-inf") if since is None else since
        high = float("inf") if until is None else until
        with self._lock:
            known = self._conn.execute("SELECT id, name, unit FROM history_series").fetchall()
            chosen = [
                (sid, name, unit)
                for sid, name, unit in known
                if any(fnmatch.fnmatchcase(name, p) for p in patterns)
            ]
            out = []
            for sid, name, unit in sorted(chosen, key=lambda r: r[1]):
                rows = self._conn.execute(
                    "SELECT t, max FROM history_samples WHERE series = ? AND t >= ? AND t <= ?"
                    " ORDER BY t",
                    (sid, low, high),
                ).fetchall()
                samples = [(float(t), float(v)) for t, v in rows]
                out.append(Series(name, unit, _coarsen(samples, step) if step else samples))
        return out

    def sample_rows(self) -> int:
        """How many sample rows the log holds (all tiers)."""
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM history_samples").fetchone()[0])


def _coarsen(samples: list[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """The maximum of each ``step``-second bucket, at the bucket's start."""
    out: list[tuple[float, float]] = []
    for t, v in samples:
        start = t // step * step
        if out and out[-1][0] == start:
            if v > out[-1][1]:
                out[-1] = (start, v)
        else:
            out.append((start, v))
    return out
