"""``synchronous-disguise``: request/reply pairs travelling as events (a reply-to header,
or ``...Requested`` answered by ``...Responded``/``...Replied`` on the same correlation
within a short time, again and again)."""

from __future__ import annotations

from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity, main_topic


class SynchronousDisguise:
    name = "synchronous-disguise"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        catalog = context.catalog
        requests = catalog.requests
        for type_, pairs in sorted(requests.answered.items(), key=lambda kv: -kv[1]):
            if pairs < context.thresholds.sync_pairs:
                continue
            entry = catalog.entries.get(type_)
            examples = [x for x in requests.examples if x["request"] == type_][:5]
            replies = sorted({str(x["reply"]) for x in examples})
            yield Finding(
                self.name,
                self.severity,
                type_,
                main_topic(entry.topics) if entry else None,
                f"{pairs} of {requests.requests.get(type_, pairs)} {type_} events were "
                f"answered by {' or '.join(replies) or 'a reply'} on the same correlation "
                f"within {requests.window:g} s: a synchronous call in disguise, with the "
                "coupling of a call and none of its error handling. Call the service "
                "directly, or publish a fact and let the other side act on its own.",
                {
                    "pairs": pairs,
                    "replies": replies,
                    "examples": examples,
                    "example_event_ids": [x["event_id"] for x in examples],
                },
            )
        for entry in catalog.types():
            if not entry.reply_to:
                continue
            newest = entry.newest_example()
            yield Finding(
                self.name,
                self.severity,
                entry.type,
                main_topic(entry.topics),
                f"{entry.reply_to} events of {entry.type} carry a reply-to header: the "
                "producer waits for an answer, a synchronous call over the event stream. "
                "Use a direct call for a question that needs an answer, and events for facts.",
                {
                    "with_reply_to": entry.reply_to,
                    "example_event_ids": [newest["id"]] if newest else [],
                },
            )
