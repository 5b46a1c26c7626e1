"""Benchmark: building the event catalog of a 1,000,000-event log from scratch.

Writes a log of ``N`` events (the demo shop's four-step chains, with a dataschema, a key
and a correlation id each, about 250 bytes of payload) into a temporary file, then times
:func:`~monitor.core.catalog.store.build_catalog` on it: every event read back, learnt
and the catalog stored. Target: under 10 s.

Run it as a script: ``.venv/bin/python tests/benchmarks/bench_catalog.py [N]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script (./dev bench): make the repo importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.cli import tune_garbage_collector
from monitor.core.catalog.store import build_catalog
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog

QUICK = "--quick" in sys.argv[1:]  # ./dev bench --quick: small, to check it runs
N = 1_000_000
TARGET_S = 10.0
STEPS = (
    ("OrderPlaced", "orders.placed", "storefront"),
    ("PaymentAuthorized", "payments.authorized", "payments"),
    ("InventoryReserved", "inventory.reserved", "warehouse"),
    ("OrderShipped", "shipping.shipped", "shipping"),
)


def write_log(path: str, n: int) -> None:
    t0 = time.time() - 86_400
    with EventLog(path) as log:
        batch: list[Envelope] = []
        for i in range(n):
            order, step = divmod(i, len(STEPS))
            type_, topic, service = STEPS[step]
            order_id = f"ord-{order:07d}"
            batch.append(
                Envelope(
                    type=type_,
                    source=f"demo-shop/{service}",
                    time=t0 + i * 0.001,
                    topic=topic,
                    key=order_id,
                    subject=order_id,
                    correlation_id=f"chain-{order}",
                    data={
                        "orderId": order_id,
                        "customerId": f"c-{order % 1000}",
                        "items": [{"sku": "SKU-100", "name": "Espresso beans", "qty": 2}],
                        "total": 49.8,
                        "currency": "EUR",
                        "note": "leave at the door" * (step + 1),
                    },
                    extensions={"dataschema": f"urn:demo:{type_}:1"},
                )
            )
            if len(batch) == 20_000:
                log.append(batch)
                batch = []
        if batch:
            log.append(batch)


def main() -> int:
    n = 20_000 if QUICK else int(sys.argv[1]) if len(sys.argv) > 1 else N
    tune_garbage_collector()  # as the eventflow command does at start-up
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/log.db"
        t = time.perf_counter()
        write_log(path, n)
        print(f"wrote {n:,} events in {time.perf_counter() - t:.1f} s")
        t, cpu = time.perf_counter(), time.process_time()
        catalog = build_catalog(path)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    counted = sum(e.count for e in catalog.entries.values())
    if counted != n:
        raise RuntimeError(f"the catalog counted {counted:,} of {n:,} events")
    ok = elapsed < TARGET_S * n / N
    print(
        f"built the catalog of {n:,} events from scratch in {elapsed:.2f} s "
        f"(CPU {cpu:.2f} s, {n / elapsed:,.0f} events/s); target < {TARGET_S * n / N:g} s: "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok or QUICK else 1


if __name__ == "__main__":
    sys.exit(main())
