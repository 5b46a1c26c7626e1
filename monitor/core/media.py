"""CloudEvents names and content-type helpers shared by the decoder and the encoders."""

from __future__ import annotations

import json
from typing import Any

from monitor.core.envelope import JSON_CONTENT_TYPE

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
REQUIRED = ("specversion", "id", "type", "source")
# Attributes with their own Envelope field; any other top-level key is an extension.
CE_ATTRS = frozenset({*REQUIRED, "time", "subject", "datacontenttype", "data", "data_base64"})
CORRELATION_EXT = "correlationid"
CAUSATION_EXT = "causationid"
ID_EXTS = frozenset({CORRELATION_EXT, CAUSATION_EXT})

_MEDIA_CACHE: dict[str, str] = {}


def media_type(ctype: str) -> str:
    """``"Application/JSON; charset=utf-8"`` -> ``"application/json"``, cached: a topic
    carries a handful of distinct content types, so the string work is done once each."""
    media = _MEDIA_CACHE.get(ctype)
    if media is None:
        if len(_MEDIA_CACHE) > 256:
            _MEDIA_CACHE.clear()
        media = _MEDIA_CACHE[ctype] = ctype.split(";", 1)[0].strip().lower()
    return media


def is_json_media(media: str) -> bool:
    """Whether a media type (lower case, no parameters; ``""`` for none) is JSON."""
    return media == JSON_CONTENT_TYPE or media.endswith("+json") or media == "text/json"


def coerce_str(v: Any) -> str | None:
    """An attribute value as text: empty and ``None`` -> ``None``, JSON for containers."""
    if type(v) is str:
        return v or None
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False, default=repr)
