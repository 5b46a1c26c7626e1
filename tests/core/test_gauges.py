from __future__ import annotations

from monitor.core.gauges import GaugeHistory


def test_gauges_keep_the_last_samples_of_each_series_in_order() -> None:
    now = [100.0]
    gauges = GaugeHistory(maxlen=3, clock=lambda: now[0])
    for value in range(5):
        now[0] += 1
        gauges.record("billing", value)
    gauges.record("orders.DLT", 7, at=50.0)
    assert gauges.series("billing") == [(103.0, 2.0), (104.0, 3.0), (105.0, 4.0)]
    assert gauges.latest() == {"billing": 4.0, "orders.DLT": 7.0}
    assert gauges.series("billing", since=104.0) == [(104.0, 3.0), (105.0, 4.0)]
    assert gauges.names() == ["billing", "orders.DLT"]
    assert gauges.snapshot(since=60.0) == {
        "billing": [(103.0, 2.0), (104.0, 3.0), (105.0, 4.0)],
        "orders.DLT": [],
    }
