"""`eventflow kafka tail` prints a line per record as kcat does, and `kafka publish`
refuses a topic the cluster does not have; against the real test broker."""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.profiles import ConnectionProfile
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic, produce
from tests.cli.entry_point import eventflow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}


def has_topic(broker: TansuBroker, topic: str) -> bool:
    async def ask() -> bool:
        async with KafkaCluster(ConnectionProfile.ad_hoc(broker.bootstrap)) as cluster:
            return await cluster.has_topic(topic)

    return asyncio.run(ask())


def test_tail_prints_one_readable_line_per_record_and_the_summary_on_stderr(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    topic = "cli-lines-orders"
    asyncio.run(create_topic(broker.bootstrap, topic))
    long_note = "x" * 300
    published = json.loads(
        eventflow(
            env, "kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
            "--type", "OrderPlaced", "--key", "ord-1", "--json",
            "--data", json.dumps({"orderId": "ord-1", "note": long_note}),
        ).stdout
    )  # fmt: skip
    asyncio.run(produce(broker.bootstrap, topic, [b"{\xffnot json\nat all"]))
    tail = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", "2", "--no-log",
    )  # fmt: skip
    first, second = tail.stdout.splitlines()
    time, where, key, kind, payload = first.split("  ", 4)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", time)
    assert time[:19] == published["time"][:19]
    assert (where, key, kind) == (f"{topic}[0]@0", "ord-1", "OrderPlaced")
    assert payload.startswith('{"orderId":"ord-1","note":"xxx') and payload.endswith("...")
    assert len(payload) == 100  # shortened, not 300 characters of note
    assert second.split("  ")[1:4] == [f"{topic}[0]@1", "-", "(malformed)"]
    assert "not json.at all" in second  # the raw bytes, on one line
    assert tail.stderr.strip().endswith("2 records from 1 topic (1 malformed, 0 dead letters).")


def test_tail_quiet_prints_only_the_summary_on_stdout(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    topic = "cli-lines-quiet"
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [b'{"n": 1}', b'{"n": 2}']))
    quiet = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", "2", "--no-log", "--quiet",
    )  # fmt: skip
    assert quiet.stdout.strip() == "2 records from 1 topic (0 malformed, 0 dead letters)."
    both = eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--no-log", "--quiet", "--json", check=False,
    )  # fmt: skip
    assert both.returncode == 1 and "give one of them" in both.stderr


def test_publish_refuses_a_topic_that_does_not_exist_unless_told_to_create_it(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    typo = "cli-ordres-placed"
    publish = ["kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", typo]
    refused = eventflow(env, *publish, "--type", "Ping", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"eventflow: Topic {typo} does not exist on {broker.bootstrap}; create it or pass"
        " --create-topic."
    )
    assert not has_topic(broker, typo)  # asking created nothing

    eventflow(env, "profiles", "add", "local", "--bootstrap", broker.bootstrap)
    named = eventflow(
        env, "kafka", "publish", "--profile", "local", "--topic", typo, "--type", "Ping",
        check=False,
    )  # fmt: skip
    assert f"does not exist on local ({broker.bootstrap})" in named.stderr

    created = eventflow(env, *publish, "--type", "Ping", "--create-topic")
    assert f"to {typo}[" in created.stdout
    assert has_topic(broker, typo)
