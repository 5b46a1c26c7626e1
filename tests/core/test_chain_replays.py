"""A dead letter fixed and replayed: the time someone spent on it is not latency.

The chains here are built for the purpose: an order whose payment step failed, was given
up on 60 ms later, and was replayed (after an edit) about 70 s after it first happened.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from monitor.core.chains import Chain, build_chain, load_chain
from monitor.core.deadletters import REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog

T0 = 1_700_000_000.0
FAILED_AT = T0 + 0.065  # the payment step was given up on after its retries
FIXED_AT = T0 + 69.6  # ... and replayed after the user's edit


def node(id_: str, cause: str | None, t: float | None, type_: str = "Step") -> Envelope:
    return Envelope(
        type=type_, source="test", id=id_, time=t, correlation_id="c-1", causation_id=cause
    )


def replay_of(event: Envelope, letter: DeadLetter) -> Envelope:
    """What a replay on the bus delivers: the same event, the same time, the marker."""
    copied = copy.deepcopy(event)
    copied.headers = {**copied.headers, REPLAY_HEADER: letter.id}
    return copied


def failed_payment() -> tuple[list[Envelope], DeadLetter]:
    """placed -> pay (fails in the warehouse) ... replayed -> reserve -> ship."""
    placed = node("placed", None, T0, "OrderPlaced")
    pay = node("pay", "placed", T0 + 0.005, "PaymentAuthorized")
    letter = DeadLetter(
        event=pay,
        reason="UnknownProduct: SKU-999",
        original_topic="payments.authorized",
        handler="warehouse",
        created_at=FAILED_AT,
        status="replayed",
    )
    reserve = node("reserve", "pay", FIXED_AT + 0.004, "InventoryReserved")
    ship = node("ship", "reserve", FIXED_AT + 0.007, "OrderShipped")
    return [placed, pay, replay_of(pay, letter), reserve, ship], letter


def hops(chain: Chain) -> dict[tuple[str, str], tuple[float | None, bool, float | None]]:
    return {
        (e.parent_id, e.child_id): (e.latency_ms, e.replay, e.replayed_after_ms)
        for e in chain.edges
    }


def test_the_hop_across_a_fix_and_replay_is_not_latency_nor_the_slowest() -> None:
    events, letter = failed_payment()
    chain = build_chain("c-1", events, [letter])

    edges = hops(chain)
    latency, replay, after = edges[("pay", "reserve")]
    assert latency is None and replay
    assert after == pytest.approx((FIXED_AT + 0.004 - (T0 + 0.005)) * 1000)
    assert edges[("placed", "pay")] == (5.0, False, None)
    assert edges[("reserve", "ship")] == (3.0, False, None)
    assert chain.slowest is not None and chain.slowest.child_id == "pay"  # 5 ms
    assert [e.child_id for e in chain.replay_edges] == ["reserve"]
    # The replay is not a second delivery of the payment.
    assert chain.duplicates == {}
    assert chain.replays == {"pay": [letter.id]}
    assert [e.id for e in chain.events] == ["placed", "pay", "reserve", "ship"]
    d = chain.to_dict()
    replayed = [e for e in d["edges"] if e["replay"]]
    assert [(e["parent"], e["child"], e["latency_ms"]) for e in replayed] == [
        ("pay", "reserve", None)
    ]
    assert d["slowest_edge"]["replay"] is False
    assert d["replays"] == {"pay": [letter.id]}


def test_what_other_handlers_did_before_the_failure_is_still_latency() -> None:
    events, letter = failed_payment()
    receipt = node("receipt", "pay", T0 + 0.020, "ReceiptSent")  # before the give-up
    chain = build_chain("c-1", [*events, receipt], [letter])
    edges = hops(chain)
    assert edges[("pay", "receipt")] == (15.0, False, None)
    assert edges[("pay", "reserve")][1] is True
    assert chain.slowest is not None and chain.slowest.child_id == "receipt"


def test_a_replay_that_failed_again_and_was_replayed_once_more() -> None:
    placed = node("placed", None, T0, "OrderPlaced")
    pay = node("pay", "placed", T0 + 0.005, "PaymentAuthorized")
    first = DeadLetter(event=pay, reason="UnknownProduct", original_topic="p", created_at=FAILED_AT)
    first_replay = replay_of(pay, first)
    second = DeadLetter(  # the first replay failed too (its event carries the marker)
        event=first_replay, reason="UnknownProduct", original_topic="p", created_at=T0 + 30
    )
    assert second.replayed_from == first.id
    reserve = node("reserve", "pay", FIXED_AT, "InventoryReserved")
    chain = build_chain(
        "c-1",
        [placed, pay, first_replay, replay_of(pay, second), reserve],
        [first, second],
    )
    assert chain.replays == {"pay": [first.id, second.id]}
    assert chain.duplicates == {}
    assert [(e.parent_id, e.child_id) for e in chain.replay_edges] == [("pay", "reserve")]
    assert chain.slowest == chain.edges[0]  # placed -> pay, 5 ms


def test_a_replay_with_an_id_and_a_time_of_its_own_is_the_end_of_the_replay_hop() -> None:
    # A Kafka record without an id in it: the replayed record is a new event, read
    # at the time it was sent again; it has no cause the chain knows.
    placed = node("placed", None, T0, "OrderPlaced")
    pay = node("pay", "placed", T0 + 0.005, "PaymentAuthorized")
    letter = DeadLetter(event=pay, reason="Boom", original_topic="p", created_at=FAILED_AT)
    again = node("pay-again", None, FIXED_AT, "PaymentAuthorized")
    again.causation_id = "never-seen"
    again.headers = {REPLAY_HEADER: letter.id}
    reserve = node("reserve", "pay-again", FIXED_AT + 0.004, "InventoryReserved")
    chain = build_chain("c-1", [placed, pay, again, reserve], [letter])

    edges = hops(chain)
    assert edges[("pay", "pay-again")][:2] == (None, True)  # linked to what it replays
    assert edges[("pay-again", "reserve")] == (4.0, False, None)
    assert chain.orphans == []
    assert chain.depth["reserve"] == 3
    assert chain.slowest is not None and chain.slowest.child_id == "pay"
    [(replayed, wait)] = chain.replayed_steps()
    assert replayed.id == "pay-again"
    assert wait == pytest.approx((FIXED_AT - (T0 + 0.005)) * 1000)


def test_a_chain_rebuilt_from_its_events_and_replay_copies_keeps_its_replay_hop() -> None:
    events, letter = failed_payment()
    chain = build_chain("c-1", events, [letter])
    rebuilt = build_chain("c-1", chain.events + chain.replay_copies, chain.dead_letters)
    assert hops(rebuilt) == hops(chain)
    assert rebuilt.replays == chain.replays and rebuilt.duplicates == {}


def test_a_replay_whose_letter_is_unknown_marks_no_hop() -> None:
    # Without the letter, when the event was given up on is unknown: no hop is guessed.
    events, _letter = failed_payment()
    chain = build_chain("c-1", events, [])
    assert chain.replay_edges == []
    assert chain.replays == {"pay": [_letter.id]} and chain.duplicates == {}


def test_a_chain_read_from_the_log_has_its_replay_hop(tmp_path: Path) -> None:
    events, letter = failed_payment()
    with EventLog(tmp_path / "log.db") as log:
        log.append(events)
        log.add_dead_letters([letter])
        chain = load_chain(log, "c-1")
    assert chain is not None
    assert [(e.parent_id, e.child_id) for e in chain.replay_edges] == [("pay", "reserve")]
    assert chain.slowest is not None and not chain.slowest.replay
    assert chain.slowest.latency_ms is not None and chain.slowest.latency_ms < 10


def test_the_replayed_steps_name_the_event_fixed_and_the_wait() -> None:
    events, letter = failed_payment()
    chain = build_chain("c-1", events, [letter])
    [(event, wait)] = chain.replayed_steps()
    assert event.id == "pay"
    assert wait == pytest.approx((FIXED_AT + 0.004 - (T0 + 0.005)) * 1000)
    assert [e.child_id for e in chain.latency_edges] == ["pay", "ship"]
