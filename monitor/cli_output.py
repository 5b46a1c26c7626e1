"""How the command line writes what it reads: JSON in one form for every command, valid for
strict readers (jq, JSON.parse) whatever the logged events hold (see
:mod:`monitor.core.strict_json`), and one readable line per record for a tail."""

from __future__ import annotations

import sys
from typing import Any

from monitor.core.envelope import Envelope, format_time
from monitor.core.strict_json import OUTPUT_ERRORS, dumps_strict

PAYLOAD_CHARS = 100  # of a record's payload on its line: the start says what it is
KEY_CHARS = 40


def use_safe_output_errors() -> None:
    """Write what UTF-8 cannot hold (a lone surrogate from a payload's "\\ud800") as its
    escape rather than fail the whole listing on it."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent on a replaced stream
        if reconfigure is not None:
            reconfigure(errors=OUTPUT_ERRORS)


def print_json(value: Any) -> None:
    """``value`` as indented JSON (``--json`` output)."""
    sys.stdout.write(json_text(value, indent=2))
    sys.stdout.write("\n")


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text, unknown types as their text. Non-ASCII is kept as it is on
    a UTF-8 stdout; on another (cp1252, Latin-1) it is escaped (\\u00e9), because the
    stream's escapes for what it cannot hold (\\U0001f600, \\xe9) are not JSON."""
    return dumps_strict(value, ensure_ascii=not _utf8(sys.stdout), indent=indent, default=str)


def _utf8(stream: Any) -> bool:
    return str(getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"


def record_line(event: Envelope) -> str:
    """One line for a tailed record, as kcat prints one:
    ``TIME  TOPIC[PARTITION]@OFFSET  KEY  TYPE  PAYLOAD``, the payload as compact JSON cut
    to :data:`PAYLOAD_CHARS` characters. A record that could not be decoded shows
    ``(malformed)`` for its type and the start of its raw bytes (``(binary)`` for bytes
    kept as they came); an undecoded one ``(undecoded)`` and why, which says what to do.
    A missing value is ``-``; nothing in the line can break it in two (control characters
    are shown as ``.``)."""
    where = f"{event.topic or '-'}[{_or_dash(event.partition)}]@{_or_dash(event.offset)}"
    limit = PAYLOAD_CHARS
    if event.undecoded and event.error:
        # Its bytes mean nothing to a reader until the schema comes; the reason does,
        # in full (its end says what to do).
        kind, payload, limit = "(undecoded)", event.error, len(event.error)
    elif event.malformed or event.undecoded or (event.data is None and event.raw):
        # Bytes with nothing decoded (binary, or waiting for a schema): their start.
        kind = "(malformed)" if event.malformed else f"({event.format})"
        raw = event.raw or b""
        payload = raw[: PAYLOAD_CHARS * 4].decode("utf-8", "replace") if raw else "-"
    else:
        kind = event.type or "-"
        if event.format == "tombstone":
            payload = "(tombstone)"  # no value: its key is deleted on a compacted topic
        else:
            payload = "-" if event.data is None else _compact_json(event.data)
    return "  ".join(
        (
            format_time(event.time) or "-",
            where,
            _cut(event.key, KEY_CHARS) if event.key is not None else "-",
            _printable(kind),
            _cut(payload, limit),
        )
    )


def _compact_json(value: Any) -> str:
    return dumps_strict(
        value, ensure_ascii=not _utf8(sys.stdout), separators=(",", ":"), default=str
    )


def _or_dash(value: int | None) -> str:
    return "-" if value is None else str(value)


def _cut(text: str, n: int) -> str:
    text = _printable(text)
    return text if len(text) <= n else text[: n - 3] + "..."


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "." for c in text)
