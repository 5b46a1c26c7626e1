"""Writing events to JSON lines and CSV files: plain functions, no Qt, no dialogs.

The event stream's Export action asks for a file name and calls :func:`export_events`
(in a worker thread); tests call it directly with a temporary path.

- **JSON lines**: one :meth:`Envelope.to_dict` object per line, the same shape as the
  CLI's ``--json`` output (``raw`` in base64), so ``eventflow`` and scripts read it back.
- **CSV**: one row per event with the columns in :data:`CSV_COLUMNS`; headers, the
  payload and the schemas are JSON text in their cells, ``raw`` is base64. UTF-8 with a
  byte-order mark, so spreadsheet programs detect the encoding.

Events are written in the order given; the view passes them oldest first (log order).
"""

from __future__ import annotations

import base64
import csv
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from monitor.core.envelope import Envelope, format_time
from monitor.core.strict_json import OUTPUT_ERRORS, dumps_strict

Format = Literal["jsonl", "csv"]

CSV_COLUMNS = (
    "time",
    "id",
    "type",
    "source",
    "subject",
    "topic",
    "partition",
    "offset",
    "key",
    "correlation_id",
    "causation_id",
    "malformed",
    "error",
    "headers",
    "data",
    "raw",
    # What the value and the key were, and the schemas that decoded them (JSON): last,
    # so files read by column position before these were added read the same.
    "format",
    "schema",
    "key_format",
    "key_schema",
)


def format_for(path: str | os.PathLike[str], chosen_filter: str = "") -> Format:
    """The format a file dialog's answer asks for: the name's suffix first, then the
    filter the user picked; JSON lines when neither says."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    return "csv" if "csv" in chosen_filter.lower() else "jsonl"


def _json(value: Any) -> str:
    return dumps_strict(value, ensure_ascii=False, default=repr)


def csv_row(event: Envelope) -> list[str]:
    """One event as CSV cells, in the order of :data:`CSV_COLUMNS`."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    return [
        text(format_time(event.time)),
        event.id,
        event.type,
        event.source,
        text(event.subject),
        text(event.topic),
        text(event.partition),
        text(event.offset),
        text(event.key),
        text(event.correlation_id),
        text(event.causation_id),
        "true" if event.malformed else "false",
        text(event.error),
        _json(event.headers) if event.headers else "",
        _json(event.data) if event.data is not None else "",
        base64.b64encode(event.raw).decode("ascii") if event.raw is not None else "",
        text(event.format),
        _json(event.schema) if event.schema else "",
        text(event.key_format),
        _json(event.key_schema) if event.key_schema else "",
    ]


def write_jsonl(path: str | os.PathLike[str], events: Iterable[Envelope]) -> int:
    """Write ``events`` as JSON lines; returns how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8", errors=OUTPUT_ERRORS, newline="\n") as out:
        for event in events:
            out.write(_json(event.to_dict()))
            out.write("\n")
            count += 1
    return count


def write_csv(path: str | os.PathLike[str], events: Iterable[Envelope]) -> int:
    """Write ``events`` as CSV with a header row; returns how many were written."""
    count = 0
    with open(path, "w", encoding="utf-8-sig", errors=OUTPUT_ERRORS, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for event in events:
            writer.writerow(csv_row(event))
            count += 1
    return count


def export_events(path: str | os.PathLike[str], events: Iterable[Envelope], fmt: Format) -> int:
    """Write ``events`` to ``path`` in ``fmt``, in the order given; returns the count.

    The file is written next to its final name and moved into place at the end, so a
    failure (disk full, a bad value) never leaves half a file where the user asked for
    one. Raises ``OSError`` when the file cannot be written.
    """
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    write = write_csv if fmt == "csv" else write_jsonl
    try:
        count = write(partial, events)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


__all__ = ["CSV_COLUMNS", "Format", "csv_row", "export_events", "format_for", "write_csv"]
