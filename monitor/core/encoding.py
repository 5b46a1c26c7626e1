"""Envelopes -> Kafka records: the inverse of :mod:`monitor.core.decoding`, for publishing.

:func:`encode_binary` writes a CloudEvents binary-mode record (attributes as ``ce_*``
headers), :func:`encode_structured` a structured-mode one (one JSON object).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from monitor.core.envelope import JSON_CONTENT_TYPE, SPECVERSION, Envelope, format_time
from monitor.core.media import CAUSATION_EXT as _CAUSATION_EXT
from monitor.core.media import CE_ATTRS as _CE_ATTRS
from monitor.core.media import CORRELATION_EXT as _CORRELATION_EXT
from monitor.core.media import ID_EXTS as _ID_EXTS
from monitor.core.media import STRUCTURED_CONTENT_TYPE, is_json_media
from monitor.core.media import coerce_str as _coerce_str
from monitor.core.media import media_type as _media_type

_STRUCTURED_HEADER = STRUCTURED_CONTENT_TYPE + "; charset=UTF-8"


def _is_json_media(ctype: str | None) -> bool:
    return is_json_media(_media_type(ctype) if ctype else "")


def _dump(obj: Any) -> bytes:
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: JSON can escape them, UTF-8 cannot
        return json.dumps(obj, separators=(",", ":")).encode("ascii")


def _encode_data(env: Envelope) -> tuple[bytes, str | None]:
    """The value bytes and content type for ``env``'s data (or raw bytes when it has none)."""
    data, ctype = env.data, env.datacontenttype
    if data is None:
        return (env.raw or b""), ctype
    if isinstance(data, bytes | bytearray):
        return bytes(data), ctype or "application/octet-stream"
    if isinstance(data, str) and ctype and not _is_json_media(ctype):
        return data.encode("utf-8", "surrogatepass"), ctype
    return _dump(data), ctype if _is_json_media(ctype) else JSON_CONTENT_TYPE


def _hb(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


def _passthrough_headers(env: Envelope) -> list[tuple[str, bytes]]:
    return [
        (name, _hb(v))
        for name, v in env.headers.items()
        if not name.lower().startswith("ce_") and name.lower() != "content-type"
    ]


def encode_binary(env: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
    """``env`` as a CloudEvents binary-mode Kafka record: ``(value, headers)``.

    The value is the JSON-encoded data (text data as-is under a text/* content type,
    ``bytes`` data or ``raw`` as-is). Attributes, the correlation/causation ids and the
    extensions become ``ce_*`` headers; the envelope's other headers are passed through.
    Raises ``TypeError`` for data JSON cannot encode: publishing must not guess.
    """
    value, ctype = _encode_data(env)
    headers = [
        ("ce_specversion", _hb(env.specversion or SPECVERSION)),
        ("ce_id", _hb(env.id)),
        ("ce_type", _hb(env.type)),
        ("ce_source", _hb(env.source)),
    ]
    t = format_time(env.time)
    if t is not None:
        headers.append(("ce_time", _hb(t)))
    if env.subject:
        headers.append(("ce_subject", _hb(env.subject)))
    if ctype:
        headers.append(("content-type", _hb(ctype)))
    if env.correlation_id:
        headers.append((f"ce_{_CORRELATION_EXT}", _hb(env.correlation_id)))
    if env.causation_id:
        headers.append((f"ce_{_CAUSATION_EXT}", _hb(env.causation_id)))
    for name, v in env.extensions.items():
        lname = name.lower()
        if v is not None and lname not in _CE_ATTRS and lname not in _ID_EXTS:
            headers.append((f"ce_{lname}", _hb(_coerce_str(v) or "")))
    headers.extend(_passthrough_headers(env))
    return value, headers


def encode_structured(env: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
    """``env`` as a CloudEvents structured-mode Kafka record: ``(value, headers)``.

    The value is one JSON object: the attributes, ``correlationid``/``causationid`` and the
    extensions, and ``data`` (``data_base64`` for bytes data, or ``raw`` when there is no
    data). The header is ``content-type: application/cloudevents+json; charset=UTF-8`` plus
    the envelope's headers other than ``ce_*`` and ``content-type``.
    """
    obj: dict[str, Any] = {
        name: v
        for name, v in env.extensions.items()
        if name not in _CE_ATTRS and name not in _ID_EXTS
    }
    obj.update(
        specversion=env.specversion or SPECVERSION, id=env.id, type=env.type, source=env.source
    )
    t = format_time(env.time)
    if t is not None:
        obj["time"] = t
    if env.subject:
        obj["subject"] = env.subject
    if env.datacontenttype:
        obj["datacontenttype"] = env.datacontenttype
    if env.correlation_id:
        obj[_CORRELATION_EXT] = env.correlation_id
    if env.causation_id:
        obj[_CAUSATION_EXT] = env.causation_id
    binary = env.data if isinstance(env.data, bytes | bytearray) else None
    if binary is None and env.data is None:
        binary = env.raw
    if binary is not None:
        obj["data_base64"] = base64.b64encode(binary).decode("ascii")
    elif env.data is not None:
        obj["data"] = env.data
    return _dump(obj), [("content-type", _hb(_STRUCTURED_HEADER)), *_passthrough_headers(env)]
