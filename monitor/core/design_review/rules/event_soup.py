"""``event-soup``: one entity emitting many distinct fine-grained types in a short window."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity


class EventSoup:
    name = "event-soup"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        entities = context.catalog.entities
        limit = context.thresholds.soup_types
        for row in entities.soup:
            n = int(row["types_in_window"])
            if n < limit:
                continue
            types = list(row["types"])
            topics = {
                t for name in types if name in context.catalog.entries
                for t in context.catalog.entries[name].topics
            }  # fmt: skip
            yield Finding(
                self.name,
                self.severity,
                types[0] if types else None,
                sorted(topics)[0] if len(topics) == 1 else None,
                f"Entity {row['entity']} emitted {n} distinct event types within "
                f"{entities.soup_window:g} s: fine-grained events that only make sense "
                "together leave every consumer to reassemble the state. Publish the few "
                "business facts consumers need (e.g. one ...Updated with the changed "
                "fields) instead.",
                {
                    "entity": row["entity"],
                    "types_in_window": n,
                    "types": types,
                    "window_s": entities.soup_window,
                    "example_event_ids": [row["event_id"]],
                },
            )
