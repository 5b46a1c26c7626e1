"""Event templates: a composed event kept under a name, to publish again later.

A template is one JSON file::

    {"name": "OrderPlaced", "description": "...", "type": "OrderPlaced",
     "source": "demo-shop/storefront", "subject": "ord-{{short_id}}", "key": "ord-{{short_id}}",
     "topic": "orders.placed", "mode": "binary", "headers": {"tenant": "eu"}, "data": {...}}

Only ``name`` and ``type`` are required. Correlation and causation ids are not part of a
template: they tie one event to one chain, and a template is meant to start many.

Two places hold templates: the ones shipped with the app (``resources/templates``, read
only) and the user's own (``<config dir>/templates``). A user template with the name of a
shipped one hides it. A file that cannot be read is skipped and reported in
:attr:`TemplateStore.problems`; it never stops the others from loading.

Placeholders in any string of ``data``, ``subject``, ``key`` and the header values are
filled in when an event is made (:meth:`EventTemplate.make_envelope`), so a burst of
``OrderPlaced`` carries distinct order ids:

``{{seq}}``       the event's number in its burst (1, 2, ...)
``{{uuid}}``      a fresh UUID, the same everywhere in one event
``{{short_id}}``  the first 8 hex digits of that UUID
``{{now}}``       the time the event is made, RFC 3339 UTC
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monitor.core.envelope import Envelope, format_time, now
from monitor.core.paths import config_dir
from monitor.core.resources import resource

Mode = Literal["binary", "structured"]
MODES: tuple[Mode, ...] = ("binary", "structured")
DEFAULT_SOURCE = "eventflow-monitor"

_FIELDS = ("name", "description", "type", "source", "subject", "key", "topic", "mode")
_PLACEHOLDER = re.compile(r"\{\{\s*(seq|uuid|short_id|now)\s*\}\}")


class TemplateError(Exception):
    """A template is invalid or cannot be read or written; the message says which and why."""


def user_templates_dir() -> Path:
    """Where the user's own templates are saved (follows ``EVENTFLOW_CONFIG_DIR``)."""
    return config_dir() / "templates"


def shipped_templates_dir() -> Path:
    return resource("templates")


@dataclass(slots=True)
class EventTemplate:
    name: str
    type: str
    source: str = DEFAULT_SOURCE
    subject: str | None = None
    key: str | None = None
    topic: str | None = None  # where it is usually published (a suggestion, not a rule)
    mode: Mode = "binary"  # CloudEvents mode when published to Kafka
    headers: dict[str, str] = field(default_factory=dict)
    data: Any = None
    description: str = ""
    shipped: bool = False  # read from resources/templates: cannot be overwritten in place

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not self.name.strip() or len(self.name) > 80:
            raise TemplateError("a template needs a name of 1 to 80 characters")
        if not self.type.strip():
            raise TemplateError(f"template {self.name!r}: the event type is required")
        if self.mode not in MODES:
            raise TemplateError(
                f"template {self.name!r}: mode must be binary or structured, not {self.mode!r}"
            )
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items()):
            raise TemplateError(f"template {self.name!r}: header names and values must be text")

    def to_dict(self) -> dict[str, Any]:
        """The file's content. Empty optional fields are left out."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out.update(type=self.type, source=self.source)
        for name in ("subject", "key", "topic"):
            value = getattr(self, name)
            if value:
                out[name] = value
        out["mode"] = self.mode
        if self.headers:
            out["headers"] = dict(self.headers)
        out["data"] = self.data
        return out

    @classmethod
    def from_dict(cls, d: Any, *, shipped: bool = False) -> EventTemplate:
        if not isinstance(d, dict):
            raise TemplateError("a template file holds one JSON object")
        unknown = set(d) - {*_FIELDS, "headers", "data"}
        if unknown:
            raise TemplateError(f"unknown template fields: {', '.join(sorted(unknown))}")
        for name in _FIELDS:
            if d.get(name) is not None and not isinstance(d[name], str):
                raise TemplateError(f"template field {name!r} must be text")
        headers = d.get("headers") or {}
        if not isinstance(headers, dict):
            raise TemplateError("template headers must be an object of name: value")
        return cls(
            name=d.get("name") or "",
            type=d.get("type") or "",
            source=d.get("source") or DEFAULT_SOURCE,
            subject=d.get("subject") or None,
            key=d.get("key") or None,
            topic=d.get("topic") or None,
            mode=d.get("mode") or "binary",
            headers=dict(headers),
            data=d.get("data"),
            description=d.get("description") or "",
            shipped=shipped,
        )

    def make_envelope(
        self,
        seq: int = 1,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        """A fresh event from this template, placeholders filled in.

        The correlation id defaults to the event's own id, so every event made without one
        starts a chain of its own (as ``eventflow kafka publish`` does).
        """
        fill = placeholder_filler(seq)
        event = Envelope(
            type=self.type,
            source=self.source,
            subject=fill(self.subject) if self.subject else None,
            key=fill(self.key) if self.key else None,
            data=fill_placeholders(self.data, fill),
            headers={k: fill(v) for k, v in self.headers.items()},
            causation_id=causation_id or None,
        )
        event.correlation_id = correlation_id or event.id
        return event


def placeholder_filler(seq: int) -> Callable[[str], str]:
    """A function that fills the placeholders of one event into a string."""
    event_uuid = str(uuid.uuid4())
    values = {
        "seq": str(seq),
        "uuid": event_uuid,
        "short_id": event_uuid.replace("-", "")[:8],
        "now": format_time(now()) or "",
    }

    def fill(text: str) -> str:
        if "{{" not in text:
            return text
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

    return fill


def fill_placeholders(value: Any, fill: Callable[[str], str]) -> Any:
    """``value`` (decoded JSON) with ``fill`` applied to every string in it, keys included."""
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, list):
        return [fill_placeholders(v, fill) for v in value]
    if isinstance(value, dict):
        return {fill(str(k)): fill_placeholders(v, fill) for k, v in value.items()}
    return value


def file_name(name: str) -> str:
    """The file a template of this name is saved in: ``Order placed!`` -> ``Order-placed.json``."""
    stem = re.sub(r"[^\w.-]+", "-", name.strip()).strip("-.") or "template"
    return stem[:80] + ".json"


class TemplateStore:
    """The shipped templates and the user's, by name."""

    def __init__(self, user_dir: Path | None = None, shipped_dir: Path | None = None) -> None:
        self.user_dir = user_dir if user_dir is not None else user_templates_dir()
        self.shipped_dir = shipped_dir if shipped_dir is not None else shipped_templates_dir()
        self.problems: list[str] = []  # files skipped by the last templates(), one sentence each

    def templates(self) -> list[EventTemplate]:
        """Every template, sorted by name; a user template hides a shipped one of that name."""
        self.problems = []
        found: dict[str, EventTemplate] = {}
        for folder, shipped in ((self.shipped_dir, True), (self.user_dir, False)):
            for template, _path in self._read_dir(folder, shipped=shipped):
                found[template.name] = template
        return sorted(found.values(), key=lambda t: t.name.lower())

    def get(self, name: str) -> EventTemplate:
        for template in self.templates():
            if template.name == name:
                return template
        raise TemplateError(f"there is no template named {name!r}")

    def save(self, template: EventTemplate) -> Path:
        """Write ``template`` into the user's folder (replacing one of the same name)."""
        template.validate()
        path = self.user_dir / file_name(template.name)
        try:
            self.user_dir.mkdir(parents=True, exist_ok=True)
            # The same name saved before under another file name (edited by hand): replace it.
            for existing, old in self._read_dir(self.user_dir, shipped=False, report=False):
                if existing.name == template.name and old != path:
                    old.unlink(missing_ok=True)
            tmp = path.with_suffix(".json.tmp")
            text = json.dumps(template.to_dict(), indent=2, ensure_ascii=False)
            tmp.write_text(text + "\n", encoding="utf-8")
            os.replace(tmp, path)  # atomic: a crash never leaves half a template
        except (OSError, TypeError, ValueError) as exc:
            raise TemplateError(f"template {template.name!r} could not be saved: {exc}") from exc
        return path

    def delete(self, name: str) -> None:
        """Delete a user template. Shipped ones cannot be deleted."""
        try:
            for existing, path in self._read_dir(self.user_dir, shipped=False, report=False):
                if existing.name == name:
                    path.unlink(missing_ok=True)
                    return
        except OSError as exc:
            raise TemplateError(f"template {name!r} could not be deleted: {exc}") from exc
        if any(t.name == name for t, _ in self._read_dir(self.shipped_dir, shipped=True)):
            raise TemplateError(f"template {name!r} ships with the app and cannot be deleted")
        raise TemplateError(f"there is no template named {name!r}")

    def _read_dir(
        self, folder: Path, *, shipped: bool, report: bool = True
    ) -> list[tuple[EventTemplate, Path]]:
        if not folder.is_dir():
            return []
        out: list[tuple[EventTemplate, Path]] = []
        for path in sorted(folder.glob("*.json")):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                template = EventTemplate.from_dict(raw, shipped=shipped)
            except (OSError, ValueError, TemplateError) as exc:
                if report:
                    self.problems.append(f"{path.name} was skipped: {exc}")
                continue
            out.append((template, path))
        return out
