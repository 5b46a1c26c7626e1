"""eventflow history, alerts list and watch, through the real entry point on real logs
and the test broker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path

from monitor.core.eventlog import EventLog
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic, produce
from tests.adapters.lagging_group import make_lagging_group
from tests.cli import entry_point

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def eventflow(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return entry_point.eventflow(ENV, *args, check=check)


def demo(db: Path, seconds: str = "2") -> None:
    eventflow("demo", "--headless", "--duration", seconds, "--rate", "100", "--seed", "7",
              "--db", str(db))  # fmt: skip


def test_the_demos_dead_letters_raise_the_default_alert_headless(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    demo(db, "4")  # long enough for dead letters on a busy machine too (2 s left none)
    with EventLog(db, create=False) as log:
        pending = log.count_dead_letters(status="pending")
    assert pending > 0  # the seeded demo leaves dead letters
    alerts = json.loads(eventflow("alerts", "list", "--json", "--db", str(db)).stdout)["alerts"]
    (alert,) = [a for a in alerts if a["rule"] == "dead-letters-pending"]
    assert alert["value"] == pending and alert["acknowledged"] is False
    assert alert["message"] == f"dead letters: {pending} pending (above 0)"
    assert alert["fired_at"].endswith("Z")
    text = eventflow("alerts", "list", "--db", str(db)).stdout
    assert "dead-letters-pending" in text and f"{pending} pending" in text


def test_history_json_has_the_issue_shape_and_ends_on_the_final_value(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    demo(db)
    out = json.loads(eventflow("history", "--json", "--db", str(db)).stdout)
    by_name = {s["name"]: s for s in out["series"]}
    assert {"dead_letters.pending", "events.rate", "topic.orders.placed.rate"} <= set(by_name)
    pending = by_name["dead_letters.pending"]
    assert pending["unit"] == "letters"
    with EventLog(db, create=False) as log:
        assert pending["samples"][-1][1] == log.count_dead_letters(status="pending")
    assert by_name["topic.orders.placed.rate"]["unit"] == "events/s"
    assert by_name["topic.orders.placed.rate"]["samples"][-1][1] > 0
    one = json.loads(eventflow("history", "--json", "--metric", "topic.*", "--db", str(db)).stdout)
    assert all(s["name"].startswith("topic.") for s in one["series"]) and one["series"]


def test_history_spans_a_restart_and_since_limits_it(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    demo(db, "1")
    first = json.loads(
        eventflow("history", "--json", "--metric", "events.rate", "--db", str(db)).stdout
    )
    demo(db, "1")
    both = json.loads(
        eventflow("history", "--json", "--metric", "events.rate", "--db", str(db)).stdout
    )
    before = first["series"][0]["samples"]
    after = both["series"][0]["samples"]
    assert after[: len(before)] == before and len(after) > len(before)
    recent = json.loads(eventflow("history", "--json", "--since", "1h", "--db", str(db)).stdout)
    assert recent["series"]
    old = json.loads(
        eventflow("history", "--json", "--since", "2020-01-01T00:00:00Z", "--db", str(db)).stdout
    )
    assert len(old["series"][0]["samples"]) >= 1
    # A time with no samples since says so, not nothing at all.
    future = eventflow("history", "--since", "2099-01-01T00:00:00Z", "--db", str(db)).stdout
    assert future.startswith("No history samples since 2099-01-01") and "--since" in future
    # A name that matches nothing is told what the log has.
    told = eventflow("history", "--metric", "nope", "--db", str(db)).stdout
    assert told.startswith("No history matching nope") and "events.rate" in told


def test_history_refuses_a_bad_since_and_a_missing_log(tmp_path: Path) -> None:
    proc = eventflow(
        "history", "--since", "yesterday-ish", "--db", str(tmp_path / "x.db"), check=False
    )
    assert proc.returncode == 2 and "is not a time" in proc.stderr
    proc = eventflow("history", "--db", str(tmp_path / "none.db"), check=False)
    assert proc.returncode == 1 and "There is no event log" in proc.stderr
    assert not (tmp_path / "none.db").exists()
    proc = eventflow("alerts", "list", "--db", str(tmp_path / "none.db"), check=False)
    assert proc.returncode == 1 and not (tmp_path / "none.db").exists()


def test_watch_exits_3_at_a_group_far_behind_in_time(tmp_path: Path, broker: TansuBroker) -> None:
    topic = f"w{uuid.uuid4().hex[:8]}-payments"
    group = topic + "-billing"
    asyncio.run(make_lagging_group(broker.bootstrap, topic, group, records=8, consumed=3, age=900))
    db = tmp_path / "log.db"
    proc = eventflow("watch", "--bootstrap", broker.bootstrap, "--interval", "0.5",
                     "--duration", "60", "--exit-on-alert", "--json", "--db", str(db),
                     check=False)  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines, "an alert is printed"
    # Other tests' dead-letter topics on the shared broker may alert too; ours must be there.
    ours = [a for a in lines if a["target"] == {"kind": "group", "name": group}]
    assert [a["rule"] for a in ours] == ["group-lag-seconds"]
    assert 890 <= ours[0]["value"] <= 1000
    history = json.loads(
        eventflow("history", "--json", "--metric", f"group.{group}.*", "--db", str(db)).stdout
    )
    series = {s["name"]: s for s in history["series"]}
    assert series[f"group.{group}.lag"]["samples"][-1][1] == 5
    assert series[f"group.{group}.lag_seconds"]["unit"] == "s"
    alerts = json.loads(eventflow("alerts", "list", "--json", "--db", str(db)).stdout)["alerts"]
    assert any(a["rule"] == "group-lag-seconds" for a in alerts)
    # A second check while the group is still behind exits 3 again: an alert a run
    # already told does not make the next check look healthy.
    again = eventflow("watch", "--bootstrap", broker.bootstrap, "--interval", "0.5",
                      "--duration", "60", "--exit-on-alert", "--json", "--db", str(db),
                      check=False)  # fmt: skip
    assert again.returncode == 3, again.stderr


def test_watch_without_an_alert_runs_its_duration_and_exits_0(
    tmp_path: Path, broker: TansuBroker
) -> None:
    proc = eventflow("watch", "--bootstrap", broker.bootstrap, "--interval", "0.5",
                     "--duration", "2", "--no-log", "--json", check=False)  # fmt: skip
    # Any alert here comes from other tests' groups and letters; none: exit 0 either way.
    assert proc.returncode == 0, proc.stderr
    proc = eventflow("watch", "--duration", "1", check=False)
    assert proc.returncode == 1 and "--profile NAME or --bootstrap" in proc.stderr
    # A cluster that never answers is not a healthy one: exit 1, saying so.
    proc = eventflow("watch", "--bootstrap", "127.0.0.1:1", "--duration", "2", "--no-log",
                     check=False)  # fmt: skip
    assert proc.returncode == 1 and "never answered" in proc.stderr


def test_kafka_tail_evaluates_the_rules_on_what_it_reads(
    tmp_path: Path, broker: TansuBroker
) -> None:
    topic = f"m{uuid.uuid4().hex[:8]}-orders"

    async def setup() -> None:
        await create_topic(broker.bootstrap, topic)
        await produce(broker.bootstrap, topic, [b'{"truncated": '] * 4 + [b"{}"])

    asyncio.run(setup())
    db = tmp_path / "log.db"
    eventflow("kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
              "--from", "beginning", "--max", "5", "--duration", "20", "--quiet",
              "--db", str(db))  # fmt: skip
    alerts = json.loads(eventflow("alerts", "list", "--json", "--db", str(db)).stdout)["alerts"]
    (bad,) = [a for a in alerts if a["rule"] == "malformed-share"]
    assert round(bad["value"], 6) == 80.0
    assert bad["message"] == "malformed events are 80 % of all over 60 s"
    history = json.loads(
        eventflow("history", "--json", "--metric", f"topic.{topic}.rate", "--db", str(db)).stdout
    )
    assert history["series"][0]["samples"][-1][1] > 0
