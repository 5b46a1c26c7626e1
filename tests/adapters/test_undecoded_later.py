"""Records tailed while their schema could not be had (the registry unreachable, or none
configured) are logged undecoded; once the registry is there, `eventflow events` lists
them decoded, as a live tail would have, a log search finds the fields inside them, and
the log keeps them decoded. Against the real test broker and the tests' registry, with
records written by confluent-kafka's AvroSerializer."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from adapters.kafka.profiles import ConnectionProfile
from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.event_filter import EventFilter
from monitor.core.eventlog import EventLog
from monitor.core.redecode import Redecoder
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.cli.entry_point import eventflow

NOTE_AVSC = """{"type": "record", "name": "NoteTaken", "namespace": "com.acme",
 "fields": [{"name": "orderId", "type": "string"},
            {"name": "correlationId", "type": "string"},
            {"name": "note", "type": "string"}]}"""
NOTES = ["alpaca", "bison", "camel"]
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}


def produce_notes(bootstrap: str, topic: str, registry: SchemaRegistryServer) -> None:
    """The three notes, to ``topic`` (made already), each with a key and a binary header."""
    avro = AvroSerializer(SchemaRegistryClient({"url": registry.url}), NOTE_AVSC)
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i, note in enumerate(NOTES):
        value = avro({"orderId": f"o-{i}", "correlationId": f"c-{i}", "note": note}, ctx)
        producer.produce(
            topic, value=value, key=f"o-{i}", headers=[("origin", b"\xffshop")], partition=0
        )
    producer.flush(10)


def tail_args(bootstrap: str, topic: str) -> tuple[str, ...]:
    return ("kafka", "tail", "--bootstrap", bootstrap, "--topic", topic,
            "--from", "beginning", "--max", str(len(NOTES)))  # fmt: skip


def json_lines(text: str) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in text.splitlines() if line.strip()]
    return sorted(out, key=lambda e: e["offset"])


def test_events_lists_records_logged_undecoded_decoded_once_the_registry_answers(
    profile: ConnectionProfile,
    topic_name: str,
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "events.db")
    with SchemaRegistryServer() as registry:
        asyncio.run(create_topic(profile.bootstrap_servers, topic_name))
        produce_notes(profile.bootstrap_servers, topic_name, registry)
        # Tailed while the registry cannot be reached: logged undecoded, bytes kept.
        eventflow(
            env, *tail_args(profile.bootstrap_servers, topic_name), "--quiet", "--db", db,
            "--schema-registry", UNREACHABLE,
        )  # fmt: skip
        listing = eventflow(env, "events", "--db", db, "--json")
        before = json.loads(listing.stdout)
        assert [e["format"] for e in before] == ["undecoded"] * 3
        assert all("cannot reach the registry" in e["error"] for e in before)
        assert all(e["raw"] and e["data"] is None for e in before)
        # A listing says so, and what to pass; a filter says what it could not see.
        assert "3 events listed are undecoded" in listing.stderr
        assert "cannot reach the registry" in listing.stderr
        assert "Pass --schema-registry URL" in listing.stderr
        by_type = eventflow(
            env, "events", "--db", db, "--type", "com.acme.NoteTaken",
            "--schema-registry", UNREACHABLE,
        )  # fmt: skip
        assert by_type.stdout == "" and "No events match." in by_type.stderr
        assert "3 events in the log stay undecoded" in by_type.stderr
        assert "--type, --source, --correlation-id and --search cannot match them" in (
            by_type.stderr
        )
        assert "Pass --schema-registry" not in by_type.stderr

        # What a tail with the registry gives: the reference for the late decode.
        live = json_lines(
            eventflow(
                env, *tail_args(profile.bootstrap_servers, topic_name), "--no-log", "--json",
                "--schema-registry", registry.url,
            ).stdout
        )  # fmt: skip
        listed = json.loads(
            eventflow(env, "events", "--db", db, "--json", "--schema-registry", registry.url).stdout
        )
        reads = registry.state.reads
    assert [e["data"]["note"] for e in live] == NOTES and live[0]["format"] == "avro"
    assert sorted(listed, key=lambda e: e["offset"]) == live
    # Stored decoded: listed again with no registry at all, they stay decoded.
    listing = eventflow(env, "events", "--db", db, "--json")
    again = json.loads(listing.stdout)
    assert "undecoded" not in listing.stderr
    assert sorted(again, key=lambda e: e["offset"]) == live
    # By offset: a record held for its schema is logged after the ones that came later
    # when its schema settles last (seen on a busy machine).
    newest = max(again, key=lambda e: e["offset"])
    assert newest["type"] == "com.acme.NoteTaken" and newest["correlation_id"] == "c-2"
    assert reads >= 1


def test_a_search_finds_a_field_inside_records_logged_without_a_registry(
    profile: ConnectionProfile, topic_name: str, env: dict[str, str], tmp_path: Path
) -> None:
    db = str(tmp_path / "events.db")
    with SchemaRegistryServer() as registry:
        asyncio.run(create_topic(profile.bootstrap_servers, topic_name))
        produce_notes(profile.bootstrap_servers, topic_name, registry)
        eventflow(env, *tail_args(profile.bootstrap_servers, topic_name), "--quiet", "--db", db)
        # The command line's search, in a log of its own: bytes until a registry is given,
        # then the log is decoded first.
        cli_db = str(tmp_path / "cli.db")
        tail = tail_args(profile.bootstrap_servers, topic_name)
        eventflow(env, *tail, "--quiet", "--db", cli_db)
        searched = ("events", "--db", cli_db, "--json", "--search", "BISON")
        blind = eventflow(env, *searched)
        assert json.loads(blind.stdout) == []
        # Not a silent "nothing": it says what it could not look inside, and what to pass.
        assert "3 events in the log are undecoded" in blind.stderr
        assert "--search cannot match them" in blind.stderr
        assert "Pass --schema-registry URL" in blind.stderr
        by_cli = json.loads(eventflow(env, *searched, "--schema-registry", registry.url).stdout)
        assert [(e["format"], e["data"]["note"]) for e in by_cli] == [("avro", "bison")]
        bison = EventFilter(text="bison")
        client = RegistryClient(RegistrySettings(registry.url))
        try:
            with EventLog(db, create=False) as log:
                (kept, *_) = log.events()
                assert kept.undecoded and "--schema-registry" in (kept.error or "")
                assert log.search(bison).events == []  # bytes: nothing to find yet
                found = log.search(bison, redecoder=Redecoder(client)).events
                assert [(e.format, e.data["note"], e.key) for e in found] == [
                    ("avro", "bison", "o-1")
                ]
                # The log resolved itself: a search without the registry finds it now.
                assert [e.data["orderId"] for e in log.search(bison).events] == ["o-1"]
                assert log.undecoded_rows() == []
        finally:
            client.close()


def test_events_of_a_type_known_only_once_decoded_through_the_profiles_registry(
    profile: ConnectionProfile, topic_name: str, env: dict[str, str], tmp_path: Path
) -> None:
    db = str(tmp_path / "events.db")
    with SchemaRegistryServer() as registry:
        asyncio.run(create_topic(profile.bootstrap_servers, topic_name))
        produce_notes(profile.bootstrap_servers, topic_name, registry)
        eventflow(env, *tail_args(profile.bootstrap_servers, topic_name), "--quiet", "--db", db)
        typed = ("events", "--db", db, "--json", "--type", "com.acme.NoteTaken")
        # Undecoded, their type is their topic: none has the record's name yet.
        assert json.loads(eventflow(env, *typed).stdout) == []
        # The registry added to a profile, as the undecoded reason says to.
        eventflow(
            env, "profiles", "add", "shop", "--bootstrap", profile.bootstrap_servers,
            "--schema-registry", registry.url,
        )  # fmt: skip
        listed = json.loads(eventflow(env, *typed, "--profile", "shop").stdout)
    assert [e["data"]["note"] for e in listed] == NOTES[::-1]
    assert {e["format"] for e in listed} == {"avro"}
    unknown = eventflow(env, "events", "--db", db, "--profile", "nope", check=False)
    assert unknown.returncode == 1 and "nope" in unknown.stderr
