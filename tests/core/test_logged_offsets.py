"""What a tail read again into a log leaves out of it: the records the log holds, known by
topic, partition and offset, as runs of consecutive offsets read from the real log."""

from __future__ import annotations

from pathlib import Path

from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.logged_offsets import LoggedOffsets
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import IngestPipeline


def record(topic: str | None, partition: int | None, offset: int | None) -> Envelope:
    return Envelope(type="T", source="s", topic=topic, partition=partition, offset=offset)


def test_runs_of_logged_offsets_leave_out_what_the_log_holds_and_nothing_else(
    tmp_path: Path,
) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.append(
            [record("orders", 0, o) for o in (0, 1, 2, 3, 4, 10, 11, 12, 2)]  # 2 twice
            + [record("orders", 1, o) for o in (7, 8)]
            + [record("orders.placed", None, None)]  # from the embedded bus: no offset
        )
        runs = log.kafka_offset_runs()
    assert runs == [("orders", 0, 0, 4), ("orders", 0, 10, 12), ("orders", 1, 7, 8)]
    held = LoggedOffsets(runs)
    batch = [record("orders", 0, o) for o in (3, 5, 9, 11, 13)] + [
        record("orders", 1, 6),
        record("orders", 1, 8),
        record("orders", 2, 0),  # a partition the log has nothing of
        record("orders.placed", None, None),
    ]
    kept = held(batch)
    assert [(e.partition, e.offset) for e in kept] == [
        (0, 5), (0, 9), (0, 13), (1, 6), (2, 0), (None, None),
    ]  # fmt: skip
    assert held.skipped == 3


def test_the_pipeline_logs_only_what_its_log_filter_keeps_and_counts_everything(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    with EventLog(path) as log:
        log.append([record("orders", 0, o) for o in range(2)])
        held = LoggedOffsets(log.kafka_offset_runs())
    writer = LogWriter(str(path))
    try:
        pipeline = IngestPipeline(writer=writer)
        pipeline.log_filter = held
        pipeline.accept_many([record("orders", 0, o) for o in range(4)])
        pipeline.flush()
        pipeline.accept_many([record("orders", 0, 1)])  # a batch wholly in the log
        pipeline.flush()
        assert writer.flush(timeout=10)
    finally:
        writer.close()
    with EventLog(path) as log:
        assert sorted(e.offset for e in log.events()) == [0, 1, 2, 3]  # each once
    assert pipeline.stats.total == 5 and held.skipped == 3  # read and counted, all of them
