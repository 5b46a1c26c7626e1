"""`eventflow kafka tail --schema-registry URL` and `--schema-file PATTERN=PATH`, against
the real test broker and the tests' own registry."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import fastavro
import pytest

from monitor.core.formats.framing import frame_v0
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic, produce
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.cli.entry_point import eventflow

READING = {
    "type": "record",
    "name": "Reading",
    "namespace": "iot",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "celsius", "type": {"type": "bytes", "logicalType": "decimal",
                                     "precision": 5, "scale": 1}},
    ],
}  # fmt: skip


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}


def body(sensor: str) -> bytes:
    from decimal import Decimal

    out = io.BytesIO()
    fastavro.schemaless_writer(
        out, fastavro.parse_schema(READING), {"sensor": sensor, "celsius": Decimal("21.5")}
    )
    return out.getvalue()


def test_tail_decodes_through_a_registry_and_says_what_to_do_without_one(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    topic = "cli-schemas-readings"
    asyncio.run(create_topic(broker.bootstrap, topic))
    with SchemaRegistryServer() as registry:
        registered = registry.state.register(f"{topic}-value", {"schema": json.dumps(READING)})
        sid, guid = registered["id"], registered["guid"]
        asyncio.run(produce(broker.bootstrap, topic, [frame_v0(sid, body("s-1"))]))
        base = ("kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
                "--from", "beginning", "--max", "1", "--no-log", "--json")  # fmt: skip
        decoded = json.loads(eventflow(env, *base, "--schema-registry", registry.url).stdout)
    assert decoded["format"] == "avro" and decoded["type"] == "iot.Reading"
    assert decoded["data"] == {"sensor": "s-1", "celsius": "21.5"}
    assert decoded["schema"] == {
        "id": sid, "guid": guid, "subject": f"{topic}-value", "version": 1,
        "name": "iot.Reading",
    }  # fmt: skip
    plain = json.loads(eventflow(env, *base).stdout)
    assert plain["format"] == "undecoded" and not plain["malformed"]
    assert "give --schema-registry URL on the command line" in plain["error"]


def test_tail_with_a_local_schema_file_and_a_bad_one(
    broker: TansuBroker, env: dict[str, str], tmp_path: Path
) -> None:
    topic = "cli-schemas-local"
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [body("s-2")]))  # raw Avro, no framing
    schema = tmp_path / "reading.avsc"
    schema.write_text(json.dumps(READING))
    base = ("kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
            "--from", "beginning", "--max", "1", "--no-log")  # fmt: skip
    line = eventflow(env, *base, "--schema-file", f"cli-schemas-*={schema}").stdout
    assert "iot.Reading" in line and '"celsius":"21.5"' in line
    bad = eventflow(env, *base, "--schema-file", "nothing-here", check=False)
    assert bad.returncode == 1 and "is not PATTERN=PATH" in bad.stderr


def test_publish_with_a_subjects_schema_and_a_payload_that_does_not_fit(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    topic = "cli-schemas-publish"
    asyncio.run(create_topic(broker.bootstrap, topic))
    with SchemaRegistryServer() as registry:
        registry.state.register(f"{topic}-value", {"schema": json.dumps(READING)})
        registry.state.register(f"{topic}-key", {"schema": '"string"'})
        base = ("kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
                "--schema-registry", registry.url, "--value-subject", f"{topic}-value")  # fmt: skip
        sent = eventflow(env, *base, "--data", '{"sensor": "s-3", "celsius": "-4.5"}', "--json",
                         "--key", "s-3", "--key-subject", f"{topic}-key")  # fmt: skip
        assert json.loads(sent.stdout)["offset"] == 0
        assert json.loads(sent.stdout)["key_schema"]["subject"] == f"{topic}-key"
        refused = eventflow(env, *base, "--data", '{"sensor": 3, "celsius": "1.0"}', check=False)
        assert refused.returncode == 1
        assert "does not fit" in refused.stderr and "sensor" in refused.stderr
        assert "Nothing was sent" in refused.stderr
        tail = ("kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic, "--from",
                "beginning", "--duration", "3", "--no-log", "--json",
                "--schema-registry", registry.url)  # fmt: skip
        lines = eventflow(env, *tail).stdout.splitlines()
    (event,) = [json.loads(line) for line in lines]  # the refused one never went out
    assert event["format"] == "avro" and event["data"] == {"sensor": "s-3", "celsius": "-4.5"}
    assert event["key"] == "s-3" and event["key_format"] == "avro"


@pytest.mark.parametrize(
    "command",
    [
        ("kafka", "tail", "--bootstrap", "localhost:9092", "--topic", "t"),
        ("events",),
        ("profiles", "add", "p", "--bootstrap", "localhost:9092"),
    ],
)
def test_a_schema_registry_that_is_not_a_url_is_refused_before_anything_runs(
    env: dict[str, str], command: tuple[str, ...]
) -> None:
    proc = eventflow(env, *command, "--schema-registry", "not-a-url", check=False)
    assert proc.returncode == 2
    assert "'not-a-url' is not an http(s) URL; write it like https://" in proc.stderr
