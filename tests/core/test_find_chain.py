"""find_chain: a chain named by a whole id or by the start of one, read from a real log;
no chain or several is ChainNotFound with the log's sentence, a broken log is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.core.chains import ChainNotFound, find_chain
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog

T0 = 1_700_000_000.0


def two_steps(correlation_id: str, prefix: str) -> list[Envelope]:
    first = Envelope(
        type="A", source="s", id=f"{prefix}-first", time=T0, correlation_id=correlation_id
    )
    second = Envelope(
        type="B",
        source="s",
        id=f"{prefix}-second",
        time=T0 + 1,
        correlation_id=correlation_id,
        causation_id=first.id,
    )
    return [first, second]


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    log = EventLog(tmp_path / "log.db")
    log.append(
        two_steps("24cd9194-one", "aaaa1111")
        + two_steps("24cd9194-two", "bbbb2222")
        + two_steps("87f7dc2b-three", "cccc3333")
    )
    return log


def test_whole_ids_and_their_starts_find_the_chain(log: EventLog) -> None:
    for text in ("87f7dc2b-three", "87f7dc2b", "cccc3333-second", "cccc3333-sec"):
        chain = find_chain(log, text)
        assert chain.correlation_id == "87f7dc2b-three"
        assert [e.type for e in chain.events] == ["A", "B"]
    log.close()


def test_no_chain_or_several_is_chain_not_found_with_a_sentence(log: EventLog) -> None:
    with pytest.raises(ChainNotFound, match="could be any of 2 chains") as several:
        find_chain(log, "24cd9194")
    assert "24cd9194-one" in str(several.value) and "24cd9194-two" in str(several.value)
    with pytest.raises(ChainNotFound, match="ffffffff"):
        find_chain(log, "ffffffff")
    log.close()


def test_a_closed_log_is_an_error_not_a_missing_chain(log: EventLog) -> None:
    log.close()
    with pytest.raises(Exception) as raised:
        find_chain(log, "87f7dc2b")
    assert not isinstance(raised.value, ChainNotFound)
