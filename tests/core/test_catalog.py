"""The event catalog: types, topics, producers, consumers, versions, schema and drift,
learnt from events, stored in a real event log and brought up to date from it."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from monitor.core.catalog import store as store_module
from monitor.core.catalog.catalog import DUTY_SECONDS, Catalog
from monitor.core.catalog.store import CatalogStore, build_catalog
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.pipeline import IngestPipeline
from monitor.core.runtime import EmbeddedRuntime
from tests.core.catalog_events import T0, event


def test_a_type_lists_its_topics_producers_versions_and_counts() -> None:
    catalog = Catalog()
    catalog.observe([event(topic="orders"), event(topic="orders.eu", source="shop/eu")])
    catalog.observe([event(version="urn:test:2", headers={"x-producer": "legacy-app"})])
    [entry] = catalog.summary()["event_types"]
    assert entry["type"] == "OrderPlaced"
    assert entry["count"] == 3
    assert entry["topics"] == ["orders", "orders.eu"]
    assert entry["producers"] == ["legacy-app", "shop/eu", "shop/storefront"]
    assert [(v["version"], v["count"]) for v in entry["versions"]] == [
        ("urn:test:1", 2),
        ("urn:test:2", 1),
    ]
    assert entry["first_seen"] < entry["last_seen"]


def test_the_inferred_schema_says_which_fields_are_always_there_and_their_types() -> None:
    catalog = Catalog()
    catalog.observe(
        [
            event(data={"orderId": "o-1", "total": 10, "note": "gift"}),
            event(data={"orderId": "o-2", "total": 12.5}),
        ]
    )
    schema = catalog.entries["OrderPlaced"].schema()
    assert schema["required"] == ["orderId", "total"]
    assert schema["properties"]["total"]["type"] == "number"  # integer and number: number
    assert schema["properties"]["note"] == {"type": "string", "examples": ["gift"]}


def test_the_version_comes_from_a_payload_field_when_no_attribute_names_one() -> None:
    catalog = Catalog()
    catalog.observe([event(version=None, data={"schemaVersion": 3, "orderId": "o"})])
    assert catalog.entries["OrderPlaced"].versions == {"3": 1}


def test_consumers_are_the_handlers_of_the_topics_a_type_flows_on() -> None:
    catalog = Catalog(consumers_of=lambda topic: ["billing"] if topic == "orders" else [])
    catalog.observe([event(topic="orders"), event("OrderShipped", topic="shipping")])
    by_type = {t["type"]: t["consumers"] for t in catalog.summary()["event_types"]}
    assert by_type == {"OrderPlaced": ["billing"], "OrderShipped": []}


def test_drift_from_a_producer_that_adds_a_field_and_changes_anothers_type_mid_run(
    tmp_path: Path,
) -> None:
    """Published on the embedded bus while the runtime runs: the drift is stored in the
    log with the first event that showed each change."""
    db = tmp_path / "log.db"

    async def run() -> tuple[str, str]:
        runtime = EmbeddedRuntime(db, demo_rate=None)
        await runtime.start()
        for i in range(5):
            await runtime.bus.publish(event(data={"orderId": f"o-{i}", "total": 10.0}), "orders")
        changed = event(data={"orderId": 7, "total": 11.0, "coupon": "XMAS"})
        await runtime.bus.publish(changed, "orders")
        for i in range(3):  # the new shape goes on: no further drift
            await runtime.bus.publish(event(data={"orderId": i, "total": 1.0, "coupon": ""}))
        later = event(data={"orderId": 9, "total": 1.0})  # the coupon goes away again
        await runtime.bus.publish(later, "orders")
        await runtime.stop()
        return changed.id, later.id

    changed_id, later_id = asyncio.run(run())
    drift = build_catalog(str(db)).summary()["event_types"][0]["drift"]
    assert [(d["change"], d["field"], d["event_id"]) for d in drift] == [
        ("changed", "orderId", changed_id),
        ("added", "coupon", changed_id),
        ("removed", "coupon", later_id),
    ]
    assert drift[0]["from"] == "string" and drift[0]["to"] == "integer"
    assert drift[0]["at"].endswith("Z")


def test_a_stored_catalog_catches_up_with_events_logged_after_it_was_saved(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "log.db")
    with EventLog(db) as log:
        log.append([event() for _ in range(4)])
    assert build_catalog(db).entries["OrderPlaced"].count == 4
    with EventLog(db) as log:
        log.append([event(), event("OrderShipped")])
    catalog = build_catalog(db)  # the stored 4, plus the 2 logged since: none twice
    assert {t: e.count for t, e in catalog.entries.items()} == {
        "OrderPlaced": 5,
        "OrderShipped": 1,
    }
    store = CatalogStore(db)
    try:
        reread = Catalog()
        assert store.load(reread) == store.last_seq()
        assert reread.entries["OrderPlaced"].count == 5
    finally:
        store.close()


def test_since_builds_the_catalog_of_what_was_logged_since_then_and_stores_nothing(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "log.db")
    with EventLog(db) as log:
        log.append([event("OldType")])
    with EventLog(db) as log:
        log.append([event("NewType")])
        cutoff = log._query("SELECT logged_at FROM events ORDER BY seq DESC LIMIT 1")[0][0]
    recent = build_catalog(db, since=cutoff)
    assert list(recent.entries) == ["NewType"]
    store = CatalogStore(db)
    try:
        assert store.load(Catalog()) == 0  # nothing was stored by the --since build
    finally:
        store.close()


def test_a_fast_stream_is_counted_whole_but_analysed_as_a_sample() -> None:
    catalog = Catalog(detail_per_second=100, clock=lambda: 1000.0)
    batch = [event(data={"orderId": str(i), "total": 1.0}) for i in range(1000)]
    catalog.observe(batch[:50])
    catalog.observe(batch[50:])
    entry = catalog.entries["OrderPlaced"]
    assert entry.count == 1000
    assert 50 < entry.analysed < 1000
    assert entry.rate(1000.0) == 1000 / 60


def test_the_rate_is_taken_over_the_time_watched_when_that_is_under_a_minute() -> None:
    now = [1000.0]
    catalog = Catalog(clock=lambda: now[0])
    for second in range(20):  # 10 events a second for 20 s
        now[0] = 1000.0 + second
        catalog.observe([event(data={"orderId": f"{second}-{i}"}) for i in range(10)])
    now[0] = 1020.0
    [summary] = catalog.summary()["event_types"]
    assert summary["rate"] == 10.0  # 200 events over the 20 s watched, not over 60
    now[0] = 1100.0  # quiet for a while: over the last minute, none
    assert catalog.summary()["event_types"][0]["rate"] == 0.0


def test_a_stream_of_thousands_a_second_is_analysed_one_second_in_four() -> None:
    now = [1001.0]  # not a multiple of DUTY_SECONDS
    catalog = Catalog(detail_per_second=100, clock=lambda: now[0])
    batch = [event(key=f"k{i}", data={"orderId": str(i)}) for i in range(1000)]
    catalog.observe(batch)  # its rate is not known yet: analysed as a sample
    entry = catalog.entries["OrderPlaced"]
    before = entry.analysed
    catalog.observe(batch)  # 2,000 this second: faster than 4 seconds' budget (400)
    assert entry.analysed == before and entry.count == 2000  # counted, not analysed
    now[0] = 1004.0  # a second of the cycle's: analysed, with four seconds' budget
    catalog.observe(batch)
    catalog.observe(batch)
    assert before < entry.analysed <= before + 2 * DUTY_SECONDS * 100
    assert entry.count == 4000


def test_repeats_within_one_batch_count_once_each() -> None:
    catalog = Catalog()
    once = event()
    catalog.observe([once, event(), once, once])
    assert catalog.deliveries.duplicates_by_type == {"OrderPlaced": 2}


def test_a_kafka_record_read_again_is_not_a_second_delivery() -> None:
    catalog = Catalog()
    record = dataclasses.replace(event(), topic="orders", partition=0, offset=7)
    catalog.observe([record])
    catalog.observe([dataclasses.replace(record)])  # a tail run again reads it again
    assert catalog.deliveries.duplicates_by_type == {}
    catalog.observe([dataclasses.replace(record, offset=9)])  # sent again: a new record
    assert catalog.deliveries.duplicates_by_type == {"OrderPlaced": 1}


def test_a_payload_that_is_not_an_object_has_a_schema_of_its_type() -> None:
    catalog = Catalog()
    catalog.observe([Envelope(type="Ping", source="x", data="hello", topic="t")])
    assert catalog.entries["Ping"].schema() == {"type": "string"}


def test_a_large_log_is_counted_exactly_and_analysed_as_an_even_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "FULL_ANALYSIS", 10)  # "large" from 11 events on
    db = str(tmp_path / "log.db")
    events = [event(data={"orderId": str(i), "total": 1.0}, topic=f"t{i % 3}") for i in range(30)]
    events += [event(data={"orderId": i, "total": 1.0}, topic="t0") for i in range(10)]
    with EventLog(db) as log:
        log.append(events)
    catalog = build_catalog(db)
    entry = catalog.entries["OrderPlaced"]
    assert entry.count == 40 and catalog.total == 40
    assert entry.analysed <= 20
    assert entry.topics == {"t0": 20, "t1": 10, "t2": 10}
    assert entry.producers == {"shop/storefront": 40}
    assert (entry.first_seen, entry.last_seen) == (events[0].time, events[-1].time)
    assert [(d["change"], d["field"]) for d in entry.drift] == [("changed", "orderId")]
    with EventLog(db) as log:  # a small catch-up afterwards is analysed in full again
        log.append([event("OrderShipped")])
    assert build_catalog(db).entries["OrderShipped"].analysed == 1


def test_a_sampled_stream_still_catches_repeats_and_keys_going_backwards() -> None:
    """A fast stream is sampled by entity: both deliveries of a repeated event, and every
    event of a sampled key, are analysed together."""
    catalog = Catalog(detail_per_second=200, clock=lambda: 1000.0)
    batch = []
    for n in range(2000):
        e = event(key=f"k{n}", at=T0 + n)
        batch += [e, e]  # delivered twice, one right after the other
    late = [event(key=f"k{n}", at=T0 - 1) for n in range(2000)]  # each key goes backwards
    catalog.observe(batch)
    catalog.observe(late)
    entry = catalog.entries["OrderPlaced"]
    assert entry.count == 6000 and entry.analysed < 6000
    repeats = catalog.deliveries.duplicates_by_type["OrderPlaced"]
    backwards = catalog.entities.backwards["OrderPlaced"]
    # A sampled key's two deliveries were analysed together, and the keys sampled in the
    # second batch (a part of the first's) all went back.
    assert repeats > 0 and 0 < backwards <= repeats
    assert entry.analysed == 2 * repeats + backwards


def test_types_are_counted_from_the_live_stats_totals_when_the_pipeline_keeps_them() -> None:
    pipeline = IngestPipeline()
    catalog = Catalog(type_totals=pipeline.stats.totals_by_type)
    pipeline.add_observer(catalog)
    pipeline.accept_many([event(), event("OrderShipped"), event()])
    pipeline.flush()
    pipeline.accept_many([event("OrderShipped")])
    pipeline.flush()
    assert {t: e.count for t, e in catalog.entries.items()} == {
        "OrderPlaced": 2,
        "OrderShipped": 2,
    }
    catalog.observe([event("Lone")])  # a batch the stats did not see: counted by itself
    assert catalog.entries["Lone"].count == 1
    pipeline.accept_many([event()])
    pipeline.flush()
    assert catalog.entries["OrderPlaced"].count == 3
