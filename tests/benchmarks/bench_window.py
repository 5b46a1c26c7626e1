"""Benchmark: the window under a sustained flood of events.

Opens the real main window offscreen on an embedded runtime with the event log on, and
feeds the ingest pipeline (the path every source takes) with fresh demo-like events at a
target of 100,000 events/s (``BENCH_RATE`` changes it) for DURATION seconds. In the first
half the window draws as it does by itself (the table refreshes with each batch of new
rows); in the second half the visible table is also asked to repaint 25 times a second
(``update()``, which Qt coalesces; ``BENCH_FPS`` changes the 25: 60 shows how many frames
it can draw at most).
For each half it prints:

* the ingest rate reached (the source waits when the log writer falls behind, so this is
  the sustained rate with the log on). Target: the rate asked, 100,000 events/s.
* frames/s: the table's paints that really happened. Target: >= 20.
* event-loop latency: a task sleeps 10 ms over and over and records how late it wakes.
  Target: p99 < 50 ms.
* how busy the event-loop thread was (its CPU time over the wall time). A thread that is
  not busy yet falls short is waiting for the CPU, the interpreter lock or the writer.

The second half is the issue's test: all three targets at once. The ingest is also given
as a share of the same flood into the runtime with no window (``BARE_SECONDS`` first, in a
log of its own), measured in the same run. Also printed: how long
the source waited for the log writer, and memory: the resident set size every 10 s.
Bounded means it stops growing once the live buffers are full, while millions of events
go by.

Run: ``PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_window.py [SECONDS | --quick]``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qasync
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from adapters.kafka.session import WINDOW_TAIL_BATCH
from monitor.cli import tune_garbage_collector
from monitor.core.envelope import Envelope, new_event_id
from monitor.core.eventlog import DEFAULT_RETENTION, KEEP_ALL, Retention
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow, stop_runtime
from monitor.ui.theme import apply_theme

TARGET_RATE = float(os.environ.get("BENCH_RATE", "100000"))
# Events the source hands over at a time: as many as a window's Kafka tail decodes from
# one fetch, in one step of the event loop.
BATCH = int(os.environ.get("BENCH_BATCH", str(WINDOW_TAIL_BATCH)))
# Repaints asked of the table in the second half: 25 is just above the 20 frames/s target,
# to see whether the flood's rate, 20 frames/s and the latency hold together; 60 measures
# how many frames the window can draw at all (the flood slows down to make room).
ASKED_FPS = float(os.environ.get("BENCH_FPS", "25"))
QUICK = "--quick" in sys.argv[1:]  # ./dev bench --quick: 3 s, to check it runs
DURATION = 3.0 if QUICK else float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
# Seconds of the same flood with no window first, in a log of its own: the bare figure.
BARE_SECONDS = min(10.0, DURATION / 2)
STEPS = (
    ("OrderPlaced", "orders.placed"),
    ("PaymentAuthorized", "payments.authorized"),
    ("InventoryReserved", "inventory.reserved"),
    ("OrderShipped", "shipping.shipped"),
)


def rss_mb() -> tuple[float, float]:
    """Resident set size and its anonymous part (heap: what the app allocated; the rest
    is mapped files, such as pages of the log file a query read), in MB."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "RssAnon:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values.get("VmRSS", 0.0), values.get("RssAnon", 0.0)


def batch(n: int, first_order: int) -> list[Envelope]:
    events = []
    now = time.time()
    for i in range(n // len(STEPS)):
        correlation = new_event_id()
        parent = None
        order = f"ord-{first_order + i:08d}"
        for type_, topic in STEPS:
            e = Envelope(
                type=type_,
                source="bench",
                time=now,
                topic=topic,
                key=order,
                correlation_id=correlation,
                causation_id=parent,
                data={"orderId": order, "total": 42.5, "sku": "SKU-100"},
            )
            parent = e.id
            events.append(e)
    return events


async def flood(
    runtime: EmbeddedRuntime, stop_at: float, fed: list[int], held_back: list[float]
) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    orders = 0
    while loop.time() < stop_at:
        events = batch(BATCH, orders)
        orders += BATCH // len(STEPS)
        runtime.pipeline.accept_many(events)
        fed[0] += len(events)
        waiting = time.perf_counter()
        await runtime.pipeline.wait_for_room()  # the log writer's backpressure
        held_back[0] += time.perf_counter() - waiting
        delay = start + fed[0] / TARGET_RATE - loop.time()
        await asyncio.sleep(max(0.0, delay))  # yields to the UI even when behind


async def lateness(stop_at: float, samples: list[tuple[float, float]]) -> None:
    """(when, how many ms late) for each 10 ms sleep until ``stop_at``."""
    loop = asyncio.get_running_loop()
    while loop.time() < stop_at:
        t0 = loop.time()
        await asyncio.sleep(0.01)
        samples.append((time.perf_counter(), (loop.time() - t0 - 0.01) * 1000))


async def main() -> int:
    # The log grows by about 1 GB a minute: it goes when the run ends, however it ends.
    with tempfile.TemporaryDirectory(
        prefix="eventflow-bench-window-", ignore_cleanup_errors=True
    ) as folder:
        return await measure(Path(folder))


async def bare_ingest_rate(folder: Path, retention: Retention) -> float:
    """The flood's rate into the runtime (pipeline and log) with no window, for
    ``BARE_SECONDS``: what the window's figures are judged against."""
    runtime = EmbeddedRuntime(folder / "bare.db", demo_rate=None, retention=retention)
    await runtime.start()
    fed, held_back = [0], [0.0]
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    await flood(runtime, loop.time() + BARE_SECONDS, fed, held_back)
    elapsed = time.perf_counter() - began
    await stop_runtime(runtime)
    return fed[0] / elapsed


async def measure(folder: Path) -> int:
    # The app's retention, so a long run also measures the deletes that keep the log
    # bounded (BENCH_KEEP=N starts them sooner, BENCH_KEEP=all leaves them out).
    keep = os.environ.get("BENCH_KEEP")
    retention = DEFAULT_RETENTION
    if keep:
        retention = KEEP_ALL if keep == "all" else Retention(max_events=int(keep))
    bare = await bare_ingest_rate(folder, retention)
    runtime = EmbeddedRuntime(folder / "log.db", demo_rate=None, retention=retention)
    await runtime.start()
    window = MainWindow(runtime)
    window.show()
    window.show_view("stream")
    loop = asyncio.get_running_loop()
    frames: list[float] = []
    viewport = window.stream.live_table.viewport()

    class PaintCounter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                frames.append(time.perf_counter())
            return False

    counter = PaintCounter()
    viewport.installEventFilter(counter)
    timer = QTimer()
    timer.setInterval(round(1000 / ASKED_FPS))  # Qt draws what it can of these
    timer.timeout.connect(viewport.update)

    fed = [0]
    held_back = [0.0]  # seconds the flood waited for the log writer to catch up
    late: list[tuple[float, float]] = []
    start = loop.time()
    half = start + DURATION / 2
    stop_at = start + DURATION
    memory: list[tuple[float, int, float, float]] = []  # (seconds, events fed, RSS, anon)

    def sample_memory() -> None:
        memory.append((loop.time() - start, fed[0], *rss_mb()))
        if loop.time() < stop_at:
            loop.call_later(10.0, sample_memory)

    loop.call_later(10.0, sample_memory)
    at_half: list[int] = []

    cpu_marks: list[tuple[float, float]] = []  # (wall, main thread's CPU) at start, half, end
    # Full collections of the garbage collector (generation 2), and how long each held the
    # interpreter: what the loop's latency owes to a heap that holds a backlog.
    full_collections: list[float] = []
    collection_began = [0.0]

    def on_collection(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            collection_began[0] = time.perf_counter()
        else:
            full_collections.append((time.perf_counter() - collection_began[0]) * 1000)

    gc.callbacks.append(on_collection)

    def second_half() -> None:
        at_half.append(fed[0])
        cpu_marks.append((time.perf_counter(), time.thread_time()))
        timer.start()

    loop.call_at(half, second_half)
    began = time.perf_counter()
    cpu_marks.append((began, time.thread_time()))
    await asyncio.gather(flood(runtime, stop_at, fed, held_back), lateness(stop_at, late))
    elapsed = time.perf_counter() - began
    gc.callbacks.remove(on_collection)
    cpu_marks.append((time.perf_counter(), time.thread_time()))
    timer.stop()
    rss_end = rss_mb()[0]
    assert runtime.writer is not None
    # A writer that cannot write (a full disk) retries for ever: stop waiting after a minute.
    if not await asyncio.to_thread(runtime.writer.flush, 60.0):
        print(f"the log writer did not finish: {runtime.writer.last_error}", file=sys.stderr)
    written_at = time.perf_counter() - began
    await window.shutdown()
    window._runtime_stopped = True
    window.close()
    await stop_runtime(runtime)

    rate = fed[0] / elapsed
    middle = began + DURATION / 2
    print(
        f"window under load for {elapsed:.0f} s, event log on, offscreen "
        f"({fed[0]:,} events, all logged after {written_at:.0f} s, keeping "
        f"{retention.describe()}; "
        f"the source waited {held_back[0]:.1f} s for the log writer)"
    )
    print(
        f"  ingest over the whole run: {rate:,.0f} events/s = {rate / bare:.0%} of the same"
        f" flood with no window ({bare:,.0f} events/s for {BARE_SECONDS:g} s, same run: the"
        " runtime, pipeline and log alone)"
    )
    halves = (
        "first half, the window on its own",
        f"second half, table asked for {ASKED_FPS:g} frames/s",
    )
    busy = [
        (cpu1 - cpu0) / (wall1 - wall0) * 100
        for (wall0, cpu0), (wall1, cpu1) in itertools.pairwise(cpu_marks)
    ]
    for index, title in enumerate(halves):
        in_half = (lambda t: t < middle) if index == 0 else (lambda t: t >= middle)
        events = at_half[0] if index == 0 else fed[0] - at_half[0]
        ingest = events / (DURATION / 2)
        fps = sum(1 for t in frames if t >= began and in_half(t)) / (DURATION / 2)
        lates = sorted(ms for t, ms in late if in_half(t))
        p99 = lates[int(len(lates) * 0.99)] if lates else float("nan")
        median = statistics.median(lates) if lates else float("nan")
        met = [ingest >= TARGET_RATE * 0.98, fps >= 20, p99 < 50]
        print(f"  {title}:")
        print(f"    ingest            : {ingest:>9,.0f} events/s   target {TARGET_RATE:,.0f}")
        print(f"    frames drawn      : {fps:>9.1f} /s         target >= 20")
        print(f"    loop latency p99  : {p99:>9.1f} ms         target < 50 (median {median:.1f})")
        print(f"    main thread busy  : {busy[index]:>9.0f} %")
        print(f"    all three targets : {'met' if all(met) else 'NOT met'}")
    slices = []
    for start_s in range(0, int(DURATION), 10):
        lates = sorted(ms for t, ms in late if began + start_s <= t < began + start_s + 10)
        if lates:
            slices.append(f"{lates[int(len(lates) * 0.99)]:.0f}")
    print(f"  loop latency p99 per 10 s (ms): {' '.join(slices)}")
    longest = max(full_collections, default=0.0)
    print(
        f"  full garbage collections: {len(full_collections)}, the longest {longest:.0f} ms,"
        f" {sum(full_collections) / 1000:.1f} s in all"
    )
    early = memory[0][2] if memory else float("nan")
    print(f"  memory (RSS)            : {early:>9.0f} MB at 10 s, {rss_end:.0f} MB at the end")
    for seconds, events, rss, anon in memory:
        print(f"    {seconds:5.0f} s {events:>11,} events  RSS {rss:5.0f} MB, heap {anon:5.0f} MB")
    return 0


if __name__ == "__main__":
    tune_garbage_collector()  # as the eventflow command does at start-up
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    qloop = qasync.QEventLoop(app)
    asyncio.set_event_loop(qloop)
    with qloop:
        sys.exit(qloop.run_until_complete(main()))
