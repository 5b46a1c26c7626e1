"""``tight-coupling``: dead letters of a type rising right after its payload schema
drifted: consumers break on a change of the contract."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity, main_topic


class TightCoupling:
    name = "tight-coupling"
    severity: Severity = "error"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        t = context.thresholds
        window = t.coupling_window
        for entry in context.catalog.types():
            if not entry.drift or not entry.dead_letter_times:
                continue
            letters = list(entry.dead_letter_times)
            seen: set[float] = set()
            for drift in entry.drift:
                at = drift.get("at")
                if at is None or at in seen:
                    continue
                seen.add(at)
                before = sum(1 for x in letters if at - window <= x < at)
                after = sum(1 for x in letters if at <= x < at + window)
                if after < t.coupling_min_dead_letters or after <= 2 * before:
                    continue
                changes = [f"{d['change']} {d['field']}" for d in entry.drift if d.get("at") == at]
                yield Finding(
                    self.name,
                    self.severity,
                    entry.type,
                    main_topic(entry.topics),
                    f"Dead letters of {entry.type} rose from {before} to {after} in the "
                    f"{window / 60:g} minutes after its payload changed ({', '.join(changes)}):"
                    " its consumers depend on the exact shape of the contract. Evolve the "
                    "schema compatibly (add optional fields, never change a type), version "
                    "breaking changes, and make consumers tolerant of fields they do not know.",
                    {
                        "changed_at": at,
                        "changes": changes,
                        "dead_letters_before": before,
                        "dead_letters_after": after,
                        "example_event_ids": [str(drift["event_id"])],
                    },
                )
