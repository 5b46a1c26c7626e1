"""Expected next events: what the model learns from chains, and how it judges one chain
(complete, in progress, stalled, failed) against an injected clock."""

from __future__ import annotations

from monitor.core.chain_expectations import (
    DEMO_FLOW,
    ChainState,
    ExpectationModel,
    format_duration,
    format_latency,
)
from monitor.core.chains import build_chain
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope

T0 = 1_700_000_000.0


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def ev(id_: str, type_: str, cause: str | None, t: float | None, corr: str = "c-1") -> Envelope:
    return Envelope(type=type_, source="t", id=id_, time=t, correlation_id=corr, causation_id=cause)


def flow(corr: str, t: float, hop: float = 0.01, upto: int = 4) -> list[Envelope]:
    """OrderPlaced -> PaymentAuthorized -> InventoryReserved -> OrderShipped, cut at upto."""
    types = ["OrderPlaced", "PaymentAuthorized", "InventoryReserved", "OrderShipped"]
    events, cause = [], None
    for i, type_ in enumerate(types[:upto]):
        id_ = f"{corr}-{i}"
        events.append(ev(id_, type_, cause, t + i * hop, corr))
        cause = id_
    return events


def test_the_demo_flow_is_known_before_anything_is_observed() -> None:
    model = ExpectationModel(clock=Clock())
    placed = model.expectation("OrderPlaced")
    assert placed is not None
    assert placed.next_types == ("PaymentAuthorized", "PaymentFailed")
    assert placed.next_text == "PaymentAuthorized or PaymentFailed"
    assert placed.timeout_s == 1.0  # no latency seen yet: the floor
    assert model.expectation("PaymentAuthorized").next_types == ("InventoryReserved",)  # type: ignore[union-attr]
    assert model.expectation("OrderShipped") is None
    assert model.expectation("PaymentFailed") is None
    assert model.transitions()["InventoryReserved"] == {"OrderShipped": 20}


def test_an_unknown_flow_is_learned_from_observed_chains() -> None:
    clock = Clock(T0 + 100)
    model = ExpectationModel(prior=None, clock=clock)
    chains = [
        build_chain(
            f"c{i}",
            [
                ev(f"a{i}", "Requested", None, T0, f"c{i}"),
                ev(f"b{i}", "Approved", f"a{i}", T0 + 0.2, f"c{i}"),
            ],
        )
        for i in range(2)
    ]
    model.observe(chains)
    assert model.expectation("Requested") is None  # 2 continuations: below min_support
    model.observe(chains)  # the same chains again add nothing
    assert model.expectation("Requested") is None
    model.observe(
        [build_chain("c9", [ev("a9", "Requested", None, T0), ev("b9", "Approved", "a9", T0 + 0.4)])]
    )
    exp = model.expectation("Requested")
    assert exp is not None and exp.next_types == ("Approved",)
    assert exp.typical_s is not None and abs(exp.typical_s - 0.2) < 1e-6
    assert exp.timeout_s == 1.0  # 3 x 0.2 s is below the 1 s floor
    assert model.expectation("Approved") is None  # never seen continuing: terminal


def test_timeout_is_a_multiple_of_the_typical_hop_latency() -> None:
    clock = Clock(T0 + 100)
    model = ExpectationModel(prior=None, clock=clock, factor=3.0, min_timeout_s=1.0)
    model.observe(
        build_chain(
            f"c{i}", [ev(f"a{i}", "Slow", None, T0), ev(f"b{i}", "Done", f"a{i}", T0 + 2.0)]
        )
        for i in range(5)
    )
    exp = model.expectation("Slow")
    assert exp is not None and exp.typical_s == 2.0 and exp.timeout_s == 6.0


def test_a_type_that_usually_ends_the_chain_is_not_expected_to_continue() -> None:
    clock = Clock(T0)
    model = ExpectationModel(prior=None, clock=clock, settle_s=10.0, min_ratio=0.6)
    continued = [
        build_chain(
            f"k{i}", [ev(f"a{i}", "Maybe", None, T0), ev(f"b{i}", "Next", f"a{i}", T0 + 0.01)]
        )
        for i in range(4)
    ]
    ended = [build_chain(f"e{i}", [ev(f"x{i}", "Maybe", None, T0)]) for i in range(6)]
    model.observe([*continued, *ended])
    # The lone events are not decided yet (younger than settle_s): 4 of 4 continued.
    assert model.expectation("Maybe") is not None
    clock.t = T0 + 11
    model.observe(ended)
    assert model.expectation("Maybe") is None  # 4 continued, 6 ended: below 60 %


def test_a_complete_chain_is_complete() -> None:
    clock = Clock(T0 + 60)
    model = ExpectationModel(clock=clock)
    health = model.assess(build_chain("c", flow("c", T0)))
    assert health.state is ChainState.COMPLETE
    assert health.awaited == () and health.failed_event_ids == ()
    assert health.sentence == "nothing more expected"


def test_a_chain_waiting_within_the_timeout_is_in_progress_then_stalled() -> None:
    clock = Clock(T0 + 0.5)
    model = ExpectationModel(clock=clock)
    chain = build_chain("c", flow("c", T0, upto=2))  # OrderPlaced -> PaymentAuthorized
    health = model.assess(chain)
    assert health.state is ChainState.IN_PROGRESS
    (awaited,) = health.awaited
    assert awaited.event_id == "c-1" and not awaited.stalled
    assert health.sentence == "waiting for InventoryReserved after PaymentAuthorized"
    assert health.stalls == ()

    clock.t = T0 + 12.3
    health = model.assess(chain)
    assert health.state is ChainState.STALLED
    (stall,) = health.stalls
    assert stall.event_id == "c-1"
    assert stall.expectation.after_type == "PaymentAuthorized"
    assert stall.expectation.next_types == ("InventoryReserved",)
    assert round(stall.waited_s, 2) == 12.29
    assert (
        health.sentence == "expected InventoryReserved after PaymentAuthorized, not seen for 12 s"
    )


def test_the_stall_timeout_follows_the_learned_latency() -> None:
    clock = Clock(T0 + 1000)
    model = ExpectationModel(clock=clock)
    # The warehouse got slow: reservations now take 1.5 s.
    model.observe(build_chain(f"s{i}", flow(f"s{i}", T0, hop=1.5)) for i in range(40))
    exp = model.expectation("PaymentAuthorized")
    assert exp is not None and exp.timeout_s == 4.5
    chain = build_chain("c", flow("c", T0, upto=2))
    clock.t = T0 + 0.01 + 3.0
    assert model.assess(chain).state is ChainState.IN_PROGRESS
    clock.t = T0 + 0.01 + 5.0
    assert model.assess(chain).state is ChainState.STALLED


def test_either_successor_satisfies_the_expectation() -> None:
    clock = Clock(T0 + 60)
    model = ExpectationModel(clock=clock)
    chain = build_chain(
        "c", [ev("o", "OrderPlaced", None, T0), ev("f", "PaymentFailed", "o", T0 + 0.01)]
    )
    assert model.assess(chain).state is ChainState.COMPLETE  # PaymentFailed ends it


def test_a_child_of_an_unexpected_type_does_not_satisfy_it() -> None:
    clock = Clock(T0 + 60)
    model = ExpectationModel(clock=clock)
    chain = build_chain(
        "c", [ev("o", "OrderPlaced", None, T0), ev("m", "EmailSent", "o", T0 + 0.01)]
    )
    health = model.assess(chain)
    assert health.state is ChainState.STALLED
    assert health.stalls[0].event_id == "o"
    assert health.sentence.startswith(
        "expected PaymentAuthorized or PaymentFailed after OrderPlaced, not seen for 1 min"
    )


def test_a_pending_dead_letter_makes_the_chain_failed_not_stalled() -> None:
    clock = Clock(T0 + 60)
    model = ExpectationModel(clock=clock)
    events = flow("c", T0, upto=2)
    letter = DeadLetter(event=events[1], reason="UnknownProduct: x", original_topic="p")
    health = model.assess(build_chain("c", events, [letter]))
    assert health.state is ChainState.FAILED
    assert health.failed_event_ids == ("c-1",)
    assert health.stalls == ()  # the failed event is not also "waiting"
    assert health.sentence == "a step failed (dead letter)"
    # once it is replayed, the failure no longer counts and the chain waits again
    letter.status = "replayed"
    assert model.assess(build_chain("c", events, [letter])).state is ChainState.STALLED


def test_failed_events_are_not_learned_as_the_end_of_a_chain() -> None:
    clock = Clock(T0 + 100)
    model = ExpectationModel(prior=None, clock=clock, min_support=1)
    model.observe([build_chain("k", [ev("a", "Pay", None, T0), ev("b", "Ship", "a", T0 + 0.1)])])
    failing = [ev(f"p{i}", "Pay", None, T0, f"f{i}") for i in range(5)]
    model.observe(
        build_chain(f"f{i}", [e], [DeadLetter(event=e, reason="x", original_topic="t")])
        for i, e in enumerate(failing)
    )
    assert model.expectation("Pay") is not None


def test_events_without_time_are_never_judged_stalled() -> None:
    clock = Clock(T0 + 60)
    model = ExpectationModel(clock=clock)
    chain = build_chain("c", [ev("o", "OrderPlaced", None, None)])
    assert model.assess(chain).state is ChainState.COMPLETE


def test_a_clock_behind_the_event_times_counts_as_no_wait() -> None:
    clock = Clock(T0 - 30)  # producer clocks ahead of ours
    model = ExpectationModel(clock=clock)
    health = model.assess(build_chain("c", flow("c", T0, upto=1)))
    assert health.state is ChainState.IN_PROGRESS
    assert health.awaited[0].waited_s == 0.0


def test_the_memory_of_judged_events_is_bounded() -> None:
    clock = Clock(T0 + 100)
    model = ExpectationModel(clock=clock, memory=50)
    model.observe(build_chain(f"c{i}", flow(f"c{i}", T0)) for i in range(100))
    assert len(model._judged) == 50


def test_demo_flow_matches_the_demo_event_types() -> None:
    assert set(DEMO_FLOW) == {"OrderPlaced", "PaymentAuthorized", "InventoryReserved"}


def test_durations_and_latencies_read_well() -> None:
    assert format_duration(0.25) == "250 ms"
    assert format_duration(4.24) == "4.2 s"
    assert format_duration(12.6) == "13 s"
    assert format_duration(185) == "3 min 5 s"
    assert format_duration(120) == "2 min"
    assert format_duration(2 * 3600 + 240) == "2 h 4 min"
    assert format_duration(3 * 86400) == "3 d 0 h"
    assert format_duration(-1) == "0 ms"
    assert format_latency(None) == "?"
    assert format_latency(3.44) == "3.4 ms"
    assert format_latency(123.4) == "123 ms"
    assert format_latency(1520) == "1.52 s"


def test_raw_events_are_judged_like_the_built_chain() -> None:
    clock = Clock(T0 + 30)
    model = ExpectationModel(clock=clock)
    stalled = flow("s", T0, upto=2)
    stalled_repeat = [stalled[1], *reversed(stalled), stalled[0]]  # any order, repeats
    failed = flow("f", T0, upto=2)
    letter = DeadLetter(event=failed[1], reason="x", original_topic="t")
    for events, letters in ((stalled_repeat, []), (failed, [letter]), (flow("c", T0), [])):
        built = model.assess(build_chain("x", events, letters))
        raw = model.assess_events(events, letters)
        assert raw.state is built.state
        assert [a.event_id for a in raw.awaited] == [a.event_id for a in built.awaited]
        assert raw.failed_event_ids == built.failed_event_ids
