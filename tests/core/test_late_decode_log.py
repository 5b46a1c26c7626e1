"""Late decoding in the log, when the registry is slow or silent and when only a key
waits for its schema: a search waiting for the registry holds up no other search and no
close, and stops when cancelled; a listing reads the log in chunks and waits once; a key
left undecoded is decoded once its schema can be had. Real SQLite, the tests' registry."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core import undecoded_log
from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter
from monitor.core.event_search import SearchPage
from monitor.core.eventlog import EventLog, LogError
from monitor.core.formats.framing import SchemaRef, frame_v0
from monitor.core.formats.schemas import LocalSchemas, SchemaAnswer, SchemaFile
from monitor.core.redecode import Redecoder, can_redecode, redecode
from monitor.core.undecoded_log import decode_logged
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.core.test_redecode import ORDER, RECORDS, TOPIC, avro, decoded
from tests.core.test_schema_wait import Silent

ZEBRA = EventFilter(text="zebra")


def wait_until(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Searching:
    """A search with a redecoder, in a thread of its own (as the window runs it)."""

    def __init__(self, log: EventLog, redecoder: Redecoder) -> None:
        self.cancel = threading.Event()
        self.page: SearchPage | None = None
        self.error: BaseException | None = None
        self.ended_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(log, redecoder))
        self._thread.start()

    def _run(self, log: EventLog, redecoder: Redecoder) -> None:
        try:
            self.page = log.search(ZEBRA, redecoder=redecoder, cancel=self.cancel)
        except BaseException as exc:
            self.error = exc
        self.ended_at = time.monotonic()

    def join(self) -> None:
        self._thread.join(10)
        assert not self._thread.is_alive()


@pytest.fixture
def silent_registry() -> Any:
    """A registry client whose registry does not answer (for longer than its timeout)."""
    with SchemaRegistryServer() as registry:
        registry.state.fault, registry.state.hang_for = "hang", 8.0
        client = RegistryClient(RegistrySettings(registry.url))
        try:
            yield registry, client
        finally:
            client.close()


def test_a_search_waiting_for_the_registry_holds_up_no_other_search_and_stops_when_cancelled(
    silent_registry: Any, tmp_path: Path
) -> None:
    registry, client = silent_registry
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        first = Searching(log, Redecoder(client))
        wait_until(lambda: registry.state.reads >= 1)  # it asked, and waits for the answer
        started = time.monotonic()
        assert log.search(ZEBRA).events == []  # bytes: nothing to find, and no wait
        # Bounds far below the registry's hang (8 s), so a busy machine does not fail them.
        assert time.monotonic() - started < 3
        cancelled_at = time.monotonic()
        first.cancel.set()
        first.join()
        assert first.error is None and first.page is not None
        assert first.ended_at - cancelled_at < 3
        assert first.page.cancelled and first.page.events == []
        assert len(log.undecoded_rows()) == 3  # left for a later search


def test_a_search_waiting_for_the_registry_holds_up_no_close(
    silent_registry: Any, tmp_path: Path
) -> None:
    registry, client = silent_registry
    log = EventLog(tmp_path / "events.db")
    try:
        log.append(decoded(None))
        search = Searching(log, Redecoder(client))
        wait_until(lambda: registry.state.reads >= 1)
        started = time.monotonic()
        log.close()
        assert time.monotonic() - started < 3
        search.join()
        # It ends soon (a search waits for the registry briefly), saying the log closed.
        assert search.ended_at - started < undecoded_log.SEARCH_WAIT + 1
        assert search.page is None and isinstance(search.error, LogError)
        assert "closed" in str(search.error)
    finally:
        log.close()


def test_a_search_waits_for_a_silent_registry_briefly_and_looks_again_next_time(
    silent_registry: Any, tmp_path: Path
) -> None:
    registry, client = silent_registry
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        # A window searching page by page passes what is left of one wait: once it is
        # spent, a page reads on at once and says what it left undecoded.
        started = time.monotonic()
        page = log.search(ZEBRA, redecoder=Redecoder(client), schema_wait=0)
        assert time.monotonic() - started < 0.5 and page.undecoded_left == 3
        started = time.monotonic()
        page = log.search(ZEBRA, redecoder=Redecoder(client))
        assert time.monotonic() - started < undecoded_log.SEARCH_WAIT + 2  # not the 8 s hang
        assert page.events == [] and not page.cancelled
        assert page.undecoded_left == 3  # not searched inside, and the page says so
        # Not taken for decoded: with the schemas at hand, the next search finds it.
        registry.state.fault = None
        client.close()
        local = order_schemas(tmp_path)
        assert [
            e.data["orderId"] for e in log.search(ZEBRA, redecoder=Redecoder(local)).events
        ] == ["o-1"]


def order_schemas(tmp_path: Path, *, key: bool = True) -> LocalSchemas:
    """The order schema for the topic's values and, with ``key``, a string key schema."""
    order = tmp_path / "order.avsc"
    order.write_text(json.dumps(ORDER))
    files = [SchemaFile(TOPIC, str(order))]
    if key:
        key_file = tmp_path / "key.avsc"
        key_file.write_text('"string"')
        files.append(SchemaFile(TOPIC, str(key_file), True))
    return LocalSchemas(files)


class Counting:
    """A source that has no schema at all, counting what it is asked."""

    def __init__(self) -> None:
        self.source = LocalSchemas([])
        self.lookups = 0

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        self.lookups += 1
        return self.source.lookup(ref, topic, is_key)

    def when_settled(self, callback: Callable[[], None]) -> None:
        self.source.when_settled(callback)

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return self.source.claims(topic, is_key)


def test_a_listing_by_type_reads_the_log_in_chunks_and_tries_each_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(undecoded_log, "CHUNK_ROWS", 2)
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None) + decoded(None))
        read: list[int] = []
        rows_of = log.undecoded_rows

        def counting(**kwargs: Any) -> Any:
            rows = rows_of(**kwargs)
            read.append(len(rows))
            return rows

        log.undecoded_rows = counting  # type: ignore[method-assign]
        # No schema to be had: each row is tried once, and listed as it is.
        once = Counting()
        Redecoder(once).resolve_blocking(decoded(None) * 2, wait=0)
        none = Counting()
        typed = log.events(type=TOPIC, redecoder=Redecoder(none))
        assert [e.undecoded for e in typed] == [True] * 6
        assert none.lookups == once.lookups
        assert max(read) <= 2 and sum(read) == 6
        # With the schemas: the whole log is decoded, a chunk at a time.
        read.clear()
        ordered = Redecoder(order_schemas(tmp_path))
        assert len(log.events(type="com.acme.OrderPlaced", redecoder=ordered)) == 6
        assert max(read) <= 2
        assert log.undecoded_rows() == []


def test_a_listing_waits_for_a_silent_registry_once_not_once_a_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(undecoded_log, "CHUNK_ROWS", 1)
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        started = time.monotonic()
        found = decode_logged(log, Redecoder(Silent()), wait=1.0)
        assert time.monotonic() - started < 2.5  # three chunks, one wait of 1 s (not 3)
        assert found == (3, 0)


def key_waiting(value_schemas: LocalSchemas | None) -> list[Envelope]:
    """Records whose key is undecoded: a JSON value with a schema-framed key, and the
    order records decoded with ``value_schemas`` (their value's schema, not their key's)."""
    json_value = decode_record(
        b'{"type": "OrderNoted", "id": "n-1", "note": "zebra"}',
        [],
        key=frame_v0(8, avro("string", "n-1")),
        topic=TOPIC,
        partition=0,
        offset=9,
        timestamp_ms=1796551300000,
    )
    value, headers, key, stamp = RECORDS[1]
    order = decode_record(
        value, headers, key=key, topic=TOPIC, partition=2, offset=1, timestamp_ms=stamp,
        schemas=value_schemas,
    )  # fmt: skip
    return [json_value, order]


def test_a_key_left_undecoded_is_decoded_once_its_schema_can_be_had(tmp_path: Path) -> None:
    json_value, order = key_waiting(order_schemas(tmp_path, key=False))
    assert json_value.format == "json" and json_value.key_format == "undecoded"
    assert order.format == "avro" and order.key_format == "undecoded"
    assert json_value.raw is None and order.raw is None  # the values' bytes are gone
    assert can_redecode(json_value) and can_redecode(order)
    schemas = order_schemas(tmp_path)
    for event in (json_value, order):
        again = redecode(event, schemas)
        assert again.key_format == "avro" and again.key_schema is not None
        assert again.data == event.data and again.id == event.id and again.type == event.type
    assert redecode(json_value, schemas).key == "n-1"
    assert redecode(order, schemas).key == "o-2"
    better = Redecoder(schemas).resolve_blocking([json_value, order], wait=0)
    assert [better[i].key for i in (0, 1)] == ["n-1", "o-2"]


def test_the_log_decodes_a_key_left_undecoded_and_remembers_only_whole_decodes(
    tmp_path: Path,
) -> None:
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None)[1:2])  # value and key undecoded
        # A source with the value's schema only: the value is decoded, the key is not.
        value_only = Redecoder(order_schemas(tmp_path, key=False))
        found = log.search(EventFilter(text="yak"), redecoder=value_only)
        assert [(e.format, e.key_format) for e in found.events] == [("avro", "undecoded")]
        ((_, stored),) = log.undecoded_rows()
        assert stored.raw is None and stored.key_format == "undecoded"
        # The range was not taken for decoded: a search with the key's schema decodes it.
        found = log.search(EventFilter(text="yak"), redecoder=Redecoder(order_schemas(tmp_path)))
        assert [(e.format, e.key_format, e.key) for e in found.events] == [("avro", "avro", "o-2")]
        assert log.undecoded_rows() == []
        (listed,) = log.events()
        assert listed.key == "o-2" and listed.data["note"] == "yak"


def test_a_listing_with_a_silent_registry_stores_that_it_did_not_answer(
    silent_registry: Any, tmp_path: Path
) -> None:
    """The late decode waits past the registry client's own timeout, so the row's reason
    becomes the registry's silence, not the "no registry is configured" it was logged with."""
    _registry, client = silent_registry
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        assert all("no schema registry" in (e.error or "") for _, e in log.undecoded_rows())
        decode_logged(log, Redecoder(client))
        reasons = {e.error for _, e in log.undecoded_rows()}
    assert len(reasons) == 1
    assert "did not answer within 5 s" in reasons.pop()
