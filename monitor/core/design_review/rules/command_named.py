"""``command-named``: a type named as an order to do something (``SendEmail``) rather
than as a fact that happened (``EmailSent``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from monitor.core.design_review.finding import Finding, ReviewContext, Severity, main_topic

_IMPERATIVE_TEXT = """
accept add adjust allocate apply approve archive assign authorize book calculate cancel
capture change charge check close complete compute confirm create credit debit decline
delete deliver deny disable dispatch do enable execute fetch fulfil fulfill generate get
handle import issue load lock make mark merge move notify open pay place post process
publish purge put recalculate refund register reject release remove render request
reserve reset resend retry return run save schedule send set ship start stop submit sync
trigger unlock update upload validate verify void withdraw write
"""
# Verbs whose bare form starts (or, dotted, ends) a type named as a command.
IMPERATIVES = frozenset(_IMPERATIVE_TEXT.split())
IRREGULAR_PAST = {
    "send": "sent", "pay": "paid", "make": "made", "do": "done", "get": "got", "set": "set",
    "put": "put", "run": "run", "write": "written", "issue": "issued", "withdraw": "withdrawn",
    "begin": "begun", "build": "built", "sell": "sold", "buy": "bought", "hold": "held",
}  # fmt: skip
PAST_WORDS = frozenset(IRREGULAR_PAST.values()) | {"lost", "won", "found", "taken", "given"}
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def words(type_name: str) -> list[str]:
    """``SendEmail`` -> ``["send", "email"]``; ``com.shop.order.create`` -> the last
    segment's words (a namespace is not part of the name)."""
    last = re.split(r"[.:/]", type_name)[-1]
    return [w.lower() for w in _WORDS.findall(last)]


def is_past(word: str) -> bool:
    return (len(word) > 3 and word.endswith("ed")) or word in PAST_WORDS


def past_tense(verb: str) -> str:
    if verb in IRREGULAR_PAST:
        return IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and verb[-2:-1] not in tuple("aeiou"):
        return verb[:-1] + "ied"
    if verb in ("ship", "cancel", "stop", "plan", "submit", "lock", "drop"):
        return (
            verb + (verb[-1] if verb in ("ship", "stop", "plan", "submit", "drop") else "") + "ed"
        )
    return verb + "ed"


def command_verb(type_name: str) -> str | None:
    """The imperative verb a type's name starts (or, dotted, ends) with; ``None`` for a
    name that states a fact (any word in the past tense) or names no verb."""
    ws = words(type_name)
    if not ws or any(is_past(w) for w in ws):
        return None
    if ws[0] in IMPERATIVES:
        return ws[0]
    if len(ws) > 1 and ws[-1] in IMPERATIVES:
        return ws[-1]
    return None


def suggestion(type_name: str, verb: str) -> str:
    ws = words(type_name)
    rest = [w for w in ws if w != verb] or ["thing"]
    return "".join(w.capitalize() for w in rest) + past_tense(verb).capitalize()


class CommandNamed:
    name = "command-named"
    severity: Severity = "warning"

    def check(self, context: ReviewContext) -> Iterator[Finding]:
        for entry in context.catalog.types():
            verb = command_verb(entry.type)
            if verb is None:
                continue
            better = suggestion(entry.type, verb)
            newest = entry.newest_example()
            yield Finding(
                self.name,
                self.severity,
                entry.type,
                main_topic(entry.topics),
                f"{entry.type} is named as a command ('{verb}'), not as a fact: an event "
                f"says what happened, so consumers may react as they choose, while a command "
                f"binds one receiver to act. Name it in the past tense (e.g. {better}), or "
                "send it as a command to its one handler.",
                {
                    "events": entry.count,
                    "verb": verb,
                    "suggested_name": better,
                    "example_event_ids": [newest["id"]] if newest else [],
                },
            )
