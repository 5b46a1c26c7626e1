"""`eventflow kafka ...` and `eventflow profiles ...` through the real entry point,
against the real test broker."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from monitor.core.eventlog import EventLog
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.conftest import create_topic, produce
from tests.adapters.lagging_group import make_lagging_group
from tests.cli.entry_point import eventflow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An isolated config dir, so profiles written here touch nothing of the user's."""
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}


def test_publish_then_tail_logs_events_that_events_and_chain_show(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    # A prefix of its own, so the pattern below matches no other test's topic.
    topic, db = "cli-publish-tail-orders", str(tmp_path / "log.db")
    asyncio.run(create_topic(broker.bootstrap, topic))
    first = json.loads(
        eventflow(
            env, "kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
            "--type", "OrderPlaced", "--data", '{"orderId": "o-1"}', "--key", "o-1",
            "--header", "tenant=eu", "--json",
        ).stdout
    )  # fmt: skip
    cid = first["correlation_id"]
    assert cid == first["id"] and first["offset"] == 0
    assert (first["topic"], first["partition"]) == (topic, 0)  # where it went
    eventflow(
        env, "kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--type", "PaymentAuthorized", "--correlation-id", cid, "--causation-id", first["id"],
        "--data-file", "-", "--mode", "structured", stdin='{"amount": 10}',
    )  # fmt: skip
    burst = eventflow(
        env, "kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--type", "Ping", "--count", "20", "--rate", "1000",
    )  # fmt: skip
    assert "Published 20 events" in burst.stdout
    burst_json = eventflow(
        env, "kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--type", "Ping", "--count", "3", "--json",
    )  # fmt: skip
    assert json.loads(burst_json.stdout) == {"topic": topic, "published": 3}

    tail = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", "cli-publish-tail-*",
        "--from", "beginning", "--max", "25", "--duration", "30", "--db", db,
    )  # fmt: skip
    assert "25 records from 1 topic " in tail.stderr  # stdout holds one line per record
    assert len(tail.stdout.splitlines()) == 25
    events = json.loads(eventflow(env, "events", "--db", db, "--limit", "100", "--json").stdout)
    assert len(events) == 25
    chain = json.loads(eventflow(env, "chain", cid, "--db", db, "--json").stdout)
    assert [e["type"] for e in chain["events"]] == ["OrderPlaced", "PaymentAuthorized"]
    assert chain["edges"][0]["parent"] == first["id"]
    placed = next(e for e in events if e["type"] == "OrderPlaced")
    assert placed["headers"]["tenant"] == "eu" and placed["key"] == "o-1"


def test_tail_json_prints_one_envelope_per_line(broker: TansuBroker, env: dict[str, str]) -> None:
    topic = "cli-json-lines"
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [b'{"id": "a"}', b'{"not json']))
    out = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", "2", "--no-log", "--json",
    ).stdout  # fmt: skip
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["id"] == "a"
    assert lines[1]["malformed"] is True and lines[1]["error"]


def test_tail_keeps_the_newest_records_it_is_told_to(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    topic, db = "cli-kept", str(tmp_path / "log.db")
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [b'{"n": %d}' % i for i in range(30)]))
    eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", "30", "--db", db, "--keep", "10",
    )  # fmt: skip
    with EventLog(db) as log:
        assert sorted(e.offset or 0 for e in log.events(limit=100)) == list(range(20, 30))


def test_dead_letter_topic_tail_fills_dlq_list(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    topic, db = "cli-payments.DLT", str(tmp_path / "log.db")
    asyncio.run(create_topic(broker.bootstrap, topic))
    headers = [
        ("kafka_dlt-original-topic", b"cli-payments"),
        ("kafka_dlt-exception-fqcn", b"java.lang.IllegalStateException"),
        ("kafka_dlt-exception-message", b"no handler"),
    ]
    asyncio.run(produce(broker.bootstrap, topic, [b'{"id": "p-1"}'], headers=headers))
    eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", "1", "--db", db,
    )  # fmt: skip
    letters = json.loads(eventflow(env, "dlq", "list", "--db", db, "--json").stdout)
    assert len(letters) == 1
    assert letters[0]["original_topic"] == "cli-payments"
    assert letters[0]["reason"] == "java.lang.IllegalStateException: no handler"
    assert letters[0]["event"]["id"] == "p-1"


def test_topics_and_groups_json(broker: TansuBroker, env: dict[str, str]) -> None:
    asyncio.run(create_topic(broker.bootstrap, "cli-listed", 3))
    topics = json.loads(
        eventflow(env, "kafka", "topics", "--bootstrap", broker.bootstrap, "--json").stdout
    )
    listed = {t["name"]: t for t in topics}["cli-listed"]
    assert [p["partition"] for p in listed["partitions"]] == [0, 1, 2]
    asyncio.run(
        make_lagging_group(
            broker.bootstrap, "cli-lagging", "cli-billing", records=10, consumed=4, age=600
        )
    )
    groups = json.loads(
        eventflow(env, "kafka", "groups", "--bootstrap", broker.bootstrap, "--json").stdout
    )
    billing = {g["group_id"]: g for g in groups}["cli-billing"]
    assert billing["lag"] == 6
    # How far behind in time: the record at the committed offset was written 10 min ago.
    assert 590 <= billing["lag_seconds"] <= 900
    text = eventflow(env, "kafka", "groups", "--bootstrap", broker.bootstrap).stdout
    assert "cli-billing" in text and "lag 6, 10 min" in text


def test_unreachable_broker_is_one_sentence_without_traceback(env: dict[str, str]) -> None:
    proc = eventflow(env, "kafka", "topics", "--bootstrap", f"127.0.0.1:{free_port()}", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("eventflow: Nothing accepts connections at 127.0.0.1:")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_profiles_add_list_test_remove_and_the_safety_flags(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    eventflow(env, "profiles", "add", "local", "--bootstrap", broker.bootstrap)
    eventflow(
        env, "profiles", "add", "prod", "--bootstrap", broker.bootstrap,
        "--environment", "production",
    )  # fmt: skip
    eventflow(env, "profiles", "add", "support", "--bootstrap", broker.bootstrap, "--read-only")
    again = eventflow(env, "profiles", "add", "local", "--bootstrap", "h:1", check=False)
    assert again.returncode == 1 and "pass --replace to overwrite it" in again.stderr
    listed = json.loads(eventflow(env, "profiles", "list", "--json").stdout)
    assert [p["name"] for p in listed] == ["local", "prod", "support"]
    assert "Connected to" in eventflow(env, "profiles", "test", "local").stdout

    publish = ["kafka", "publish", "--topic", "cli-safety", "--type", "Ping"]
    refused = eventflow(env, *publish, "--profile", "support", check=False)
    assert refused.returncode == 1
    assert "Profile support is read-only: publishing is disabled" in refused.stderr
    unconfirmed = eventflow(env, *publish, "--profile", "prod", check=False)
    assert unconfirmed.returncode == 1 and "needs explicit confirmation" in unconfirmed.stderr
    confirmed = eventflow(env, *publish, "--profile", "prod", "--yes", "--create-topic")
    assert "Published Ping" in confirmed.stdout

    eventflow(env, "profiles", "remove", "local")
    missing = eventflow(env, "kafka", "topics", "--profile", "local", check=False)
    assert missing.returncode == 1 and "there is no profile named 'local'" in missing.stderr


def test_sasl_profile_without_keyring_says_how_to_give_the_password(env: dict[str, str]) -> None:
    env = {**env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    out = eventflow(
        env, "profiles", "add", "secure", "--bootstrap", "kafka.example:9093",
        "--security-protocol", "SASL_SSL", "--sasl-mechanism", "SCRAM-SHA-256",
        "--sasl-username", "alice",
    ).stdout  # fmt: skip
    assert "EVENTFLOW_PASSWORD_SECURE" in out
    proc = eventflow(env, "kafka", "topics", "--profile", "secure", check=False)
    assert proc.returncode == 1
    assert "no password is known for profile secure" in proc.stderr
    assert "EVENTFLOW_PASSWORD_SECURE" in proc.stderr
    assert "--password-prompt" not in proc.stderr  # with no keyring, it cannot work


def test_a_corrupt_profiles_file_is_reported_not_replaced(env: dict[str, str]) -> None:
    config = Path(env["EVENTFLOW_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "profiles.json").write_text("{oops")
    proc = eventflow(env, "profiles", "list", check=False)
    assert proc.returncode == 1 and "cannot be read" in proc.stderr
    assert (config / "profiles.json").read_text() == "{oops"


def test_a_broken_profile_is_named_on_stderr_and_the_others_are_listed(
    env: dict[str, str],
) -> None:
    config = Path(env["EVENTFLOW_CONFIG_DIR"])
    config.mkdir(parents=True)
    good = {"name": "local", "bootstrap_servers": "localhost:9092"}
    old = {"name": "old", "bootstrap_servers": "h:1", "colour": "red"}
    (config / "profiles.json").write_text(json.dumps({"profiles": [good, old]}))
    proc = eventflow(env, "profiles", "list")
    assert proc.stdout.startswith("local  localhost:9092")
    assert "'old'" in proc.stderr and "unknown profile settings: colour" in proc.stderr
    listed = eventflow(env, "profiles", "list", "--json")
    assert [p["name"] for p in json.loads(listed.stdout)] == ["local"]


def test_bad_start_position_is_explained(broker: TansuBroker, env: dict[str, str]) -> None:
    proc = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", "x",
        "--from", "tuesday", check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "is not a start position" in proc.stderr


def test_logged_kafka_events_survive_in_the_log(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "keep.db"
    topic = "cli-keep"
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [f'{{"id": "k-{i}"}}'.encode() for i in range(5)]))
    base = ("kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic, "--db", str(db))

    def logged() -> list[str]:
        with EventLog(db) as log:
            return sorted(e.id for e in log.events())

    eventflow(env, *base, "--from", "3", "--max", "2")
    assert logged() == ["k-3", "k-4"]
    # Read again from the beginning: what the log has is not logged twice, what it lacks
    # before it is; both are read and shown.
    again = eventflow(env, *base, "--from", "beginning", "--max", "5")
    assert again.stdout.count("k-") == 5
    assert "5 records" in again.stderr and "2 of them already in the log" in again.stderr
    assert logged() == ["k-0", "k-1", "k-2", "k-3", "k-4"]
    eventflow(env, *base, "--from", "beginning", "--max", "5")
    assert logged() == ["k-0", "k-1", "k-2", "k-3", "k-4"]  # each once, never lost
    # A limit on the log: the summary says what it deleted.
    asyncio.run(produce(broker.bootstrap, topic, [b'{"id": "k-5"}']))
    kept = eventflow(env, *base, "--from", "beginning", "--max", "6", "--keep", "3")
    assert "(it keeps the newest 3 events: 3 older events were deleted)" in kept.stderr
    assert logged() == ["k-1", "k-2", "k-5"]  # the newest logged: k-3 and k-4 came first


def test_from_logged_reads_on_after_what_the_log_has(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    db = str(tmp_path / "resume.db")
    topic = "cli-resume"
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [b'{"id": "r-1"}', b'{"id": "r-2"}']))
    base = ("kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
            "--from", "logged", "--db", db, "--quiet")  # fmt: skip
    first = eventflow(env, *base, "--max", "2")
    assert "there is no log at" in first.stderr  # a first run reads from the beginning
    asyncio.run(produce(broker.bootstrap, topic, [b'{"id": "r-3"}']))
    again = eventflow(env, *base, "--max", "1", "--duration", "20")
    assert "after the last record logged in 1 partition" in again.stderr
    with EventLog(db) as log:
        assert sorted(e.id for e in log.events()) == ["r-1", "r-2", "r-3"]  # each once
    no_log = eventflow(env, *base[:-3], "--no-log", check=False)
    assert no_log.returncode == 1 and "it needs the log, not --no-log" in no_log.stderr


def test_dlq_replay_into_kafka_respects_read_only_and_production_profiles(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    db = str(tmp_path / "demo.db")
    # 4 s: long enough for the seeded demo's dead letters on a busy machine too.
    eventflow(
        env, "demo", "--headless", "--duration", "4", "--rate", "100", "--seed", "7", "--db", db
    )
    pending = json.loads(
        eventflow(env, "dlq", "list", "--status", "pending", "--db", db, "--json").stdout
    )
    assert pending
    eventflow(env, "profiles", "add", "ro", "--bootstrap", broker.bootstrap, "--read-only")
    eventflow(
        env,
        "profiles",
        "add",
        "prod",
        "--bootstrap",
        broker.bootstrap,
        "--environment",
        "production",
    )
    refused = eventflow(env, "dlq", "replay", "--all", "--profile", "ro", "--db", db, check=False)
    assert refused.returncode == 1 and "read-only: replay is disabled" in refused.stderr
    unconfirmed = eventflow(
        env, "dlq", "replay", "--all", "--profile", "prod", "--db", db, check=False
    )
    assert unconfirmed.returncode == 1 and "needs explicit confirmation" in unconfirmed.stderr
    with EventLog(db) as log:
        assert all(log.dead_letter(d["id"]).status == "pending" for d in pending)

    # The demo's letters came from the embedded bus: they go back there unless the user
    # says to send them elsewhere.
    skipping = eventflow(
        env, "dlq", "replay", "--all", "--profile", "prod", "--yes", "--db", db, "--json",
        check=False,
    )  # fmt: skip
    elsewhere = json.loads(skipping.stdout)
    assert {o["status"] for o in elsewhere} == {"skipped"} and skipping.returncode == 1
    assert "came from the embedded bus" in elsewhere[0]["detail"]
    assert "--any-origin" in elsewhere[0]["detail"]
    with EventLog(db) as log:
        assert all(log.dead_letter(d["id"]).status == "pending" for d in pending)
    # A replay never creates a topic: the letters' topics are made first, as a cluster has.
    for name in {d["original_topic"] for d in pending}:
        asyncio.run(create_topic(broker.bootstrap, name))
    replay_here = ["dlq", "replay", "--all", "--profile", "prod", "--yes", "--any-origin"]
    done = json.loads(eventflow(env, *replay_here, "--db", db, "--json").stdout)
    assert {o["status"] for o in done} == {"replayed"}
    with EventLog(db) as log:
        assert all(log.dead_letter(d["id"]).status == "replayed" for d in pending)
    topic = pending[0]["original_topic"]
    out = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", str(len(pending)), "--no-log", "--json",
    ).stdout  # fmt: skip
    replayed = [json.loads(line) for line in out.splitlines()]
    assert {r["headers"]["eventflow-replay-of"] for r in replayed} == {d["id"] for d in pending}
