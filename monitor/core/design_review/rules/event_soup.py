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
        groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for row in entities.soup:  # entities emitting the same soup make one finding
            if int(row["types_in_window"]) >= limit:
                groups.setdefault(tuple(row["types"]), []).append(row)
        for types_key, rows in groups.items():
            row = rows[0]
            n = len(types_key)
            types = list(types_key)
            others = [str(r["entity"]) for r in rows[1:]]
            topics = {
                t for name in types if name in context.catalog.entries
                for t in context.catalog.entries[name].topics
            }  # fmt: skip
            yield Finding(
                self.name,
                self.severity,
                types[0] if types else None,
                sorted(topics)[0] if len(topics) == 1 else None,
                f"Entity {row['entity']}"
                + (f" (and {len(others)} more)" if others else "")
                + f" emitted {n} distinct event types within "
                f"{entities.soup_window:g} s: fine-grained events that only make sense "
                "together leave every consumer to reassemble the state. Publish the few "
                "business facts consumers need (e.g. one ...Updated with the changed "
                "fields) instead.",
                {
                    "entity": row["entity"],
                    "other_entities": others,
                    "types_in_window": n,
                    "types": types,
                    "window_s": entities.soup_window,
                    "example_event_ids": [str(r["event_id"]) for r in rows[:5]],
                },
            )
