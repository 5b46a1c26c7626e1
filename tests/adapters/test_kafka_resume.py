"""Where a tail reads on after the fetch said its position is out of range, and the gap
marker it logs there. (The test broker never answers out-of-range, so the decision is
tested here on its own; the look for the last record read is tested against the broker
in test_kafka_tail.py, by a broker restart.)"""

from __future__ import annotations

from adapters.kafka.resume import Resume, after_out_of_range
from monitor.core.gaps import GAP_TYPE, describe_gap, gap_marker, is_gap_marker


def test_records_deleted_before_they_were_read_are_counted_and_skipped() -> None:
    resume = after_out_of_range(position=50, begin=170, end=400)
    assert resume is not None
    assert (resume.offset, resume.lost) == (170, 120)
    assert "retention" in resume.reason


def test_a_partition_now_ending_before_the_position_is_read_from_its_beginning() -> None:
    resume = after_out_of_range(position=500, begin=0, end=3)
    assert resume is not None
    assert (resume.offset, resume.lost) == (0, None)  # what the old partition got is unknown
    assert "recreated or truncated" in resume.reason


def test_answers_that_contain_the_position_decide_nothing() -> None:
    # The fetch said out of range, the offsets asked afterwards say it is there: the
    # fetch is asked again rather than anything re-read or skipped.
    assert after_out_of_range(position=167, begin=0, end=400) is None
    assert after_out_of_range(position=0, begin=0, end=0) is None


def test_a_gap_marker_says_where_and_how_many() -> None:
    resume = Resume(170, 120, "the broker deleted them (retention) before the tail read them.")
    marker = gap_marker(
        "orders", 2, from_offset=50, resumed_at=resume.offset, lost=resume.lost,
        reason=resume.reason,
    )  # fmt: skip
    assert is_gap_marker(marker) and marker.type == GAP_TYPE
    assert (marker.topic, marker.partition, marker.offset) == ("orders", 2, None)
    assert describe_gap(marker) == (
        "orders[2]: 120 records lost (offsets 50-169); the broker deleted them (retention)"
        " before the tail read them. Read on from offset 170."
    )
    unknown = gap_marker("orders", 0, from_offset=5, resumed_at=0, lost=None, reason="x.")
    assert describe_gap(unknown).startswith(
        "orders[0]: an unknown number of records lost from offset 5 on"
    )
