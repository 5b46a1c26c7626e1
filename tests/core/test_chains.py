"""Correlation chains: causal order, depth, timed edges, duplicates, orphans, cycles and the
bounded in-memory index."""

from __future__ import annotations

import dataclasses
import random
import threading

from monitor.core.chains import ChainEdge, ChainIndex, build_chain
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope

T0 = 1_700_000_000.0


def node(
    id_: str, cause: str | None, t: float | None, corr: str = "c-1", type_: str = "Step"
) -> Envelope:
    return Envelope(
        type=type_, source="test", id=id_, time=t, correlation_id=corr, causation_id=cause
    )


def order_flow() -> list[Envelope]:
    """root -> pay -> reserve -> ship, and root -> email (a sibling branch)."""
    return [
        node("root", None, T0, type_="OrderPlaced"),
        node("pay", "root", T0 + 0.005, type_="PaymentAuthorized"),
        node("email", "root", T0 + 0.002, type_="EmailSent"),
        node("reserve", "pay", T0 + 0.045, type_="InventoryReserved"),
        node("ship", "reserve", T0 + 0.050, type_="OrderShipped"),
    ]


def test_events_come_out_in_causal_order_whatever_order_they_went_in() -> None:
    events = order_flow()
    for seed in range(10):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        chain = build_chain("c-1", shuffled)
        # depth first; siblings by time (email before pay)
        assert [e.id for e in chain.events] == ["root", "email", "pay", "reserve", "ship"]


def test_events_of_the_same_time_keep_the_order_they_were_logged_in() -> None:
    # Millisecond timestamps tie often: roots and siblings of one time come out in log
    # order, not reversed.
    roots = [node("placed", None, T0), node("paid", None, T0), node("sent", None, T0)]
    assert [e.id for e in build_chain("c-1", roots).events] == ["placed", "paid", "sent"]
    kids = [node("root", None, T0), node("a", "root", T0 + 1), node("b", "root", T0 + 1)]
    assert [e.id for e in build_chain("c-1", kids).events] == ["root", "a", "b"]


def test_depth_edges_latency_slowest_edge_and_duration() -> None:
    chain = build_chain("c-1", order_flow())
    assert chain.depth == {"root": 0, "email": 1, "pay": 1, "reserve": 2, "ship": 3}
    edges = {(e.parent_id, e.child_id): e.latency_ms for e in chain.edges}
    assert edges == {
        ("root", "email"): 2.0,
        ("root", "pay"): 5.0,
        ("pay", "reserve"): 40.0,
        ("reserve", "ship"): 5.0,
    }
    assert [e.child_id for e in chain.edges] == ["email", "pay", "reserve", "ship"]
    assert chain.slowest == ChainEdge("pay", "reserve", 40.0)
    assert chain.duration_ms is not None and abs(chain.duration_ms - 50.0) < 1e-3
    d = chain.to_dict()
    assert d["slowest_edge"] == {
        "parent": "pay",
        "child": "reserve",
        "latency_ms": 40.0,
        "replay": False,
        "replayed_after_ms": None,
    }
    assert [e["depth"] for e in d["events"]] == [0, 1, 1, 2, 3]


def test_an_edge_without_times_has_no_latency_and_is_never_the_slowest() -> None:
    chain = build_chain("c-1", [node("a", None, T0), node("b", "a", None), node("c", "a", T0 + 1)])
    latencies = {e.child_id: e.latency_ms for e in chain.edges}
    assert latencies == {"b": None, "c": 1000.0}
    assert chain.slowest is not None and chain.slowest.child_id == "c"
    assert build_chain("c-1", [node("x", None, None)]).slowest is None


def test_repeated_deliveries_are_counted_as_duplicates_and_shown_once() -> None:
    events = order_flow()
    pay_again = node("pay", "root", T0 + 0.009, type_="PaymentAuthorized")
    chain = build_chain("c-1", [*events, pay_again, events[1]])
    assert chain.duplicates == {"pay": 2}
    assert [e.id for e in chain.events].count("pay") == 1
    assert len(chain.events) == 5
    assert chain.to_dict()["events"][2]["duplicates"] == 2


def test_one_kafka_record_read_twice_is_one_delivery_and_a_copy_elsewhere_is_two() -> None:
    events = order_flow()
    pay = dataclasses.replace(events[1], topic="payments", partition=2, offset=41)
    events[1] = pay
    reread = dataclasses.replace(pay)  # the same record, read by a tail run again
    chain = build_chain("c-1", [*events, reread])
    assert chain.duplicates == {} and len(chain.events) == 5
    redelivered = dataclasses.replace(pay, offset=57)  # sent again: a record of its own
    assert build_chain("c-1", [*events, redelivered]).duplicates == {pay.id: 1}


def test_events_whose_cause_was_never_seen_are_orphans_shown_as_roots() -> None:
    chain = build_chain(
        "c-1",
        [
            node("root", None, T0),
            node("child", "root", T0 + 0.01),
            node("lost", "never-logged", T0 + 0.02),
            node("lost-child", "lost", T0 + 0.03),
        ],
    )
    assert chain.orphans == ["lost"]
    assert chain.depth["lost"] == 0 and chain.depth["lost-child"] == 1
    assert [e.id for e in chain.events] == ["root", "child", "lost", "lost-child"]


def test_a_causation_cycle_does_not_hang_and_every_event_is_shown() -> None:
    events = [
        node("a", "c", T0 + 0.003),
        node("b", "a", T0 + 0.001),
        node("c", "b", T0 + 0.002),
        node("self", "self", T0),
    ]
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(build_chain("c-1", events)))
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "build_chain hung on a causation cycle"
    chain = result[0]
    assert isinstance(chain, type(build_chain("x", [])))
    assert sorted(e.id for e in chain.events) == ["a", "b", "c", "self"]
    assert len(chain.events) == 4
    assert all(chain.depth[e] == 0 for e in ("a", "b", "c", "self"))


def test_a_long_chain_is_built_without_recursion_limits() -> None:
    events = [node("e0", None, T0)] + [
        node(f"e{i}", f"e{i - 1}", T0 + i / 1000) for i in range(1, 5000)
    ]
    chain = build_chain("c-1", reversed(events))
    assert chain.depth["e4999"] == 4999
    assert len(chain.edges) == 4999


def test_chain_keeps_its_dead_letters() -> None:
    events = order_flow()
    letter = DeadLetter(event=events[3], reason="Boom", original_topic="inventory.reserved")
    chain = build_chain("c-1", events, [letter])
    assert chain.dead_letters == [letter]
    assert chain.to_dict()["dead_letters"][0]["id"] == letter.id


def test_chain_index_groups_by_correlation_and_builds_chains() -> None:
    index = ChainIndex()
    other = node("x", None, T0, corr="c-2")
    no_corr = Envelope(type="Lonely", source="s", id="solo")
    index.add([*order_flow(), other, no_corr])
    assert len(index) == 3
    chain = index.chain("c-1")
    assert chain is not None and chain.events[0].id == "root"
    solo = index.chain("solo")  # an event without a correlation id is its own chain
    assert solo is not None and [e.id for e in solo.events] == ["solo"]
    assert index.chain("unknown") is None
    assert index.recent_ids() == ["solo", "c-2", "c-1"]
    letter = DeadLetter(event=order_flow()[1], reason="Boom", original_topic="p")
    index.add_dead_letter(letter)
    index.add_dead_letter(
        DeadLetter(event=node("z", None, T0, corr="c-gone"), reason="x", original_topic="p")
    )
    chain = index.chain("c-1")
    assert chain is not None and chain.dead_letters == [letter]
    assert index.chain("c-gone") is None


def test_chain_index_is_bounded_in_chains_and_in_events_per_chain() -> None:
    index = ChainIndex(max_chains=3, max_events=4)
    for c in range(5):
        index.add([node(f"{c}-{i}", None, T0 + i, corr=f"c{c}") for i in range(10)])
    assert len(index) == 3
    assert index.recent_ids() == ["c4", "c3", "c2"]
    assert index.chain("c0") is None and index.chain("c1") is None
    chain = index.chain("c4")
    assert chain is not None and len(chain.events) == 4
    # touching a chain makes it recent, so the least recently touched one goes next
    index.add([node("2-new", None, T0, corr="c2")])
    index.add([node("5-0", None, T0, corr="c5")])
    assert set(index.recent_ids()) == {"c2", "c4", "c5"}
    assert index.recent_ids(2) == ["c5", "c2"]


def test_a_prefix_finds_the_one_chain_it_starts_and_no_other() -> None:
    index = ChainIndex()
    index.add(
        [
            Envelope(type="A", source="s", correlation_id=c)
            for c in ("abcdef12", "abcdef34", "0123456789")
        ]
    )
    assert index.find_prefix("012345") == "0123456789"
    assert index.find_prefix("abcdef") is None  # two chains start so
    assert index.find_prefix("abcdef1") == "abcdef12"
    assert index.find_prefix("01234") is None  # shorter than an id shown shortened
    assert index.find_prefix("999999") is None
