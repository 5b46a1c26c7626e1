"""``out-of-order``: events of one key or subject arriving with their time or sequence
number going backwards, and dead letters that followed such an arrival."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity, main_topic


class OutOfOrder:
    name = "out-of-order"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        entities = context.catalog.entities
        for type_, n in sorted(entities.backwards.items(), key=lambda kv: -kv[1]):
            entry = context.catalog.entries.get(type_)
            examples = [x for x in entities.backwards_examples if x["type"] == type_][:5]
            followed = entities.followed_by_dead_letters.get(type_, 0)
            dead = f" {followed} dead letters followed such arrivals." if followed else ""
            yield Finding(
                self.name,
                "error" if followed else self.severity,
                type_,
                main_topic(entry.topics) if entry else None,
                f"{n} events of {type_} arrived after a later event of the same key or "
                f"subject (their time or sequence number went backwards).{dead} Handlers "
                "that assume order apply stale state: key the topic by entity so one "
                "partition keeps its order, and have handlers check a version or sequence "
                "number and ignore or park what is older.",
                {
                    "arrivals_backwards": n,
                    "dead_letters_after": followed,
                    "dead_letter_ids": entities.dead_letter_examples[:5] if followed else [],
                    "examples": examples,
                    "example_event_ids": [x["event_id"] for x in examples],
                },
            )
