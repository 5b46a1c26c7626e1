"""Gap markers: what the log says where a source lost records it never saw.

A Kafka tail resumes each partition after the last record it handed on, so the log holds
every record once. When the broker no longer has what comes next (retention deleted it
before the tail read it, or the topic was recreated or truncated), the log must not look
whole: the tail logs one marker event in the partition's place saying how many records
were lost, when that is known, and reads on from where the partition now starts.

A marker is an ordinary :class:`Envelope` (so it shows in the stream, is searched and is
kept like any event) of type :data:`GAP_TYPE`; its ``data`` says where the gap is:
``{"topic", "partition", "from_offset", "resumed_at", "lost", "reason"}`` with ``lost``
null when the count is unknown.
"""

from __future__ import annotations

from monitor.core.envelope import Envelope

GAP_TYPE = "eventflow.gap"
GAP_SOURCE = "eventflow-monitor/kafka-tail"


def gap_marker(
    topic: str, partition: int, *, from_offset: int, resumed_at: int, lost: int | None, reason: str
) -> Envelope:
    """The marker for records of ``topic[partition]`` lost from ``from_offset`` on (the
    first offset the tail had not read); reading resumed at ``resumed_at``. ``lost`` is
    how many records were lost, or None when nobody can tell."""
    return Envelope(
        type=GAP_TYPE,
        source=GAP_SOURCE,
        subject=f"{topic}[{partition}]",
        topic=topic,
        partition=partition,
        data={
            "topic": topic,
            "partition": partition,
            "from_offset": from_offset,
            "resumed_at": resumed_at,
            "lost": lost,
            "reason": reason,
        },
    )


def is_gap_marker(event: Envelope) -> bool:
    return event.type == GAP_TYPE and event.source == GAP_SOURCE


def describe_gap(event: Envelope) -> str:
    """One sentence for a marker: ``orders[2]: 120 records lost (offsets 50-169): ...``."""
    d = event.data if isinstance(event.data, dict) else {}
    where = event.subject or "?"
    lost, start, resumed = d.get("lost"), d.get("from_offset"), d.get("resumed_at")
    if isinstance(lost, int) and isinstance(start, int) and lost > 0:
        count = f"{lost} record{'' if lost == 1 else 's'} lost (offsets {start}-{start + lost - 1})"
    else:
        count = f"an unknown number of records lost from offset {start} on"
    return f"{where}: {count}; {d.get('reason', '')} Read on from offset {resumed}."
