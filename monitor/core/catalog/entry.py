"""One event type in the catalog: where it flows, who makes and reads it, its versions,
its payload schema per version, and how that schema drifted.

An entry's state is bounded whatever the traffic: at most :data:`MAX_SHAPES` shapes per
version, :data:`MAX_NAMES` producers and topics, :data:`MAX_DRIFT` drift records.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from monitor.core.catalog.observed import ObservedEvent
from monitor.core.catalog.shapes import Shape, ShapeKey, json_schema, shape_changes
from monitor.core.envelope import format_time

MAX_SHAPES = 64
MAX_NAMES = 32
MAX_DRIFT = 200
MAX_DEAD_LETTER_TIMES = 500
RATE_WINDOW = 60  # seconds the rate is measured over

LACKING = ("id", "time", "source", "version", "correlation")


@dataclass(slots=True)
class VersionSchema:
    """The shapes one version of a type's payload came in."""

    shapes: dict[ShapeKey, Shape] = field(default_factory=dict)
    overflow: int = 0  # events whose shape was new once MAX_SHAPES were known
    last: Shape | None = None  # the shape of the latest event (drift compares to it)

    def to_dict(self) -> dict[str, Any]:
        return {
            "shapes": [s.to_dict() for s in self.shapes.values()],
            "overflow": self.overflow,
            "last": list(self.shapes).index(self.last.key) if self.last is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VersionSchema:
        shapes = [Shape.from_dict(s) for s in d.get("shapes", [])]
        out = cls({s.key: s for s in shapes}, int(d.get("overflow", 0)))
        last = d.get("last")
        if isinstance(last, int) and 0 <= last < len(shapes):
            out.last = shapes[last]
        return out


def _drift_from_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d.get(k) for k in ("at", "event_id", "change", "field", "from", "to", "version")}


@dataclass(slots=True)
class EventTypeEntry:
    """What the catalog knows of one event type (see the module docstring)."""

    type: str
    count: int = 0
    analysed: int = 0  # events looked at in full (all, or a sample of a fast stream)
    first_seen: float | None = None
    last_seen: float | None = None
    topics: dict[str, int] = field(default_factory=dict)
    producers: dict[str, int] = field(default_factory=dict)
    consumers: set[str] = field(default_factory=set)
    versions: dict[str, int] = field(default_factory=dict)
    schemas: dict[str, VersionSchema] = field(default_factory=dict)
    drift: list[dict[str, Any]] = field(default_factory=list)
    lacking: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LACKING, 0))
    named_schema: int = 0  # events with a registry schema or a dataschema
    reply_to: int = 0  # events carrying a reply-to header
    max_width: int = 0  # most top-level payload fields seen
    max_size: int = 0  # largest payload measured, in bytes of JSON
    sized: int = 0  # payloads measured (a sample: see Catalog)
    dead_letters: int = 0
    dead_letter_times: deque[float] = field(
        default_factory=lambda: deque(maxlen=MAX_DEAD_LETTER_TIMES)
    )
    newest: ObservedEvent | None = None
    largest: ObservedEvent | None = None
    newest_dict: dict[str, Any] | None = None  # read back from the log, until a newer one
    largest_dict: dict[str, Any] | None = None
    recent: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=RATE_WINDOW))

    # -- what observing costs more than a count (called rarely) -----------------------

    def new_shape(self, version: str, key: ShapeKey, event: ObservedEvent) -> Shape | None:
        """Note a shape seen for the first time in ``version``; records its drift
        against the shape before it. ``None`` when the version knows too many shapes."""
        schema = self.schemas.get(version)
        if schema is None:
            schema = self.schemas[version] = VersionSchema()
        if len(schema.shapes) >= MAX_SHAPES:
            schema.overflow += 1
            return None
        shape = schema.shapes[key] = Shape.first(key, event.data)
        if schema.last is not None and len(self.drift) < MAX_DRIFT:
            for change, name, old, new in shape_changes(schema.last, shape):
                self.drift.append(
                    {
                        "at": event.time,
                        "event_id": event.id,
                        "change": change,
                        "field": name,
                        "from": old,
                        "to": new,
                        "version": version,
                    }
                )
        self.max_width = max(self.max_width, len(key[0]))
        return shape

    def add_name(self, names: dict[str, int], name: str) -> None:
        if name in names:
            names[name] += 1
        elif len(names) < MAX_NAMES:
            names[name] = 1

    def measure(self, event: ObservedEvent) -> None:
        """Measure one payload's size (a sample of events is measured: see Catalog)."""
        try:
            size = len(json.dumps(event.data, separators=(",", ":"), default=str))
        except (TypeError, ValueError):
            return
        self.sized += 1
        if size > self.max_size:
            self.max_size = size
            self.largest = event
            self.largest_dict = None

    def counted(self, second: int, n: int) -> None:
        if self.recent and self.recent[-1][0] == second:
            self.recent[-1] = (second, self.recent[-1][1] + n)
        else:
            self.recent.append((second, n))

    # -- reading ------------------------------------------------------------------------

    def rate(self, now: float, watching_since: float | None = None) -> float:
        """Events per second over the last :data:`RATE_WINDOW` seconds of observing, or
        since ``watching_since`` when that is less (a catalog watching for 20 s divides
        by 20, not 60); over the whole time span, for a type only read from the log."""
        if not self.recent:  # learnt from the log: the mean rate over its time span
            span = (self.last_seen or 0.0) - (self.first_seen or 0.0)
            return self.count / span if span > 0 else 0.0
        since = int(now) - RATE_WINDOW
        window: float = RATE_WINDOW
        if watching_since is not None:
            window = min(window, max(1.0, now - watching_since))
        return sum(n for s, n in self.recent if s > since) / window

    def shapes(self, version: str | None = None) -> list[Shape]:
        schemas = self.schemas.values() if version is None else [self.schemas[version]]
        return [s for schema in schemas for s in schema.shapes.values()]

    def shape_count(self) -> int:
        return sum(len(s.shapes) + (1 if s.overflow else 0) for s in self.schemas.values())

    def schema(self, version: str | None = None) -> dict[str, Any]:
        """The inferred JSON Schema: of one version, or of all of them together."""
        return json_schema(self.shapes(version))

    def newest_example(self) -> dict[str, Any] | None:
        if self.newest is not None:
            return self.newest.to_dict()
        return self.newest_dict

    def largest_example(self) -> dict[str, Any] | None:
        if self.largest is not None:
            return self.largest.to_dict()
        return self.largest_dict

    def share_lacking(self, what: str) -> float:
        return self.lacking.get(what, 0) / self.analysed if self.analysed else 0.0

    def summary(self, now: float, watching_since: float | None = None) -> dict[str, Any]:
        """The entry in the shape of ``eventflow catalog --json``."""
        return {
            "type": self.type,
            "topics": sorted(self.topics),
            "producers": sorted(self.producers),
            "consumers": sorted(self.consumers),
            "count": self.count,
            "rate": round(self.rate(now, watching_since), 3),
            "first_seen": format_time(self.first_seen),
            "last_seen": format_time(self.last_seen),
            "versions": [
                {"version": v or None, "count": n, "schema": self.schema(v)}
                for v, n in sorted(self.versions.items())
            ],
            "schema": self.schema(),
            "drift": [{**d, "at": format_time(d["at"])} for d in self.drift],
            "examples": {"newest": self.newest_example(), "largest": self.largest_example()},
            "lacking": dict(self.lacking),
            "max_fields": self.max_width,
            "max_payload_bytes": self.max_size,
            "dead_letters": self.dead_letters,
        }

    # -- persistence ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "count": self.count,
            "analysed": self.analysed,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "topics": self.topics,
            "producers": self.producers,
            "consumers": sorted(self.consumers),
            "versions": self.versions,
            "schemas": {v: s.to_dict() for v, s in self.schemas.items()},
            "drift": self.drift,
            "lacking": self.lacking,
            "named_schema": self.named_schema,
            "reply_to": self.reply_to,
            "max_width": self.max_width,
            "max_size": self.max_size,
            "sized": self.sized,
            "dead_letters": self.dead_letters,
            "dead_letter_times": list(self.dead_letter_times),
            "newest": self.newest_example(),
            "largest": self.largest_example(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EventTypeEntry:
        entry = cls(str(d["type"]))
        entry.count = int(d.get("count", 0))
        entry.analysed = int(d.get("analysed", entry.count))
        entry.first_seen = d.get("first_seen")
        entry.last_seen = d.get("last_seen")
        entry.topics = {str(k): int(v) for k, v in (d.get("topics") or {}).items()}
        entry.producers = {str(k): int(v) for k, v in (d.get("producers") or {}).items()}
        entry.consumers = set(d.get("consumers") or ())
        entry.versions = {str(k): int(v) for k, v in (d.get("versions") or {}).items()}
        entry.schemas = {
            str(v): VersionSchema.from_dict(s) for v, s in (d.get("schemas") or {}).items()
        }
        entry.drift = [_drift_from_dict(x) for x in d.get("drift") or []][:MAX_DRIFT]
        entry.lacking.update({k: int(v) for k, v in (d.get("lacking") or {}).items()})
        for name in ("named_schema", "reply_to", "max_width", "max_size", "sized"):
            setattr(entry, name, int(d.get(name, 0)))
        entry.dead_letters = int(d.get("dead_letters", 0))
        entry.dead_letter_times.extend(float(t) for t in d.get("dead_letter_times") or [])
        entry.newest_dict = d.get("newest")
        entry.largest_dict = d.get("largest")
        return entry
