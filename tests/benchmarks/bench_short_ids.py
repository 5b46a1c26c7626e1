"""Benchmark: a short id resolved to a whole one on a 1,000,000-event log.

Times :meth:`EventLog.resolve_chain_id` for a whole correlation id (the correlation
index), the first 8 characters of a correlation id and of an event id (one read of the
id columns), and a prefix found nowhere (the same read, the worst case), and
:meth:`EventLog.resolve_dead_letter_id` for a prefix (the primary key's index). Each is
the median of several runs. Also times the alternatives the scan was chosen over
(``substr`` and ``LIKE`` instead of a range test) to back the design note.

Run: ``.venv/bin/python tests/benchmarks/bench_short_ids.py [--db PATH] [--quick]``
(``--db`` keeps the built log at PATH and reuses it on the next run; ``--quick``: a
20,000-event log, to check it runs). The worst case is also given as a ratio against the
bare SQLite read it makes (the chosen range test), timed in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog, LogError
from tests.benchmarks.bench_eventlog import build_big_log

N_EVENTS = 1_000_000
QUICK_EVENTS = 20_000
RUNS = 5


def median_ms(fn: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        with contextlib.suppress(LogError):  # a prefix found nowhere is an error
            fn()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="build the log here, or reuse it if it exists")
    parser.add_argument("--quick", action="store_true", help="a small log: check it runs")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="eventflow-short-ids-") as tmp:
        path = args.db or Path(tmp) / "big.db"
        if not path.exists():
            build_big_log(path, QUICK_EVENTS if args.quick else N_EVENTS, random.Random(42), [])
        with EventLog(path) as log:
            if not log.dead_letters(limit=1):
                log.add_dead_letters(
                    DeadLetter(event=Envelope(type="T", source="s"), reason="r", original_topic="t")
                    for _ in range(10_000)
                )
            total = log.count_events()
            newest = log.events(limit=1)[0]
            chain, event_id = newest.chain_id, newest.id
            letter = log.dead_letters(limit=1)[0].id
            print(f"log: {total:,} events; median of {RUNS} runs")
            cases: list[tuple[str, Callable[[], object]]] = [
                ("chain, whole correlation id (index)", lambda: log.resolve_chain_id(chain)),
                (
                    "chain, 8 characters of a correlation id",
                    lambda: log.resolve_chain_id(chain[:8]),
                ),
                ("chain, 8 characters of an event id", lambda: log.resolve_chain_id(event_id[:8])),
                ("chain, a prefix found nowhere", lambda: log.resolve_chain_id("zzzzzzzz")),
                (
                    "dead letter, 8 characters (index)",
                    lambda: log.resolve_dead_letter_id(letter[:8]),
                ),
            ]
            timed = {}
            for label, fn in cases:
                timed[label] = median_ms(fn)
                print(f"  {label:<44} {timed[label]:8.1f} ms")
            with log._reading() as conn:
                alternatives = [
                    (
                        "range test (chosen)",
                        "(id >= ?1 AND id < ?2) OR (correlation_id >= ?1 AND correlation_id < ?2)",
                        ("zzzzzzzz", "zzzzzzzz\U0010ffff"),
                    ),
                    (
                        "substr",
                        "substr(id, 1, 8) = ?1 OR substr(correlation_id, 1, 8) = ?1",
                        ("zzzzzzzz",),
                    ),
                    ("LIKE", "id LIKE ?1 OR correlation_id LIKE ?1", ("zzzzzzzz%",)),
                ]
                print("  a full read with:")
                bare: dict[str, float] = {}
                for label, where, params in alternatives:
                    sql = f"SELECT DISTINCT coalesce(correlation_id, id) FROM events WHERE {where}"
                    bare[label] = median_ms(functools.partial(conn.execute, sql, params))
                    print(f"    {label:<42} {bare[label]:8.1f} ms")
            worst = timed["chain, a prefix found nowhere"]
            floor = bare["range test (chosen)"]
            print(
                f"a prefix found nowhere: {worst:.1f} ms = {worst / floor:.1f}x the bare SQLite"
                f" read it makes ({floor:.1f} ms, same run)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
