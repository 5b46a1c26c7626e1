"""EventLog.search: newest first, bounded steps that resume where they stopped, the
correlation index for whole ids, cancellation, and a reader that never blocks the log."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.core import event_search, eventlog
from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter
from monitor.core.eventlog import EventLog, LogError
from monitor.core.logwriter import LogWriter

N = 3000
TYPES = ("OrderPlaced", "PaymentAuthorized", "OrderShipped")


def make_events(n: int = N) -> list[Envelope]:
    """``n`` events in chains of three; every 100th order is marked "rare"."""
    events = []
    for i in range(n):
        order = i // 3
        events.append(
            Envelope(
                type=TYPES[i % 3],
                source="test",
                topic=TYPES[i % 3].lower(),
                id=f"evt-{i:05d}",
                time=1_700_000_000.0 + i,
                correlation_id=f"chain-{order:05d}",
                data={"orderId": f"ord-{order:05d}", "rare": order % 100 == 0},
            )
        )
    return events


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    with EventLog(tmp_path / "log.db") as event_log:
        event_log.append(make_events())
        yield event_log


def numbers(events: list[Envelope]) -> list[int]:
    return [int(e.id.split("-")[1]) for e in events]


def test_results_are_newest_first_and_stop_at_the_limit(log: EventLog) -> None:
    page = log.search(EventFilter(type="OrderShipped"), limit=10)
    assert numbers(page.events) == list(range(N - 1, N - 31, -3))
    assert not page.complete and page.next_before is not None
    assert page.span == N
    assert page.searched_back_to == page.events[-1].time


def test_next_before_goes_on_without_gaps_or_repeats(log: EventLog) -> None:
    flt = EventFilter(text='"rare": true')
    expected = [i for i in range(N - 1, -1, -1) if (i // 3) % 100 == 0]
    found: list[int] = []
    before = None
    for _ in range(100):
        page = log.search(flt, before=before, limit=4)
        found += numbers(page.events)
        if page.complete:
            break
        before = page.next_before
    assert found == expected


def test_a_time_budget_returns_early_and_the_next_call_resumes(
    log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_search, "_FIRST_STEP_ROWS", 500)
    flt = EventFilter(text='"rare": true')
    page = log.search(flt, max_seconds=0.0)  # one step of 500 rows, then stop
    assert not page.complete and page.next_before == N + 1 - 500
    found, steps = numbers(page.events), 1
    while not page.complete:
        page = log.search(flt, before=page.next_before, max_seconds=0.0)
        found += numbers(page.events)
        steps += 1
    assert steps == N // 500
    assert found == [i for i in range(N - 1, -1, -1) if (i // 3) % 100 == 0]
    assert page.searched_back_to == 1_700_000_000.0


def test_a_whole_correlation_id_uses_the_index_and_finds_the_chain(log: EventLog) -> None:
    page = log.search(EventFilter(correlation_id="chain-00500"))
    assert page.used_index and page.complete
    assert numbers(page.events) == [1502, 1501, 1500]


def test_the_other_fields_still_apply_on_the_index_path(log: EventLog) -> None:
    page = log.search(EventFilter(correlation_id="chain-00500", type="Payment"))
    assert page.used_index and numbers(page.events) == [1501]
    nothing = log.search(EventFilter(correlation_id="chain-00500", type="Refund"))
    assert nothing.used_index and nothing.complete and nothing.events == []


def test_the_start_of_a_correlation_id_falls_back_to_a_scan(log: EventLog) -> None:
    page = log.search(EventFilter(correlation_id="chain-0050"), limit=100)
    assert not page.used_index and page.complete
    assert numbers(page.events) == list(range(509 * 3 + 2, 500 * 3 - 1, -1))


@pytest.mark.parametrize("limit", [1, 4, 500])
def test_long_steps_read_in_two_halves_give_the_same_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    # Halves of 50 rows and more: every step but the last is split between the search's
    # connection (newer half) and the side one (older half), and a page may be filled
    # from both. The pages must be what one connection reading whole steps gives.
    monkeypatch.setattr(eventlog, "side_scan_worthwhile", lambda: True)
    monkeypatch.setattr(event_search, "_SPLIT_ROWS", 100)
    sides: list[tuple[object, ...]] = []
    read = event_search.SideScan.read

    def counted(self: event_search.SideScan, sql: str, params: tuple[object, ...]) -> Any:
        sides.append(params)
        return read(self, sql, params)

    monkeypatch.setattr(event_search.SideScan, "read", counted)
    flt = EventFilter(text='"rare": true')
    expected = [i for i in range(N - 1, -1, -1) if (i // 3) % 100 == 0]
    with EventLog(tmp_path / "log.db") as split_log:
        split_log.append(make_events())
        found: list[int] = []
        before = None
        for _ in range(200):
            page = split_log.search(flt, before=before, limit=limit, max_seconds=10)
            found += numbers(page.events)
            if page.complete:
                break
            before = page.next_before
        side = split_log._side
        assert side is not None
    assert found == expected
    assert sides, "no step was read in halves"
    # Closing the log ends the side thread with it.
    assert not any(t.name.startswith("log-search") for t in threading.enumerate())


def test_a_set_cancel_event_stops_the_search(log: EventLog) -> None:
    cancel = threading.Event()
    cancel.set()
    page = log.search(EventFilter(type="Order"), cancel=cancel)
    assert page.cancelled and page.events == [] and not page.complete


def test_an_empty_log_and_a_zero_limit_give_empty_complete_pages(tmp_path: Path) -> None:
    with EventLog(tmp_path / "empty.db") as empty:
        page = empty.search(EventFilter(text="x"))
        assert page.events == [] and page.complete and page.span == 0
    with EventLog(tmp_path / "one.db") as one:
        one.append(make_events(1))
        assert one.search(EventFilter(), limit=0).events == []


def test_searching_a_closed_log_is_a_log_error(tmp_path: Path) -> None:
    event_log = EventLog(tmp_path / "log.db")
    event_log.close()
    with pytest.raises(LogError, match="closed"):
        event_log.search(EventFilter(type="x"))


def test_the_search_sees_what_the_writer_commits_after_it_started(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    writer = LogWriter(str(path))
    try:
        with EventLog(path) as event_log:
            assert event_log.search(EventFilter()).events == []  # the reader is open now
            writer.submit_events(make_events(30))
            assert writer.flush(timeout=10)
            assert len(event_log.search(EventFilter(type="OrderPlaced")).events) == 10
    finally:
        writer.close()


def test_a_search_does_not_hold_the_logs_own_connection(log: EventLog) -> None:
    # The search reads through its own connection: the shared one stays free meanwhile.
    release = threading.Event()
    entered = threading.Event()

    def hold_the_reader() -> None:
        with log._reading():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold_the_reader)
    thread.start()
    try:
        assert entered.wait(5)
        assert log.count_events() == N  # would wait for the lock if they were shared
    finally:
        release.set()
        thread.join()


def test_free_text_finds_records_by_their_schema_live_and_in_the_log(tmp_path: Path) -> None:
    schema = {"id": 42, "subject": "orders-value", "name": "com.shop.OrderPlaced"}
    avro = Envelope(
        type="com.shop.OrderPlaced",
        source="kafka",
        topic="orders",
        data={"total": "12.50"},
        format="avro",
        schema=schema,
    )
    plain = Envelope(type="OrderPlaced", source="kafka", topic="orders", data={"total": 3})
    with EventLog(tmp_path / "log.db") as log:
        log.append([avro, plain])
        for text in ("orders-value", "ORDERS-VALUE", "com.shop.orderplaced"):
            flt = EventFilter(text=text)
            assert [e.id for e in log.search(flt, limit=10).events] == [avro.id], text
            assert flt.matches(avro) and not flt.matches(plain), text
