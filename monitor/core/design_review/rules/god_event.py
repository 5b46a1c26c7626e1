"""``god-event``: a type whose payloads are far larger or wider than an event needs."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity, main_topic


class GodEvent:
    name = "god-event"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        t = context.thresholds
        for entry in context.catalog.types():
            large = entry.max_size > t.god_event_bytes
            wide = entry.max_width > t.god_event_fields
            if not (large or wide):
                continue
            how = []
            if large:
                how.append(f"up to {entry.max_size:,} bytes (limit {t.god_event_bytes:,})")
            if wide:
                how.append(f"up to {entry.max_width} top-level fields (limit {t.god_event_fields})")
            largest = entry.largest_example()
            yield Finding(
                self.name,
                self.severity,
                entry.type,
                main_topic(entry.topics),
                f"{entry.type} carries {' and '.join(how)}: one event that tells everyone "
                "everything couples every consumer to every field and slows the stream. "
                "Split it into smaller events, each a fact one consumer needs, or send a "
                "reference to the large data instead of the data.",
                {
                    "max_payload_bytes": entry.max_size,
                    "max_fields": entry.max_width,
                    "payloads_measured": entry.sized,
                    "example_event_ids": [largest["id"]] if largest else [],
                },
            )
