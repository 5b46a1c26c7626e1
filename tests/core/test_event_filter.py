"""EventFilter: what each field matches, in memory and in SQL, and that the two agree."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter, SearchTextCache, like_contains, search_texts
from monitor.core.eventlog import EventLog


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


def test_type_topic_and_source_match_a_part_ignoring_case() -> None:
    assert ids(SAMPLE, EventFilter(type="payment")) == ["e2", "e3"]
    assert ids(SAMPLE, EventFilter(topic="PAYMENTS.")) == ["e2", "e3"]
    assert ids(SAMPLE, EventFilter(source="kafka")) == ["e5"]
    # a malformed record has no type: a type filter leaves it out
    assert "e5" not in ids(SAMPLE, EventFilter(type="o"))


def test_all_given_fields_must_match() -> None:
    flt = EventFilter(type="payment", topic="failed")
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
    assert ids(SAMPLE, EventFilter(text="x-tenant")) == ["e2"]
    assert ids(SAMPLE, EventFilter(text="acme")) == ["e2"]
    assert ids(SAMPLE, EventFilter(text="DECLINED")) == ["e3"]


def test_text_finds_non_ascii_and_quotes_as_the_log_stores_them() -> None:
    assert ids(SAMPLE, EventFilter(text="café")) == ["e4"]
    assert ids(SAMPLE, EventFilter(text="«ok»")) == ["e4"]
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


@pytest.mark.parametrize(
    "flt",
    [
        EventFilter(type="payment"),
        EventFilter(topic="orders"),
        EventFilter(source="kafka"),
        EventFilter(correlation_id="aaaa"),
        EventFilter(correlation_id="aaaa-1111"),
        EventFilter(correlation_id="e3"),
        EventFilter(text="ord-1"),
        EventFilter(text="ORD-9"),
        EventFilter(text="café"),
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
    assert EventFilter(text='"nan": NaN').matches(event)
