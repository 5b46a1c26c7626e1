"""Topics are matched one way everywhere: the window's filter, its log search, and
``eventflow events --topic`` (the exact name, or a shell-style glob as ``kafka tail``
takes)."""

from __future__ import annotations

import pytest

from adapters.kafka.tail import matches_any
from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter, topic_matches
from monitor.core.eventlog import EventLog

TOPICS = ["orders", "orders.placed", "orders.shipped", "Orders.placed", "payments.failed"]


@pytest.fixture
def log() -> EventLog:
    event_log = EventLog(":memory:")
    event_log.append(Envelope(type="T", source="s", topic=t, id=t) for t in TOPICS)
    return event_log


def test_a_topic_name_matches_only_itself_not_the_topics_that_contain_it() -> None:
    shown = [t for t in TOPICS if EventFilter(topic="orders").matches(_event(t))]
    assert shown == ["orders"]  # not orders.placed, as the window used to show
    assert EventFilter(topic="orders").describe() == 'topic is "orders"'


def test_case_counts_as_in_kafka_topic_names() -> None:
    assert [t for t in TOPICS if topic_matches(t, "orders.placed")] == ["orders.placed"]


@pytest.mark.parametrize(
    "selection",
    ["orders", "orders.placed", "orders.*", "*.placed", "orders.[!p]*", "orders.?laced", "nope"],
)
def test_the_window_the_log_search_the_events_command_and_the_tail_agree(
    log: EventLog, selection: str
) -> None:
    live = sorted(t for t in TOPICS if EventFilter(topic=selection).matches(_event(t)))
    searched = sorted(e.topic or "" for e in log.search(EventFilter(topic=selection)).events)
    listed = sorted(e.topic or "" for e in log.events(topic=selection))
    tailed = sorted(t for t in TOPICS if matches_any(t, [selection]))
    assert live == searched == listed == tailed


def test_a_glob_is_described_as_one() -> None:
    assert EventFilter(topic="orders.*").describe() == 'topic matches "orders.*"'


def _event(topic: str) -> Envelope:
    return Envelope(type="T", source="s", topic=topic)
