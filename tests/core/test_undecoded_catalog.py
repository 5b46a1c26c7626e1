"""The catalog after a late decode: events logged undecoded were learnt under their topic
(no fields); once they are decoded in the log, the stored catalog and a running host's
catalog are built again from the log, and list the decoded type with its fields."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.core.catalog.store import CatalogStore, build_catalog
from monitor.core.catalog.watch import CatalogWatch
from monitor.core.eventlog import EventLog
from monitor.core.formats.schemas import LocalSchemas, SchemaFile
from monitor.core.redecode import Redecoder
from tests.core.test_redecode import ORDER, TOPIC, decoded

DECODED_TYPE = "com.acme.OrderPlaced"


@pytest.fixture
def schemas(tmp_path: Path) -> LocalSchemas:
    """The order schema for the topic's values and a string schema for its keys."""
    order, key = tmp_path / "order.avsc", tmp_path / "key.avsc"
    order.write_text(json.dumps(ORDER))
    key.write_text('"string"')
    return LocalSchemas([SchemaFile(TOPIC, str(order)), SchemaFile(TOPIC, str(key), True)])


def fields_of(catalog_summary: dict[str, object], type_: str) -> list[str]:
    for t in catalog_summary["event_types"]:  # type: ignore[attr-defined]
        if t["type"] == type_:
            return sorted((t["schema"].get("properties") or {}).keys())
    raise AssertionError(f"{type_} is not in the catalog")


def test_the_stored_catalog_is_rebuilt_once_events_are_decoded_late(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    path = str(tmp_path / "events.db")
    with EventLog(path) as log:
        log.append(decoded(None))
    assert set(build_catalog(path).entries) == {TOPIC}
    with EventLog(path) as log:
        log.events(redecoder=Redecoder(schemas))  # listed decoded, stored so
        assert not log.undecoded_rows()
    catalog = build_catalog(path)
    assert set(catalog.entries) == {DECODED_TYPE}
    assert fields_of(catalog.summary(), DECODED_TYPE) == ["correlationId", "note", "orderId"]
    assert catalog.entries[DECODED_TYPE].count == 3
    store = CatalogStore(path)
    try:
        assert store.rebuild_asked() is None  # stored rebuilt: read back as it is now
    finally:
        store.close()
    assert set(build_catalog(path).entries) == {DECODED_TYPE}


def test_a_running_catalog_takes_the_rebuilt_one_at_its_next_save(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    path = str(tmp_path / "events.db")
    with EventLog(path) as log:
        log.append(decoded(None))

    async def scenario() -> tuple[set[str], set[str], set[str]]:
        watch = CatalogWatch(path)
        await watch.open()
        before = set(watch.catalog.entries)
        await watch.save()
        with EventLog(path) as log:
            log.events(redecoder=Redecoder(schemas))
        await watch.save()  # the log asked for a rebuild: not the stale catalog stored
        after = set(watch.catalog.entries)
        await watch.stop()
        return before, after, set(build_catalog(path).entries)

    before, after, stored = asyncio.run(scenario())
    assert before == {TOPIC}
    assert after == {DECODED_TYPE} and stored == {DECODED_TYPE}
