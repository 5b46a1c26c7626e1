"""A dead letter tailed while its schema could not be had (no registry) is shown as
undecoded with the reason, not as a null payload; `eventflow dlq list/show` with a
registry (or a profile that has one) decode it from the bytes the letter kept and store
it so; a registry that does not know the schema id, or cannot be reached, replaces the
first reason with its own; a profile of another cluster leaves it undecoded. Real test
broker, the tests' registry, a record written by confluent-kafka's AvroSerializer and
dead-lettered as Spring does it."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from adapters.kafka.profiles import ConnectionProfile
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_dead_letter_round_trip import dead_letter_it, spring_headers
from tests.adapters.test_undecoded_later import NOTE_AVSC, UNREACHABLE
from tests.cli.entry_point import eventflow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}


def note_value(registry: SchemaRegistryServer, topic: str) -> bytes:
    serialize = AvroSerializer(SchemaRegistryClient({"url": registry.url}), NOTE_AVSC)
    note = {"orderId": "o-1", "correlationId": "c-1", "note": "okapi"}
    return bytes(serialize(note, SerializationContext(topic, MessageField.VALUE)))


def tail_dead_letter(
    env: dict[str, str], bootstrap: str, topic: str, registry: SchemaRegistryServer, db: str
) -> str:
    """The note dead-lettered to ``<topic>.DLT`` and tailed with no registry: its id."""
    dlt = f"{topic}.DLT"

    async def produce() -> None:
        await create_topic(bootstrap, topic)
        await create_topic(bootstrap, dlt)
        await dead_letter_it(
            bootstrap, dlt, note_value(registry, topic), b"o-1", spring_headers(topic, 3)
        )

    asyncio.run(produce())
    eventflow(
        env, "kafka", "tail", "--bootstrap", bootstrap, "--topic", dlt, "--from", "beginning",
        "--max", "1", "--quiet", "--db", db,
    )  # fmt: skip
    return f"kafka:{dlt}:0:0"


def shown(env: dict[str, str], db: str, letter_id: str, *options: str) -> dict[str, Any]:
    out = eventflow(env, "dlq", "show", letter_id, "--db", db, "--json", *options).stdout
    event: dict[str, Any] = json.loads(out)["event"]
    return event


def test_dlq_show_says_undecoded_and_decodes_with_a_registry(
    profile: ConnectionProfile, topic_name: str, env: dict[str, str], tmp_path: Path
) -> None:
    db = str(tmp_path / "events.db")
    with SchemaRegistryServer() as registry, SchemaRegistryServer() as empty:
        letter_id = tail_dead_letter(env, profile.bootstrap_servers, topic_name, registry, db)
        text = eventflow(env, "dlq", "show", letter_id, "--db", db).stdout
        first = shown(env, db, letter_id)

        # A registry that does not know the schema id: still undecoded, for that reason.
        listing = eventflow(
            env, "dlq", "list", "--db", db, "--json", "--schema-registry", empty.url
        )  # fmt: skip
        listed = json.loads(listing.stdout)
        stored_404 = shown(env, db, letter_id)
        # A registry that cannot be reached: that reason, in its turn.
        unreachable = shown(env, db, letter_id, "--schema-registry", UNREACHABLE)

        # A profile of another cluster: its registry's ids mean nothing for this letter.
        eventflow(
            env, "profiles", "add", "elsewhere", "--bootstrap", "other-cluster:9092",
            "--schema-registry", registry.url,
        )  # fmt: skip
        elsewhere = shown(env, db, letter_id, "--profile", "elsewhere")
        told = eventflow(env, "dlq", "list", "--db", db, "--profile", "elsewhere").stderr
        # The letter's own cluster, through a profile with the registry: decoded.
        eventflow(
            env, "profiles", "add", "shop", "--bootstrap", profile.bootstrap_servers,
            "--schema-registry", registry.url,
        )  # fmt: skip
        decoded = shown(env, db, letter_id, "--profile", "shop")
    # Stored decoded: shown again with no registry at all, it stays so.
    again = shown(env, db, letter_id)
    text_after = eventflow(env, "dlq", "show", letter_id, "--db", db).stdout

    assert first["format"] == "undecoded" and first["data"] is None
    assert "no schema registry is configured" in first["error"]
    assert f"undecoded: {first['error']}" in text and "null" not in text
    assert "--schema-registry URL" in text  # what to do, when no option was given

    assert [d["event"]["error"] for d in listed] == [stored_404["error"]]
    assert listing.stderr.startswith("1 letter listed stays undecoded (")  # and why
    assert stored_404["format"] == "undecoded" and empty.url in stored_404["error"]
    assert "no schema registry is configured" not in stored_404["error"]
    assert unreachable["format"] == "undecoded"
    assert "cannot reach the registry" in unreachable["error"], unreachable["error"]

    assert elsewhere["format"] == "undecoded"
    assert "1 undecoded letter came from another cluster than other-cluster:9092" in told
    assert decoded["format"] == "avro" and decoded["data"]["note"] == "okapi"
    assert decoded["type"] == "com.acme.NoteTaken" and decoded["correlation_id"] == "c-1"
    assert again == decoded
    assert '"note": "okapi"' in text_after and "undecoded" not in text_after
