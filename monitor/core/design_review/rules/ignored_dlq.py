"""``ignored-dlq``: dead letters pending for longer than a threshold (24 h by default)
with nobody replaying or discarding them, or a dead-letter depth that kept rising for a
long time (10 letters or more over 6 h by default) with no replay or discard at all."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from monitor.core.design_review.finding import (
    Finding,
    PendingLetter,
    ReviewContext,
    Severity,
)


def _age(seconds: float) -> str:
    if seconds >= 86_400:
        return f"{seconds / 86_400:.1f} days"
    return f"{seconds / 3600:.1f} hours"


class IgnoredDlq:
    name = "ignored-dlq"
    severity: Severity = "error"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        yield from self._rising(context)
        letters = context.old_pending_letters
        if not letters:
            return
        limit = context.thresholds.dlq_max_age
        by_type: dict[str, list[PendingLetter]] = defaultdict(list)
        for letter in letters:
            if context.now - letter.created_at > limit:
                by_type[letter.event_type].append(letter)
        for type_, group in sorted(by_type.items(), key=lambda kv: -len(kv[1])):
            oldest = min(x.created_at for x in group)
            topics = sorted({x.topic for x in group if x.topic})
            yield Finding(
                self.name,
                self.severity,
                type_ or None,
                topics[0] if len(topics) == 1 else None,
                f"{len(group)} dead letter{'s' if len(group) > 1 else ''} of "
                f"{type_ or 'an unknown type'} pending for over {_age(limit)} "
                f"(the oldest {_age(context.now - oldest)}): "
                "a dead-letter queue nobody watches is data loss with a delay. Alert on its "
                "depth, then fix and replay or discard each letter (eventflow dlq).",
                {
                    "pending": len(group),
                    "oldest_age_s": round(context.now - oldest),
                    "dead_letter_ids": [x.id for x in group[:10]],
                },
            )

    def _rising(self, context: ReviewContext) -> Iterator[Finding]:
        if context.dead_letter_activity is None:
            return
        filed, first, acted = context.dead_letter_activity
        window = context.thresholds.dlq_rising_window
        # Spread over at least half the window: a burst a minute ago is not "a long time".
        if (
            filed < context.thresholds.dlq_rising_min
            or acted
            or first is None
            or context.now - first < window / 2
        ):
            return
        yield Finding(
            self.name,
            self.severity,
            None,
            None,
            f"The dead-letter depth rose by {filed} over the last {_age(window)} and nobody "
            "replayed or discarded a single letter: dead letters are piling up unwatched. "
            "Alert on the depth (eventflow alerts), then fix the cause and replay or discard "
            "them (eventflow dlq).",
            {"filed": filed, "window_s": round(window), "first_at": round(first, 3)},
        )
