"""``missing-field``: events lacking an id, a time, a source or a schema version."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import (
    Finding,
    ReviewContext,
    Severity,
    main_topic,
    percent,
)

FIELDS = {
    "id": "an id (duplicates cannot be recognised)",
    "time": "a time (order and latency cannot be judged)",
    "source": "a source (nobody knows who produced it)",
    "version": "a schema version (consumers cannot tell old shapes from new)",
}


class MissingField:
    name = "missing-field"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        for entry in context.catalog.types():
            shares = {f: entry.share_lacking(f) for f in FIELDS}
            lacking = {f: s for f, s in shares.items() if s > 0}
            if not lacking:
                continue
            what = "; ".join(f"{percent(s)} lack {FIELDS[f]}" for f, s in lacking.items())
            newest = entry.newest_example()
            yield Finding(
                self.name,
                "error" if "id" in lacking else self.severity,
                entry.type,
                main_topic(entry.topics),
                f"Events of {entry.type} are not self-describing: {what}. Set id, time, "
                "source and a schema version (a version field, a dataschema attribute or "
                "a registry schema) on every event.",
                {
                    "events_examined": entry.analysed,
                    "share_lacking": {f: round(s, 4) for f, s in lacking.items()},
                    "example_event_ids": [newest["id"]] if newest else [],
                },
            )
