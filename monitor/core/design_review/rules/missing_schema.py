"""``missing-schema``: a type with no schema (no registry, no ``dataschema``) whose
payload shape varies between events."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity, main_topic


class MissingSchema:
    name = "missing-schema"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        for entry in context.catalog.types():
            shapes = entry.shape_count()
            if entry.named_schema or shapes < 2:
                continue
            changes = sorted({f"{d['change']} {d['field']}" for d in entry.drift})[:10]
            yield Finding(
                self.name,
                self.severity,
                entry.type,
                main_topic(entry.topics),
                f"{entry.type} has no schema, and its payload came in {shapes} shapes: "
                "consumers guess at the contract and break when it moves. Register a schema "
                "(a schema registry, or a dataschema attribute naming one) and evolve it "
                "compatibly.",
                {
                    "shapes": shapes,
                    "changes": changes,
                    "example_event_ids": sorted({str(d["event_id"]) for d in entry.drift})[:5],
                },
            )
