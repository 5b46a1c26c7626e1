"""MessagePack and CBOR values, rendered as JSON-ready data."""

from __future__ import annotations

from typing import Any

from monitor.core.formats.render import json_ready

MSGPACK, CBOR = "msgpack", "cbor"
# Content types (lower case, no parameters) that name these formats.
MEDIA_FORMATS = {
    "application/msgpack": MSGPACK,
    "application/x-msgpack": MSGPACK,
    "application/vnd.msgpack": MSGPACK,
    "application/cbor": CBOR,
}


def decode_msgpack(value: bytes) -> Any:
    """Raises ValueError when ``value`` is not one whole MessagePack object."""
    import msgpack

    try:
        return json_ready(msgpack.unpackb(value, raw=False, strict_map_key=False))
    except (msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
        raise ValueError(f"not MessagePack: {exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not MessagePack: {exc}") from None


def decode_cbor(value: bytes) -> Any:
    """Raises ValueError when ``value`` is not one whole CBOR item."""
    import io

    import cbor2

    stream = io.BytesIO(value)
    try:
        data = cbor2.load(stream)
    except (cbor2.CBORDecodeError, EOFError, ValueError) as exc:
        raise ValueError(f"not CBOR: {exc}") from None
    if stream.tell() != len(value):
        raise ValueError(f"not CBOR: {len(value) - stream.tell()} bytes after the item")
    return json_ready(data)
