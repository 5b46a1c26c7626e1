"""`eventflow dlq replay` sends a Kafka dead letter only into the cluster it came from,
known by its address (through a profile or --bootstrap alike), and never creates a topic:
through the real entry point, against the real test broker."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import RawRecord
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.cli.entry_point import eventflow


def kafka_letter(db: Path, cluster: str, topic: str, offset: int) -> str:
    letter = DeadLetter(
        id=f"kafka:{topic}.DLT:0:{offset}",
        event=Envelope(type="OrderPlaced", source="kafka", data={"n": offset}),
        reason="IllegalStateException: boom",
        original_topic=topic,
        origin=f"kafka:{cluster}",
        record=RawRecord(b'{"n": %d}' % offset, b"k"),
    )
    with EventLog(db) as log:
        log.add_dead_letters([letter])
    return letter.id


def test_a_letter_goes_back_only_to_its_cluster_whatever_names_it(
    broker: TansuBroker, tmp_path: Path
) -> None:
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    db = tmp_path / "log.db"
    topic = "cli-origin-orders"
    asyncio.run(create_topic(broker.bootstrap, topic))
    elsewhere = kafka_letter(db, "10.9.9.9:9092", topic, 1)
    here = kafka_letter(db, broker.bootstrap, topic, 2)
    eventflow(env, "profiles", "add", "local", "--bootstrap", broker.bootstrap)

    out = json.loads(
        eventflow(
            env, "dlq", "replay", "--all", "--bootstrap", broker.bootstrap, "--db", str(db),
            "--json",
        ).stdout
    )  # fmt: skip
    by_id = {o["dead_letter_id"]: o for o in out}
    assert by_id[here]["status"] == "replayed"
    assert by_id[elsewhere]["status"] == "skipped"
    assert "Kafka (10.9.9.9:9092)" in by_id[elsewhere]["detail"]
    assert "--bootstrap 10.9.9.9:9092" in by_id[elsewhere]["detail"]

    # The same cluster through a saved profile is the same cluster.
    again = kafka_letter(db, broker.bootstrap, topic, 3)
    out = json.loads(
        eventflow(
            env, "dlq", "replay", "--id", again, "--profile", "local", "--db", str(db), "--json"
        ).stdout
    )
    assert [o["status"] for o in out] == ["replayed"]


def test_a_replay_never_creates_the_topic_it_sends_to(broker: TansuBroker, tmp_path: Path) -> None:
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    db = tmp_path / "log.db"
    letter = kafka_letter(db, broker.bootstrap, "cli-origin-gone", 1)
    done = eventflow(
        env, "dlq", "replay", "--id", letter, "--bootstrap", broker.bootstrap, "--db", str(db),
        "--json", check=False,
    )  # fmt: skip
    [outcome] = json.loads(done.stdout)
    assert done.returncode == 1 and outcome["status"] == "failed"
    assert "does not exist" in outcome["detail"] and "never creates" in outcome["detail"]
    topics = json.loads(
        eventflow(env, "kafka", "topics", "--bootstrap", broker.bootstrap, "--json").stdout
    )
    assert "cli-origin-gone" not in {t["name"] for t in topics}
    with EventLog(db) as log:
        assert log.dead_letter(letter).status == "pending"
