"""EventFilter: what each field matches, in memory and in SQL, and that the two agree."""

from __future__ import annotations

import json
import re
import sqlite3
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter, SearchTextCache, like_contains, search_texts
from monitor.core.eventlog import EVENT_COLUMNS, INSERT_EVENT, EventLog, event_row
from monitor.core.json_text import to_json


def ev(type_: str = "OrderPlaced", **kw: object) -> Envelope:
    kw.setdefault("topic", "orders.placed")
    kw.setdefault("source", "demo-shop/storefront")
    return Envelope(type=type_, **kw)  # type: ignore[arg-type]


SAMPLE = [
    ev(data={"orderId": "ord-1", "qty": 2}, correlation_id="aaaa-1111", id="e1"),
    ev(
        "PaymentAuthorized",
        topic="payments.authorized",
        source="demo-shop/payments",
        data={"orderId": "ord-1", "amount": 12.5},
        headers={"traceparent": "00-abc-def-01", "X-Tenant": "ACME"},
        correlation_id="aaaa-1111",
        id="e2",
    ),
    ev("PaymentFailed", topic="payments.failed", data={"reason": "card declined"}, id="e3"),
    ev(data={"note": "café 100% «ok»", "path": "C:\\tmp"}, id="e4", correlation_id="bbbb-2222"),
    ev(
        "",
        topic="orders.raw",
        source="kafka://local",
        malformed=True,
        error="payload is not JSON",
        raw=b"garbage{ord-9\x00hidden",
        data=None,
        id="e5",
    ),
    ev(data='plain "quoted" text_with_underscore', id="e6", correlation_id="cccc-3333"),
    ev(data=None, headers={"k": "v"}, id="e7"),
]


def ids(events: list[Envelope], flt: EventFilter) -> list[str]:
    match = flt.matcher()
    return [e.id for e in events if match(e)]


@pytest.fixture
def log() -> Iterator[EventLog]:
    with EventLog(":memory:") as event_log:
        event_log.append(SAMPLE)
        yield event_log


def searched(log: EventLog, flt: EventFilter) -> list[str]:
    return sorted(e.id for e in log.search(flt, limit=1000).events)


def test_an_empty_filter_matches_everything_and_says_so() -> None:
    flt = EventFilter()
    assert flt.is_empty
    assert ids(SAMPLE, flt) == [e.id for e in SAMPLE]
    assert flt.describe() == "no filter"
    assert flt.sql() == ("1", [])


def test_type_and_source_match_a_part_ignoring_case() -> None:
    assert ids(SAMPLE, EventFilter(type="payment")) == ["e2", "e3"]
    assert ids(SAMPLE, EventFilter(source="kafka")) == ["e5"]
    # a malformed record has no type: a type filter leaves it out
    assert "e5" not in ids(SAMPLE, EventFilter(type="o"))


def test_all_given_fields_must_match() -> None:
    flt = EventFilter(type="payment", topic="payments.failed")
    assert ids(SAMPLE, flt) == ["e3"]


def test_correlation_matches_the_start_of_the_chain_id_case_sensitively() -> None:
    assert ids(SAMPLE, EventFilter(correlation_id="aaaa")) == ["e1", "e2"]
    assert ids(SAMPLE, EventFilter(correlation_id="AAAA")) == []
    assert ids(SAMPLE, EventFilter(correlation_id="1111")) == []  # start, not anywhere
    # an event without a correlation id is its own chain: its id counts
    assert ids(SAMPLE, EventFilter(correlation_id="e3")) == ["e3"]


def test_text_searches_payload_json_and_header_names_and_values() -> None:
    assert ids(SAMPLE, EventFilter(text="ord-1")) == ["e1", "e2"]
    assert ids(SAMPLE, EventFilter(text='"qty": 2')) == ["e1"]
    assert ids(SAMPLE, EventFilter(text='"qty":2')) == ["e1"]
    assert ids(SAMPLE, EventFilter(text='"qty": 3')) == []
    assert ids(SAMPLE, EventFilter(text="x-tenant")) == ["e2"]
    assert ids(SAMPLE, EventFilter(text="acme")) == ["e2"]
    assert ids(SAMPLE, EventFilter(text="DECLINED")) == ["e3"]


def test_text_finds_non_ascii_and_quotes_as_the_log_stores_them() -> None:
    assert ids(SAMPLE, EventFilter(text="café")) == ["e4"]
    assert ids(SAMPLE, EventFilter(text="«ok»")) == ["e4"]
    assert ids(SAMPLE, EventFilter(text='"note": "café')) == ["e4"]
    # Case beyond ASCII: all lower or all upper case finds it too (LIKE folds ASCII only).
    assert ids(SAMPLE, EventFilter(text='"note":"CAFÉ')) == ["e4"]
    assert ids(SAMPLE, EventFilter(text="CAFÉ 100% «OK»")) == ["e4"]
    assert ids(SAMPLE, EventFilter(text="cAfÉ")) == ["e4"]  # its lower case is café
    assert ids(SAMPLE, EventFilter(text="CAFÈ")) == []  # another letter stays another
    assert ids(SAMPLE, EventFilter(text='"quoted"')) == ["e6"]


def test_like_wildcards_in_the_text_are_taken_literally() -> None:
    assert ids(SAMPLE, EventFilter(text="100%")) == ["e4"]
    assert ids(SAMPLE, EventFilter(text="text_with")) == ["e6"]
    assert ids(SAMPLE, EventFilter(text="t_xt")) == []
    assert like_contains("a%b_c\\") == "%a\\%b\\_c\\\\%"


def test_text_searches_a_malformed_records_reason_and_raw_bytes() -> None:
    assert ids(SAMPLE, EventFilter(text="not json")) == ["e5"]
    assert ids(SAMPLE, EventFilter(text="ord-9")) == ["e5"]
    # as in SQLite, the raw bytes are read up to their first NUL byte
    assert ids(SAMPLE, EventFilter(text="hidden")) == []


def test_malformed_only() -> None:
    assert ids(SAMPLE, EventFilter(malformed_only=True)) == ["e5"]
    assert not EventFilter(malformed_only=True).is_empty


def test_surrounding_spaces_are_ignored() -> None:
    flt = EventFilter(type="  Payment ", correlation_id=" aaaa\n")
    assert (flt.type, flt.correlation_id) == ("Payment", "aaaa")
    assert EventFilter(text="   ").is_empty


def test_settings_round_trip_and_stale_values_are_ignored() -> None:
    flt = EventFilter(type="Order", text="ord-1", malformed_only=True)
    assert EventFilter.from_dict(flt.to_dict()) == flt
    assert EventFilter.from_dict({"type": 3, "topic": "t", "bogus": 1}) == EventFilter(topic="t")
    assert EventFilter.from_dict("not a dict") == EventFilter()


def test_describe_names_every_field_that_is_set() -> None:
    text = EventFilter(type="Order", correlation_id="ab", text="x").describe()
    assert text == 'type contains "Order", correlation starts with "ab", text "x"'
    # a value with quotes of its own is quoted so that both can be told apart
    quoted = EventFilter(text='"reason":"card declined"').describe()
    assert quoted == 'text \u2018"reason":"card declined"\u2019'


@pytest.mark.parametrize(
    "flt",
    [
        EventFilter(type="payment"),
        EventFilter(topic="orders"),
        EventFilter(topic="orders.placed"),
        EventFilter(topic="payments.*"),
        EventFilter(topic="*.raw"),
        EventFilter(topic="payments.[!a]*"),
        EventFilter(topic="orders.plac?d"),
        EventFilter(source="kafka"),
        EventFilter(correlation_id="aaaa"),
        EventFilter(correlation_id="aaaa-1111"),
        EventFilter(correlation_id="e3"),
        EventFilter(text="ord-1"),
        EventFilter(text="ORD-9"),
        EventFilter(text="café"),
        EventFilter(text='"note": "café'),
        EventFilter(text='"qty":2'),
        EventFilter(text='"qty": 2'),
        EventFilter(text="100%"),
        EventFilter(text='"quoted"'),
        EventFilter(text="C:\\tmp"),
        EventFilter(text="hidden"),
        EventFilter(text="x-tenant"),
        EventFilter(malformed_only=True, text="payload"),
        EventFilter(type="Order", text="ord"),
    ],
    ids=lambda f: f.describe(),
)
def test_the_log_search_finds_exactly_what_the_live_filter_shows(
    log: EventLog, flt: EventFilter
) -> None:
    assert searched(log, flt) == sorted(ids(SAMPLE, flt))


_ALPHABET = string.ascii_letters[:8] + "%_\\\"' -:{}é«1"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payloads=st.lists(
        st.dictionaries(st.text(_ALPHABET, max_size=4), st.text(_ALPHABET, max_size=8)),
        min_size=1,
        max_size=6,
    ),
    needle=st.text(_ALPHABET, min_size=1, max_size=3),
    type_part=st.text(_ALPHABET, max_size=2),
)
def test_memory_and_sql_agree_on_arbitrary_text(
    payloads: list[dict[str, str]], needle: str, type_part: str
) -> None:
    events = [
        ev(type_=f"T{i}{k}" if (k := next(iter(p), "")) else f"T{i}", data=p, headers=p)
        for i, p in enumerate(payloads)
    ]
    with EventLog(":memory:") as memory_log:
        memory_log.append(events)
        for flt in (EventFilter(text=needle), EventFilter(type=type_part, text=needle)):
            assert searched(memory_log, flt) == sorted(ids(events, flt)), flt


def test_the_text_cache_gives_the_same_answers_and_stays_bounded() -> None:
    cache = SearchTextCache(capacity=3)
    with_cache = EventFilter(text="ord-1").matcher(cache)
    assert [e.id for e in SAMPLE if with_cache(e)] == ids(SAMPLE, EventFilter(text="ord-1"))
    assert len(cache) == 3  # the newest three kept
    event = SAMPLE[-1]
    assert cache.texts(event) is cache.texts(event)  # computed once
    assert cache.texts(event) == search_texts(event)
    # A new filter over the same events reads the cached texts.
    assert EventFilter(text='"k": "v"').matcher(cache)(event)


def test_payloads_json_cannot_hold_are_searched_as_the_log_stores_them() -> None:
    event = ev(data={"when": object, "nan": float("nan")})
    assert EventFilter(text="<class 'object'>").matches(event)
    assert EventFilter(text='"nan": NaN').matches(event)  # NaN kept (json module's text)
    assert EventFilter(text='"nan":NaN').matches(event)


# -- logs written before the compact format --------------------------------------------
# Rows logged before orjson wrote the log's JSON hold the json module's text: spaced
# separators, non-ASCII as \uXXXX. Searches must find an event in either form.

_COLUMNS = [c.strip().strip('"') for c in EVENT_COLUMNS.split(",")]


def write_old_format_rows(db: Path, events: list[Envelope]) -> None:
    """``events`` stored as the log stored them before (``json.dumps`` text)."""
    rows = []
    for e in events:
        row = list(event_row(e, 1_700_000_000.0))
        row[_COLUMNS.index("data")] = json.dumps(e.data) if e.data is not None else None
        row[_COLUMNS.index("headers")] = json.dumps(e.headers) if e.headers else None
        rows.append(tuple(row))
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.executemany(INSERT_EVENT, rows)
    finally:
        conn.close()


def old_and_new_log(db: Path, old: list[Envelope], new: list[Envelope]) -> EventLog:
    with EventLog(db) as event_log:
        event_log.append(new)
    write_old_format_rows(db, old)
    return EventLog(db)


def stored(event_log: EventLog, event_id: str) -> tuple[str, str]:
    row = event_log._query("SELECT data, headers FROM events WHERE id = ?", (event_id,))[0]
    return row[0], row[1]


PAYLOAD: dict[str, Any] = {
    "orderId": "ord-1",
    "qty": 2,
    "note": "café «ok»",
    "tags": ["a", "b"],
    "when": {"at": None, "ok": True},
}
HEADERS = {"X-Tenant": "Zürich"}


@pytest.mark.parametrize(
    "text",
    [
        '"qty": 2',
        '"qty":2',
        '"qty": 2, "note"',
        '"qty":2,"note":"café',
        "café",
        "«ok»",
        '"note": "café «ok»"',
        '["a", "b"]',
        '["a","b"]',
        '{"at": null, "ok": true}',
        '"at":null,"ok":true}',
        ": 2",
        "zürich",
        "ZÜRICH",
        '"x-tenant":"zürich"',
        '"X-Tenant": "Zürich"',
    ],
)
def test_the_log_search_finds_old_and_new_rows_alike(tmp_path: Path, text: str) -> None:
    def event(event_id: str) -> Envelope:
        return ev(data=dict(PAYLOAD), headers=dict(HEADERS), id=event_id)

    with old_and_new_log(tmp_path / "log.db", [event("old")], [event("new")]) as event_log:
        # the two forms really are in the file
        assert stored(event_log, "old") == (json.dumps(PAYLOAD), json.dumps(HEADERS))
        assert stored(event_log, "new")[0].startswith('{"orderId":"ord-1","qty":2,"note":"café')
        assert searched(event_log, EventFilter(text=text)) == ["new", "old"]
        assert EventFilter(text=text).matches(event("live"))


@pytest.mark.parametrize(
    "text", ['"qty": 3', '"qty":3', "cafe", '["a", "c"]', '"at":false', "zurich", '"qty" :2']
)
def test_what_is_in_neither_form_finds_neither_row(tmp_path: Path, text: str) -> None:
    old = ev(data=dict(PAYLOAD), headers=dict(HEADERS), id="old")
    new = ev(data=dict(PAYLOAD), headers=dict(HEADERS), id="new")
    with old_and_new_log(tmp_path / "log.db", [old], [new]) as event_log:
        assert searched(event_log, EventFilter(text=text)) == []
    assert not EventFilter(text=text).matches(new)


def test_the_log_search_finds_escaped_text_in_old_and_new_rows(tmp_path: Path) -> None:
    data = {"path": "C:\\tmp", "quote": 'say "hi"', "body": '{"n": 1}'}
    old, new = ev(data=data, id="old"), ev(data=data, id="new")
    with old_and_new_log(tmp_path / "log.db", [old], [new]) as event_log:
        for text in ("C:\\tmp", 'say "hi"', '{"n": 1}', '"body": "{'):
            assert searched(event_log, EventFilter(text=text)) == ["new", "old"], text
        # text inside a JSON string is found as written there, not in the other spacing
        assert searched(event_log, EventFilter(text='{"n":1}')) == []


_KEYS = st.text("abcXY", min_size=1, max_size=3)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-50, 500) | st.text("abXé «ok» ", max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(payload=st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4), data=st.data())
def test_any_part_of_either_form_finds_both_rows(
    tmp_path_factory: pytest.TempPathFactory, payload: dict[str, Any], data: st.DataObject
) -> None:
    # A piece of the payload's text, as the old or the new log holds it.
    text = data.draw(st.sampled_from([json.dumps(payload), to_json(payload)]))
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    piece = text[start:end]
    # Not a piece of a \uXXXX escape: the new form holds the character itself.
    escapes = [m.span() for m in re.finditer(r"\\u[0-9a-f]{4}", text)]
    assume(piece.strip() and all(b <= start or a >= end for a, b in escapes))
    flt = EventFilter(text=piece)
    db = tmp_path_factory.mktemp("log") / "log.db"
    old, new = ev(data=payload, id="old"), ev(data=payload, id="new")
    with old_and_new_log(db, [old], [new]) as event_log:
        assert searched(event_log, flt) == ["new", "old"], (piece, stored(event_log, "old"))
    assert flt.matches(new)
