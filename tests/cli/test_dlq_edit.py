"""`eventflow dlq edit`: the payload and headers a dead letter replays, changed from the
command line through the dead-letter service: recorded in the letter's history, a Kafka
letter's record re-encoded with its own schema (the tests' registry), and an edit that
does not fit refused with nothing saved."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import fastavro
import pytest

from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.deadletters import DeadLetter
from monitor.core.decoding import decode_record
from monitor.core.eventlog import EventLog
from monitor.core.formats.framing import frame_v0
from monitor.core.raw_record import RawRecord
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.cli.entry_point import eventflow
from tests.cli.test_cli import write_warehouse_letter
from tests.cli.test_kafka_cli_schemas import READING, body


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}


def shown(env: dict[str, str], db: Path, letter_id: str) -> dict[str, object]:
    out = eventflow(env, "dlq", "show", letter_id, "--db", str(db), "--json").stdout
    return dict(json.loads(out))


def test_edit_changes_the_payload_and_headers_and_the_history_says_what(
    env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    letter = write_warehouse_letter(db)
    said = eventflow(
        env, "dlq", "edit", letter.id[:8], "--db", str(db),
        "--data", '{"amount": 12.5, "items": [{"sku": "SKU-101", "qty": 1}]}',
        "--header", "x-fixed-by=support",
    ).stdout  # fmt: skip
    assert said.startswith(f"Edited {letter.id}: ") and "SKU-101" in said
    after = shown(env, db, letter.id)
    event = after["event"]
    assert isinstance(event, dict)
    assert event["data"] == {"amount": 12.5, "items": [{"sku": "SKU-101", "qty": 1}]}
    assert event["headers"]["x-fixed-by"] == "support"
    assert [a["action"] for a in after["actions"]] == ["edit"]  # type: ignore[union-attr]

    # Input that is not JSON, or no change asked for: refused, nothing saved.
    bad = eventflow(env, "dlq", "edit", letter.id, "--db", str(db), "--data", "{oops", check=False)
    assert bad.returncode == 1 and "--data is not JSON" in bad.stderr
    none = eventflow(env, "dlq", "edit", letter.id, "--db", str(db), check=False)
    assert none.returncode == 1 and "Nothing to change" in none.stderr
    assert shown(env, db, letter.id) == after


def test_a_schema_encoded_letter_is_encoded_again_or_refused_with_the_reason(
    env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    with SchemaRegistryServer() as registry:
        sid = registry.state.register("readings-value", {"schema": json.dumps(READING)})["id"]
        value = frame_v0(sid, body("s-1"))
        client = RegistryClient(RegistrySettings(registry.url))
        try:  # as a tail decodes it: the first look starts the fetch, a later one decodes
            for _ in range(100):
                event = decode_record(
                    value, topic="readings.DLT", partition=0, offset=4, schemas=client
                )
                if event.format != "undecoded":
                    break
                time.sleep(0.05)
        finally:
            client.close()
        assert event.format == "avro", event.error
        letter = DeadLetter(
            event=event, reason="sensor offline", original_topic="readings",
            origin="kafka:staging", id="kafka:readings.DLT:0:4",
            record=RawRecord(value, None, ()),
        )  # fmt: skip
        with EventLog(db) as log:
            log.add_dead_letters([letter])
        base = ("dlq", "edit", letter.id, "--db", str(db), "--schema-registry", registry.url)
        refused = eventflow(
            env, *base, "--data", '{"sensor": 7, "celsius": "21.5"}', check=False
        )  # fmt: skip
        assert refused.returncode == 1
        assert "Not saved: The edited payload does not fit readings-value" in refused.stderr
        assert "sensor: 7 is a number; the schema wants a string" in refused.stderr
        # Without a schema source: refused, naming the options that give one.
        blind = eventflow(
            env, "dlq", "edit", letter.id, "--db", str(db), "--data", '{"sensor": "s-2"}',
            check=False,
        )  # fmt: skip
        assert blind.returncode == 1 and "no schema registry or schema file was given" in (
            blind.stderr
        )
        assert "Pass --schema-registry URL, --profile NAME" in blind.stderr
        eventflow(env, *base, "--data", '{"sensor": "s-2", "celsius": "19.0"}')
    with EventLog(db) as log:
        stored = log.dead_letter(letter.id)
    assert stored.record is not None and stored.record.value is not None
    assert stored.record.value[:5] == value[:5]  # the same schema id
    reading = fastavro.schemaless_reader(
        io.BytesIO(stored.record.value[5:]), fastavro.parse_schema(READING), None
    )
    assert reading["sensor"] == "s-2" and str(reading["celsius"]) == "19.0"
