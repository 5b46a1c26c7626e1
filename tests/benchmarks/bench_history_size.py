"""Benchmark: the size of a week of history, written and rolled up as the app does it.

Drives the real :class:`~monitor.core.history_store.HistoryStore` through SIMULATED days
(default 7) on a simulated clock: a sample of SERIES series every 5 s (the default
interval) and a roll-up every minute, as :class:`~monitor.core.history_watch.
HistoryWatch` does. Prints the rows per tier and the log's size at the end of each day
(after a VACUUM, as the file would be once SQLite reused its free pages). Target: a week
under 50 MB.

Run: ``PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_history_size.py [DAYS] [SERIES]``.
"""

from __future__ import annotations

import math
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.core.history_store import HistoryStore

QUICK = "--quick" in sys.argv[1:]  # ./dev bench --quick: small, to check it runs
ARGS = [a for a in sys.argv[1:] if a != "--quick"]
DAYS = 0.5 if QUICK else float(ARGS[0]) if ARGS else 7.0
SERIES = int(ARGS[1]) if len(ARGS) > 1 else 20
INTERVAL = 5.0
ROLLUP_EVERY = 60.0
DAY = 86_400.0


def names(n: int) -> list[str]:
    """A demo's worth: topics' rates, dead letters, groups' lag in records and seconds."""
    fixed = ["dead_letters.pending", "events.rate", "events.malformed.rate"]
    out = fixed + [f"topic.shop.topic{i}.rate" for i in range(max(0, n - len(fixed)))]
    return out[:n]


def size_mb(path: Path) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    return float(pages * page) / 1e6


def tiers(path: Path) -> str:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT tier, count(*) FROM history_samples GROUP BY tier").fetchall()
    conn.close()
    return ", ".join(f"tier {t}: {n:,}" for t, n in rows)


def main() -> int:
    series = names(SERIES)
    with tempfile.TemporaryDirectory(prefix="eventflow-bench-history-size-") as folder:
        path = Path(folder) / "log.db"
        store = HistoryStore(path)
        start = 1_800_000_000.0
        t = start
        rolled = start
        began = time.perf_counter()
        day = 1
        while t < start + DAYS * DAY:
            k = (t - start) / INTERVAL
            store.write(t, {n: 10 + 5 * math.sin(k / 50 + i) for i, n in enumerate(series)})
            if t - rolled >= ROLLUP_EVERY:
                store.roll_up(t)
                rolled = t
            t += INTERVAL
            if t >= start + day * DAY:
                store.roll_up(t)
                print(
                    f"day {day}: {size_mb(path):6.1f} MB ({tiers(path)}), "
                    f"{time.perf_counter() - began:.0f} s so far",
                    flush=True,
                )
                day += 1
        store.close()
        final = size_mb(path)
    print(f"{DAYS:g} days of {SERIES} series every {INTERVAL:g} s: {final:.1f} MB (target < 50)")
    return 0 if QUICK or final < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
