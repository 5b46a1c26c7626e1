"""How the command line writes JSON: one form for every command, valid for strict readers
(jq, JSON.parse) whatever the logged events hold (see :mod:`monitor.core.strict_json`)."""

from __future__ import annotations

import sys
from typing import Any

from monitor.core.strict_json import OUTPUT_ERRORS, dumps_strict


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
