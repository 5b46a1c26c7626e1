"""RateChart: one curve per topic, seconds ago on x, the second in progress left out."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.core.envelope import Envelope
from monitor.core.stats import LiveStats
from monitor.ui import theme
from monitor.ui.rate_chart import RateChart


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def events(topic: str, n: int) -> list[Envelope]:
    return [Envelope(type="T", source="s", topic=topic) for _ in range(n)]


@pytest.fixture
def chart(qtbot: Any) -> RateChart:
    widget = RateChart(window_seconds=120)
    qtbot.addWidget(widget)
    return widget


def test_one_curve_per_topic_with_rates_by_second(chart: RateChart) -> None:
    clock = Clock(1_000.0)
    stats = LiveStats(clock=clock)
    stats.observe(events("orders.placed", 5) + events("payments.failed", 1))
    clock.now = 1_001.5
    stats.observe(events("orders.placed", 7))
    clock.now = 1_002.2  # second 1002 is in progress: not drawn
    stats.observe(events("orders.placed", 3))

    chart.update(stats.snapshot(121))

    assert chart.topics() == ["orders.placed", "payments.failed"]
    x, y = chart.curve_data("orders.placed")
    # Oldest first in "seconds ago"; from one second before the topic's first event; the
    # 3 events of the second in progress are left out.
    assert list(x) == [3.0, 2.0, 1.0]
    assert list(y) == [0.0, 5.0, 7.0]
    _, failed = chart.curve_data("payments.failed")
    assert list(failed) == [0.0, 1.0, 0.0]
    assert chart.has_data()


def test_a_quiet_topic_is_a_flat_line_over_the_whole_window(chart: RateChart) -> None:
    clock = Clock(1_000.0)
    stats = LiveStats(clock=clock)
    stats.observe(events("quiet", 1))
    clock.now = 1_500.0  # long after its only event
    chart.update(stats.snapshot(121))
    x, y = chart.curve_data("quiet")
    assert len(x) == 120 and x[0] == 120 and x[-1] == 1
    assert not y.any()
    assert not chart.has_data()


def test_curves_have_distinct_colours_and_a_legend_entry(chart: RateChart) -> None:
    stats = LiveStats(clock=Clock(50.0))
    topics = [f"topic.{i}" for i in range(6)]
    for topic in topics:
        stats.observe(events(topic, 1))
    chart.update(stats.snapshot(121))
    colours = {chart._curves[t].opts["pen"].color().name() for t in topics}
    assert len(colours) == len(topics)
    legend_labels = [label.text for _sample, label in chart.getPlotItem().legend.items]
    assert legend_labels == topics


def test_no_events_yet_draws_nothing_and_reports_no_data(chart: RateChart) -> None:
    chart.update(LiveStats(clock=Clock(10.0)).snapshot(121))
    assert chart.topics() == []
    assert not chart.has_data()


def test_update_without_a_snapshot_is_still_a_repaint_request(chart: RateChart) -> None:
    chart.update()  # QWidget.update(): must not be mistaken for a feed
    chart.update(0, 0, 10, 10)
    assert chart.topics() == []


def test_feeding_again_replaces_the_data(chart: RateChart) -> None:
    clock = Clock(100.0)
    stats = LiveStats(clock=clock)
    stats.observe(events("a", 4))
    clock.now = 101.0
    chart.update(stats.snapshot(121))
    clock.now = 102.0
    chart.update(stats.snapshot(121))
    x, y = chart.curve_data("a")
    assert list(zip(x, y, strict=True)) == [(3.0, 0.0), (2.0, 4.0), (1.0, 0.0)]  # moved left


def test_a_topic_keeps_its_colour_across_runs_and_failures_are_red(qtbot: Any) -> None:
    def colours(order: list[str]) -> dict[str, str]:
        chart = RateChart()
        qtbot.addWidget(chart)
        stats = LiveStats(clock=Clock(50.0))
        for topic in order:
            stats.observe(events(topic, 1))
        chart.update(stats.snapshot(121))
        return {t: chart._curves[t].opts["pen"].color().name() for t in order}

    topics = ["orders.placed", "payments.authorized", "payments.failed", "shipping.shipped"]
    first = colours(topics)
    assert first == colours(list(reversed(topics)))  # whichever topic shows up first
    assert first["payments.failed"] == theme.FAILURE_SERIES_COLOUR
    assert theme.FAILURE_SERIES_COLOUR not in {first[t] for t in topics if "failed" not in t}
