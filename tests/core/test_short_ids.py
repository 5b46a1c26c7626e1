"""Short ids: the start of an id, as the window shows it, stands for the whole id when
exactly one id starts with it (EventLog.resolve_chain_id, resolve_dead_letter_id)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog, LogError

CHAIN_A = "24cd9194-aaaa-4000-8000-000000000001"
CHAIN_B = "24cd9194-bbbb-4000-8000-000000000002"  # the same first 8 characters as A
CHAIN_C = "7f00c0de-cccc-4000-8000-000000000003"


def event(id_: str, chain: str | None) -> Envelope:
    return Envelope(type="T", source="s", topic="orders", id=id_, correlation_id=chain)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    with EventLog(tmp_path / "log.db") as event_log:
        event_log.append(
            [
                event(CHAIN_A, None),  # the head of A: its id is the chain id
                event("e5e5e5e5-0001", CHAIN_A),
                event(CHAIN_B, None),
                event("9d9d9d9d-0002", CHAIN_B),
                event("abcdef12-0003", CHAIN_C),
            ]
        )
        yield event_log


def test_a_whole_correlation_id_is_itself(log: EventLog) -> None:
    assert log.resolve_chain_id(CHAIN_C) == CHAIN_C
    assert log.resolve_chain_id(f"  {CHAIN_A}\n") == CHAIN_A  # pasted with spaces


def test_a_unique_prefix_of_a_correlation_id_is_the_whole_id(log: EventLog) -> None:
    assert log.resolve_chain_id("7f00c0de") == CHAIN_C
    assert log.resolve_chain_id("24cd9194-b") == CHAIN_B


def test_an_event_id_or_its_prefix_is_the_chain_it_belongs_to(log: EventLog) -> None:
    assert log.resolve_chain_id("9d9d9d9d-0002") == CHAIN_B
    assert log.resolve_chain_id("e5e5e5") == CHAIN_A
    assert log.resolve_chain_id("abcdef12") == CHAIN_C


def test_an_ambiguous_prefix_names_every_candidate(log: EventLog) -> None:
    with pytest.raises(LogError) as raised:
        log.resolve_chain_id("24cd9194")
    sentence = str(raised.value)
    assert "could be any of 2 chains" in sentence
    assert CHAIN_A in sentence and CHAIN_B in sentence and "give more of it" in sentence


def test_no_match_and_a_too_short_prefix_are_sentences(log: EventLog) -> None:
    with pytest.raises(LogError, match=r"No correlation id or event id in .* is or starts with"):
        log.resolve_chain_id("00000000")
    with pytest.raises(LogError, match=r"too short .* at least 6 characters"):
        log.resolve_chain_id("24cd")
    with pytest.raises(LogError, match="Give a correlation id"):
        log.resolve_chain_id("  ")


def test_a_whole_event_id_shorter_than_a_prefix_still_finds_its_chain(tmp_path: Path) -> None:
    with EventLog(tmp_path / "short.db") as log:
        log.append([event("c1", None), event("e2", "c1")])
        assert log.resolve_chain_id("c1") == "c1"
        assert log.resolve_chain_id("e2") == "c1"


def test_a_chain_left_only_in_its_dead_letters_is_found_by_prefix(tmp_path: Path) -> None:
    with EventLog(tmp_path / "letters.db") as log:
        log.add_dead_letters(
            [DeadLetter(event=event("5eed5eed-1", "c0ffee00-9"), reason="r", original_topic="o")]
        )
        assert log.resolve_chain_id("c0ffee") == "c0ffee00-9"
        assert log.resolve_chain_id("5eed5eed") == "c0ffee00-9"


def test_dead_letter_ids_resolve_from_their_start(tmp_path: Path) -> None:
    with EventLog(tmp_path / "dl.db") as log:
        ids = [
            "87f7dc2b-1111-4000-8000-000000000001",
            "87f7dc2b-2222-4000-8000-000000000002",
            "kafka:orders.DLT:0:12",
            "kafka:orders.DLT:0:13",
        ]
        log.add_dead_letters(
            DeadLetter(id=i, event=event(f"ev-{i}", None), reason="r", original_topic="o")
            for i in ids
        )
        assert log.resolve_dead_letter_id("87f7dc2b-2") == ids[1]
        assert log.resolve_dead_letter_id("kafka:orders.DLT:0:12") == ids[2]  # whole: exact
        with pytest.raises(LogError) as raised:
            log.resolve_dead_letter_id("kafka:orders.DLT:0:1")
        assert "could be any of 2 dead letters" in str(raised.value)
        assert ids[2] in str(raised.value) and ids[3] in str(raised.value)
        with pytest.raises(LogError, match=r"No dead letter in .* is or starts with 0badc0de"):
            log.resolve_dead_letter_id("0badc0de")


def test_more_candidates_than_are_listed_say_so(tmp_path: Path) -> None:
    with EventLog(tmp_path / "many.db") as log:
        log.append([event(f"aaaaaa{i:02d}-x", None) for i in range(15)])
        with pytest.raises(LogError) as raised:
            log.resolve_chain_id("aaaaaa")
        assert "more than 10 chains" in str(raised.value) and ", ..." in str(raised.value)
