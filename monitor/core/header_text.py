"""Header values as people read them, for the panes that show an event's headers.

Spring Kafka writes some of its headers as big-endian binary integers: the original
partition as 4 bytes, the original offset and timestamp as 8 (and its retry topics the
attempt count and timestamps the same way). The decoder keeps every header value as
UTF-8 text with the bytes that are not UTF-8 backslash-escaped (``\\xc8``), so such a
header arrives as NUL characters and escapes. :func:`readable_header` turns it back into
its number; every other header is left as it came.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from monitor.core.envelope import format_time

# Header name (lower case) -> the width in bytes Spring writes it with.
SPRING_BINARY_INTS: Mapping[str, int] = {
    "kafka_dlt-original-partition": 4,
    "kafka_dlt-original-offset": 8,
    "kafka_dlt-original-timestamp": 8,
    "retry_topic-attempts": 4,
    "retry_topic-backoff-timestamp": 8,
    "retry_topic-original-timestamp": 8,
}
_TIMESTAMPS = frozenset(name for name in SPRING_BINARY_INTS if name.endswith("timestamp"))

# What bytes.decode("utf-8", "backslashreplace") writes for a byte that is not UTF-8.
_ESCAPED_BYTE = re.compile(r"\\x([0-9a-f]{2})")
_DECIMAL = re.compile(r"-?\d+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def header_bytes(text: str) -> bytes:
    """The bytes a header value decoded with ``"backslashreplace"`` came from.

    ``\\xNN`` escapes become the byte NN, everything else its UTF-8 encoding. (A value
    that really contained a backslash followed by ``xNN`` reads back as that byte: the
    decoding cannot tell them apart, which matters only for binary values.)
    """
    out = bytearray()
    last = 0
    for match in _ESCAPED_BYTE.finditer(text):
        out += text[last : match.start()].encode("utf-8", "surrogatepass")
        out.append(int(match.group(1), 16))
        last = match.end()
    out += text[last:].encode("utf-8", "surrogatepass")
    return bytes(out)


def readable_header(name: str, value: str) -> str:
    """``value`` as it should be shown: Spring's binary integers as decimal numbers
    (timestamps, in milliseconds, followed by the UTC time they mean), anything else
    unchanged. A binary header of an unexpected width, or one some producer re-encoded
    as decimal text, is shown as it came."""
    width = SPRING_BINARY_INTS.get(name.lower())
    if width is None or _DECIMAL.fullmatch(value.strip()):
        return visible(value)
    raw = header_bytes(value)
    if len(raw) != width:
        return visible(value)
    number = int.from_bytes(raw, "big", signed=True)
    if name.lower() in _TIMESTAMPS:
        when = format_time(number / 1000)
        return f"{number} ({when})" if when else str(number)
    return str(number)


def record_header_pairs(
    headers: Sequence[tuple[str, bytes | None]],
) -> list[tuple[str, str | None]]:
    """A record's headers as they came, to show: every one in order (a name may come more
    than once), each value as :func:`readable_header` shows it, ``None`` for a null value
    (not the same as an empty one)."""
    return [
        (name, None if value is None else readable_header(name, _text(value)))
        for name, value in headers
    ]


def _text(value: bytes) -> str:
    return value.decode("utf-8", "backslashreplace")  # as the decoder keeps header values


def visible(value: str) -> str:
    """Control characters (a binary header's or key's NULs and other low bytes, C1 ones
    too) as ``\\xNN``, as the bytes that are not UTF-8 already are, instead of empty
    boxes or nothing; tabs and line ends stay (a table shows a text's first line)."""
    if not _CONTROL.search(value):
        return value
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def readable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Every header through :func:`readable_header`, in the same order."""
    return {name: readable_header(name, value) for name, value in headers.items()}


__all__ = [
    "SPRING_BINARY_INTS",
    "header_bytes",
    "readable_header",
    "readable_headers",
    "record_header_pairs",
    "visible",
]
