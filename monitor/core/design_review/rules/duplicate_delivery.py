"""``duplicate-delivery``: the same event id delivered more than once, per topic, and
whether the handlers that saw the repeats were idempotent (the bus's processed marks)."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import (
    Finding,
    ReviewContext,
    Severity,
    main_topic,
    percent,
)


class DuplicateDelivery:
    name = "duplicate-delivery"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        catalog = context.catalog
        deliveries = catalog.deliveries
        catalog.refresh_consumers()
        for type_, n in sorted(deliveries.duplicates_by_type.items(), key=lambda kv: -kv[1]):
            entry = catalog.entries.get(type_)
            topic = main_topic(entry.topics) if entry else None
            ids = [x["event_id"] for x in deliveries.examples if x["type"] == type_][:10]
            consumers = sorted(entry.consumers) if entry else []
            delivered = deliveries.delivered.get(topic or "", 0)
            rate = (deliveries.duplicates.get(topic or "", 0) / delivered) if delivered else 0.0
            guarded: list[str] = []
            unguarded: list[str] = []
            if context.processed_by is not None and consumers and ids:
                marks = [context.processed_by(i) for i in ids]
                for name in consumers:
                    (guarded if any(name in m for m in marks) else unguarded).append(name)
            evidence = {
                "repeats": n,
                "topic_repeat_rate": round(rate, 4),
                "consumers": consumers,
                "idempotent_consumers": guarded,
                "consumers_without_processed_marks": unguarded,
                "example_event_ids": ids,
            }
            if consumers and guarded and not unguarded:
                continue  # repeats happen; every handler recognised them: good practice
            if unguarded:
                severity: Severity = self.severity
                who = (
                    f"{', '.join(unguarded)} show no processed marks for them, so a repeat "
                    "may run their side effects twice"
                )
            else:
                severity = "info"
                who = "whether their consumers recognise repeats is not known"
            yield Finding(
                self.name,
                severity,
                type_,
                topic,
                f"{n} events of {type_} were delivered more than once ({percent(rate)} of "
                f"{topic or 'its topic'}); {who}. Delivery is at least once: make each "
                "handler idempotent (remember processed event ids) rather than trusting "
                "the transport.",
                evidence,
            )
