"""Finding chains: by event id among the chains in memory (bounded), failed chains first,
change tokens for live views, and loading one chain from a real log file."""

from __future__ import annotations

from pathlib import Path

from monitor.core.chains import ChainIndex, build_chain, load_chain
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog

T0 = 1_700_000_000.0


def ev(id_: str, cause: str | None, corr: str, t: float = T0) -> Envelope:
    return Envelope(
        type="Step", source="t", id=id_, time=t, correlation_id=corr, causation_id=cause
    )


def test_find_event_answers_with_the_correlation_id_of_its_chain() -> None:
    index = ChainIndex()
    index.add([ev("a1", None, "c-a"), ev("a2", "a1", "c-a"), ev("b1", None, "c-b")])
    assert index.find_event("a2") == "c-a"
    assert index.find_event("b1") == "c-b"
    assert index.find_event("c-a") == "c-a"  # a correlation id is its own answer
    assert index.find_event("nope") is None


def test_find_event_looks_at_a_bounded_number_of_events_newest_first() -> None:
    index = ChainIndex()
    for c in range(10):
        index.add([ev(f"{c}-{i}", None, f"c{c}") for i in range(10)])
    assert index.find_event("9-5", max_events=10) == "c9"
    assert index.find_event("0-5", max_events=50) is None  # c0 is the oldest: not reached
    assert index.find_event("0-5") == "c0"


def test_failed_ids_lists_chains_with_dead_letters_latest_failure_first() -> None:
    index = ChainIndex()
    a, b = ev("a", None, "c-a"), ev("b", None, "c-b")
    index.add([a, b, ev("c", None, "c-c")])
    index.add_dead_letter(DeadLetter(event=a, reason="x", original_topic="t"))
    index.add_dead_letter(DeadLetter(event=b, reason="x", original_topic="t"))
    assert index.failed_ids() == ["c-b", "c-a"]
    index.add_dead_letter(DeadLetter(event=a, reason="again", original_topic="t"))
    assert index.failed_ids() == ["c-a", "c-b"]
    assert index.failed_ids(1) == ["c-a"]
    assert index.oldest_ids(2) == ["c-a", "c-b"]
    assert index.recent_ids(0) == [] and index.failed_ids(0) == []


def test_revision_changes_only_when_a_chain_gains_an_event_or_a_dead_letter() -> None:
    index = ChainIndex()
    assert index.revision("c") is None
    first = ev("a", None, "c")
    index.add([first])
    r1 = index.revision("c")
    index.add([ev("x", None, "other")])
    assert index.revision("c") == r1
    index.add([ev("b", "a", "c")])
    r2 = index.revision("c")
    assert r2 != r1
    index.add_dead_letter(DeadLetter(event=first, reason="x", original_topic="t"))
    assert index.revision("c") not in (r1, r2)


def test_chain_helpers_find_events_and_children() -> None:
    chain = build_chain(
        "c", [ev("a", None, "c"), ev("b", "a", "c", T0 + 1), ev("d", "a", "c", T0 + 2)]
    )
    assert chain.event("b") is not None and chain.event("zz") is None
    assert chain.children("a") == ["b", "d"]
    assert chain.children("b") == []


def test_load_chain_reads_events_and_dead_letters_from_the_log(tmp_path: Path) -> None:
    with EventLog(tmp_path / "log.db") as log:
        root = ev("root", None, "root")
        child = ev("child", "root", "root", T0 + 0.01)
        log.append([root, child, ev("other", None, "zzz")])
        log.add_dead_letters([DeadLetter(event=child, reason="Boom", original_topic="t")])
        chain = load_chain(log, "root")
        assert chain is not None
        assert [e.id for e in chain.events] == ["root", "child"]
        assert [d.event.id for d in chain.dead_letters] == ["child"]
        assert chain.edges[0].latency_ms == 10.0
        assert load_chain(log, "nothing") is None


def test_held_gives_the_raw_events_and_letters_without_building_a_chain() -> None:
    index = ChainIndex()
    a = ev("a", None, "c")
    index.add([a, ev("b", "a", "c"), a, ev("x", None, "other")])
    index.add_dead_letter(DeadLetter(event=a, reason="x", original_topic="t"))
    held = index.held("c")
    assert held is not None
    events, letters = held
    assert [e.id for e in events] == ["a", "b", "a"]
    assert [d.event.id for d in letters] == ["a"]
    assert index.held("nope") is None
    assert index.ids() == ["c", "other"]


def test_load_chain_finds_a_chain_by_the_id_of_any_logged_event(tmp_path: Path) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.append([ev("m1", None, "corr-m"), ev("m2", "m1", "corr-m"), ev("m3", "m2", "corr-m")])
        log.append([ev("other", None, "corr-o")])
        log.append([Envelope(type="Lonely", source="t", id="solo")])  # no correlation id
        chain = load_chain(log, "m2")  # neither a correlation id nor a first event's id
        assert chain is not None
        assert chain.correlation_id == "corr-m"
        assert [e.id for e in chain.events] == ["m1", "m2", "m3"]
        solo = load_chain(log, "solo")
        assert solo is not None and [e.id for e in solo.events] == ["solo"]
        assert load_chain(log, "never-logged") is None
        assert log.chain_id_of_event("m3") == "corr-m"
        assert log.chain_id_of_event("never-logged") is None


def test_load_chain_shows_a_chain_whose_events_are_gone_as_its_dead_letters(
    tmp_path: Path,
) -> None:
    # Retention deletes old events but keeps pending dead letters: the chain of such a
    # letter is still there to open, as the failed node alone.
    with EventLog(tmp_path / "log.db") as log:
        failed = ev("pay-1", "order-1", "corr-gone")
        log.add_dead_letters([DeadLetter(event=failed, reason="Boom", original_topic="t")])
        chain = load_chain(log, "corr-gone")
        assert chain is not None
        assert chain.correlation_id == "corr-gone"
        assert chain.events == []
        assert [d.event.id for d in chain.dead_letters] == ["pay-1"]
