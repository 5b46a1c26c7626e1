"""Alert rules fire on series built for the purpose, stay quiet otherwise, respect their
scope, profile and quiet period, and are stored with the history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from monitor.core.alert_log import AlertLog
from monitor.core.alerts import DEFAULT_RULES, AlertEngine, AlertRule, with_changes


def feed(
    engine: AlertEngine, series: Mapping[str, Sequence[float]], step: float = 5.0
) -> list[str]:
    """Feed equal-length series one sample at a time; the fired alerts' series names."""
    fired = []
    length = len(next(iter(series.values())))
    for i in range(length):
        values = {name: vs[i] for name, vs in series.items()}
        fired += [f"{a.rule}:{a.series}" for a in engine.observe(1000.0 + i * step, values)]
    return fired


def test_dead_letters_pending_above_the_threshold_fires_once_then_waits_its_quiet_period() -> None:
    rule = AlertRule("dl", "above", "dead_letters.pending", threshold=5, quiet_period=60)
    engine = AlertEngine([rule])
    # Above from the 3rd sample for 30 samples of 5 s: fires at once, then every 60 s.
    fired = feed(engine, {"dead_letters.pending": [0, 5, 6] + [9] * 29})
    assert fired == ["dl:dead_letters.pending"] * 3  # t = 10, 70, 130 in 150 s above
    assert feed(AlertEngine([rule]), {"dead_letters.pending": [0, 5, 5, 1]}) == []


def test_an_alert_says_its_value_and_what_to_open() -> None:
    engine = AlertEngine(list(DEFAULT_RULES))
    (alert,) = engine.observe(1.0, {"dead_letters.pending": 3})
    assert alert.rule == "dead-letters-pending" and alert.value == 3
    assert alert.message == "dead letters: 3 pending (above 0)"
    assert (alert.target_kind, alert.target) == ("dead_letters", None)
    (lag,) = engine.observe(2.0, {"group.billing.lag_seconds": 900.0})
    assert (lag.target_kind, lag.target) == ("group", "billing")
    assert lag.message == "group billing is 15 min behind (above 5 min)"


def test_rising_for_a_duration_fires_only_when_it_never_fell() -> None:
    rule = AlertRule("up", "rising", "dead_letters.pending", duration=30)
    rises = [1, 1, 2, 3, 3, 4, 5, 6, 7, 8]  # 45 s of never falling, rising overall
    assert feed(AlertEngine([rule]), {"dead_letters.pending": rises}) == ["up:dead_letters.pending"]
    dips = [1, 2, 3, 2, 3, 4, 3, 4, 5, 4]  # falls every few samples
    assert feed(AlertEngine([rule]), {"dead_letters.pending": dips}) == []
    flat = [4] * 10
    assert feed(AlertEngine([rule]), {"dead_letters.pending": flat}) == []


def test_a_topic_gone_quiet_after_being_busy_fires_and_one_always_quiet_does_not() -> None:
    rule = AlertRule("quiet", "quiet", "topic.*.rate", threshold=1.0, duration=30)
    busy_then_silent = [10.0] * 7 + [0.0] * 8
    always_quiet = [0.0] * 15
    trickle = [0.2] * 7 + [0.0] * 8  # below "busy"
    fired = feed(
        AlertEngine([rule]),
        {
            "topic.orders.rate": busy_then_silent,
            "topic.audit.rate": always_quiet,
            "topic.misc.rate": trickle,
        },
    )
    assert fired == ["quiet:topic.orders.rate"]


def test_malformed_share_fires_above_its_percentage_of_all_events() -> None:
    rule = AlertRule(
        "bad", "share_above", "events.malformed.rate", threshold=5, duration=20, of="events.rate"
    )
    ok = feed(AlertEngine([rule]), {"events.rate": [100.0] * 6, "events.malformed.rate": [2.0] * 6})
    assert ok == []
    bad = feed(
        AlertEngine([rule]),
        {"events.rate": [100.0] * 6, "events.malformed.rate": [2, 2, 30, 30, 30, 30]},
    )
    assert bad == ["bad:events.malformed.rate"]


def test_lag_rules_limited_to_a_group_or_a_profile() -> None:
    scoped = AlertRule("lag", "above", "group.*.lag", threshold=100, scope="billing*")
    fired = feed(
        AlertEngine([scoped]), {"group.billing-v2.lag": [500.0], "group.audit.lag": [500.0]}
    )
    assert fired == ["lag:group.billing-v2.lag"]
    prod = with_changes(scoped, scope=None, profile="prod")
    assert feed(AlertEngine([prod], profile="staging"), {"group.a.lag": [500.0]}) == []
    assert feed(AlertEngine([prod], profile="prod"), {"group.a.lag": [500.0]}) == [
        "lag:group.a.lag"
    ]
    off = with_changes(prod, enabled=False)
    assert feed(AlertEngine([off], profile="prod"), {"group.a.lag": [500.0]}) == []


def test_alerts_and_edited_rules_are_stored_and_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    engine = AlertEngine(list(DEFAULT_RULES))
    alerts = engine.observe(100.0, {"dead_letters.pending": 2})
    with AlertLog(db) as log:
        log.add(alerts)
        assert alerts[0].id is not None
        log.save_rule(with_changes(DEFAULT_RULES[0], threshold=50))
    with AlertLog(db) as log:
        (stored,) = log.alerts()
        assert (stored.rule, stored.value, stored.acknowledged) == (
            "dead-letters-pending",
            2,
            False,
        )
        assert log.unacknowledged() == 1
        assert log.acknowledge([stored.id or 0], at=200.0) == 1
        assert log.alerts()[0].acknowledged and log.unacknowledged() == 0
        rules = log.rules()
        assert rules[0].threshold == 50 and len(rules) == len(DEFAULT_RULES)
        # A restarted engine remembers the alert: its quiet period goes on.
        again = AlertEngine(list(DEFAULT_RULES))
        again.remember(log.alerts())
        assert again.observe(160.0, {"dead_letters.pending": 3}) == []
        assert again.observe(800.0, {"dead_letters.pending": 3}) != []


def test_a_rule_spec_that_is_not_a_rule_is_refused_with_the_reason() -> None:
    try:
        AlertRule.from_json('{"name": "x", "kind": "sideways", "metric": "m"}')
    except ValueError as exc:
        assert "unknown alert kind 'sideways'" in str(exc)
    else:
        raise AssertionError("accepted")
    rule = DEFAULT_RULES[2]
    assert AlertRule.from_json(rule.to_json()) == rule


def test_alerts_older_than_the_history_are_forgotten(tmp_path: Path) -> None:
    with AlertLog(tmp_path / "log.db") as log:
        engine = AlertEngine([AlertRule("dl", "above", "dead_letters.pending", quiet_period=0)])
        log.add(engine.observe(100.0, {"dead_letters.pending": 1}))
        log.add(engine.observe(5000.0, {"dead_letters.pending": 1}))
        assert log.forget_before(1000.0) == 1
        assert [a.fired_at for a in log.alerts()] == [5000.0]
