"""The schema an event was decoded with, found again (through the registry client against
the tests' registry, or a local schema file) and written for people: Avro and JSON
Schema indented, Protobuf as .proto text that builds the same descriptor again."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2

from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.formats.proto_text import parse_proto
from monitor.core.formats.schema_display import SchemaRequest, find_schema, readable_schema
from monitor.core.formats.schemas import (
    AVRO,
    PROTOBUF,
    LocalSchemas,
    Schema,
    SchemaFile,
    SchemaSources,
    Unavailable,
)
from tests.adapters.schema_registry_server import SchemaRegistryServer

SHOP_PROTO = """
syntax = "proto3";
package acme.shop;
import "google/protobuf/timestamp.proto";

enum Channel { WEB = 0; STORE = 1; }

message Order {
  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
  enum State { NEW = 0; PAID = 1; }
  string id = 1;
  repeated Line lines = 2;
  map<string, string> labels = 3;
  optional string note = 4;
  oneof payer {
    string customer_id = 5;
    string company_id = 6;
  }
  google.protobuf.Timestamp at = 7;
  State state = 8;
  Channel channel = 9;
}
"""
ORDER_AVSC = {
    "type": "record",
    "name": "Order",
    "namespace": "com.acme",
    "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "com.acme.Money"}],
}
MONEY_AVSC = {
    "type": "record",
    "name": "Money",
    "namespace": "com.acme",
    "fields": [{"name": "cents", "type": "long"}],
}


def resolved(fdp: Any) -> Any:
    """The descriptor as protoc (and a registry's serialized form) has it: every type
    name fully qualified, as a pool that built it writes it back."""
    pool = descriptor_pool.DescriptorPool()
    wkt = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(wkt)
    pool.Add(wkt)
    pool.Add(fdp)
    out = descriptor_pb2.FileDescriptorProto()
    pool.FindFileByName(fdp.name).CopyToProto(out)
    return out


def test_a_serialized_protobuf_schema_reads_as_proto_text_that_builds_it_again() -> None:
    original = resolved(parse_proto(SHOP_PROTO, "acme/shop.proto"))
    serialized = base64.b64encode(original.SerializeToString()).decode()
    text = readable_schema(Schema(PROTOBUF, serialized, id=3, subject="orders-value"))

    for line in (
        'syntax = "proto3";',
        "package acme.shop;",
        'import "google/protobuf/timestamp.proto";',
        "message Order {",
        "  message Line {",
        "    string sku = 1;",
        "  repeated Order.Line lines = 2;",
        "  map<string, string> labels = 3;",
        "  optional string note = 4;",
        "  oneof payer {",
        "    string customer_id = 5;",
        "  google.protobuf.Timestamp at = 7;",
        "  enum State {",
        "  Channel channel = 9;",
    ):
        assert line in text.splitlines(), (line, text)
    assert "LabelsEntry" not in text  # a map's entry type is not something people wrote
    assert "_note" not in text  # nor the oneof proto3 makes for an optional field
    # What is shown is a schema: read back, it builds the very same descriptor.
    assert resolved(parse_proto(text, "acme/shop.proto")) == original


def test_proto_text_from_a_file_or_registry_is_shown_as_it_came() -> None:
    assert readable_schema(Schema(PROTOBUF, SHOP_PROTO)) == SHOP_PROTO.strip() + "\n"


def test_avro_is_indented_and_the_schemas_it_references_follow_it() -> None:
    money = Schema(AVRO, json.dumps(MONEY_AVSC), subject="money-value", version=2)
    order = Schema(
        AVRO,
        json.dumps(ORDER_AVSC, separators=(",", ":")),
        subject="orders-value",
        references={"com.acme.Money": money},
    )
    text = readable_schema(order)
    first, second = text.split("\n\n// referenced as com.acme.Money: money-value v2\n")
    assert json.loads(first) == ORDER_AVSC and '\n  "name": "Order",' in first
    assert json.loads(second) == MONEY_AVSC and '\n      "name": "cents",' in second


def registered(registry: SchemaRegistryServer) -> int:
    body = registry.state.register("orders-value", {"schema": json.dumps(ORDER_AVSC)})
    return int(body["id"])


def test_the_registry_s_schema_is_waited_for_without_blocking_and_asked_once() -> None:
    with SchemaRegistryServer() as registry:
        schema_id = registered(registry)
        client = RegistryClient(RegistrySettings(registry.url))
        request = SchemaRequest({"id": schema_id, "subject": "orders-value"}, "orders")

        async def twice() -> tuple[Any, Any, int]:
            ticks = 0

            async def ticking() -> None:  # the loop goes on while the schema is fetched
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.001)

            ticker = asyncio.create_task(ticking())
            registry.state.fault, registry.state.hang_for = "hang", 0.3
            first = await find_schema(client, request)
            ticker.cancel()
            registry.state.fault = None
            return first, await find_schema(client, request), ticks

        try:
            first, again, ticks = asyncio.run(twice())
        finally:
            client.close()
    assert isinstance(first, Schema) and again is first
    assert (first.id, first.subject, first.version) == (schema_id, "orders-value", 1)
    assert ticks > 20  # ran through the 0.3 s the registry took
    assert registry.state.reads == 1


def test_a_missing_or_silent_registry_is_an_answer_with_the_reason() -> None:
    with SchemaRegistryServer() as registry:
        client = RegistryClient(RegistrySettings(registry.url))
        try:
            missing = asyncio.run(find_schema(client, SchemaRequest({"id": 42}, "orders")))
            registry.state.fault, registry.state.hang_for = "hang", 2.0
            silent = asyncio.run(
                find_schema(client, SchemaRequest({"id": 43}, "orders"), give_up_after=0.2)
            )
        finally:
            client.close()
    assert isinstance(missing, Unavailable) and "was not found in the registry" in missing.reason
    assert isinstance(silent, Unavailable)
    assert silent.reason.startswith("schema id 43: being fetched from")
    assert silent.reason.endswith("no answer after 0.2 s")
    unreachable = RegistryClient(RegistrySettings("http://127.0.0.1:9", timeout=1.0))
    try:
        down = asyncio.run(find_schema(unreachable, SchemaRequest({"id": 1}, "orders")))
    finally:
        unreachable.close()
    assert isinstance(down, Unavailable) and "cannot reach the registry" in down.reason


def test_a_local_schema_file_is_found_by_the_event_s_topic(tmp_path: Path) -> None:
    path = tmp_path / "order.avsc"
    path.write_text(json.dumps(ORDER_AVSC))
    local = LocalSchemas([SchemaFile.parse(f"orders.*={path}")])
    unreachable = RegistryClient(RegistrySettings("http://127.0.0.1:9", timeout=1.0))
    sources = SchemaSources([local, unreachable])
    try:
        found = asyncio.run(
            find_schema(sources, SchemaRequest({"subject": path.name}, "orders.eu"))
        )
        other = asyncio.run(find_schema(local, SchemaRequest({"subject": "x"}, "payments")))
    finally:
        unreachable.close()
    assert isinstance(found, Schema) and found.subject == "order.avsc"
    assert json.loads(readable_schema(found)) == ORDER_AVSC
    assert isinstance(other, Unavailable) and "no local schema file matches" in other.reason
