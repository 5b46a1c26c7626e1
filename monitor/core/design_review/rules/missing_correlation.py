"""``missing-correlation``: a share of events that belong to no chain (no correlation id
and no causation id)."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import (
    Finding,
    ReviewContext,
    Severity,
    main_topic,
    percent,
)


class MissingCorrelation:
    name = "missing-correlation"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        limit = context.thresholds.correlation_share
        for entry in context.catalog.types():
            share = entry.share_lacking("correlation")
            if share <= limit:
                continue
            newest = entry.newest_example()
            yield Finding(
                self.name,
                self.severity,
                entry.type,
                main_topic(entry.topics),
                f"{percent(share)} of {entry.type} events belong to no chain (no correlation "
                "or causation id): what led to them, and what they caused, cannot be traced. "
                "Give the first event of a flow a correlation id and copy it, with the "
                "causing event's id, onto every event that follows.",
                {
                    "share_without_chain": round(share, 4),
                    "events_examined": entry.analysed,
                    "example_event_ids": [newest["id"]] if newest else [],
                },
            )
