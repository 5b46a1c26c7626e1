"""The command line takes ids as the window shows them (their first 8 characters), says
how much it lists, and its version."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from monitor import __version__
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from tests.cli.entry_point import eventflow

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
CHAIN = "24cd9194-0000-4000-8000-00000000000a"
TWIN = "24cd9194-1111-4000-8000-00000000000b"  # starts as CHAIN does for 8 characters
LETTER = "87f7dc2b-2222-4000-8000-00000000000c"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "log.db"
    with EventLog(path) as log:
        placed = Envelope(type="OrderPlaced", source="s", topic="orders.placed", id=CHAIN)
        paid = Envelope(
            type="PaymentAuthorized",
            source="s",
            topic="payments.authorized",
            id="5a5a5a5a-0000-4000-8000-000000000001",
            correlation_id=CHAIN,
            causation_id=CHAIN,
        )
        other = Envelope(type="OrderPlaced", source="s", topic="orders.placed", id=TWIN)
        unique = Envelope(type="Ping", source="s", topic="pings", id="ffee0011-x")
        log.append([placed, paid, other, unique])
        log.add_dead_letters(
            [
                DeadLetter(id=LETTER, event=paid, reason="boom", original_topic="payments"),
                *(
                    DeadLetter(
                        id=f"kafka:orders.DLT:0:{n}", event=other, reason="r", original_topic="o"
                    )
                    for n in range(5)
                ),
            ]
        )
    return path


def test_chain_takes_the_start_of_an_event_id(db: Path) -> None:
    out = json.loads(eventflow(ENV, "chain", "5a5a5a5a", "--db", str(db), "--json").stdout)
    assert out["correlation_id"] == CHAIN
    assert [e["type"] for e in out["events"]] == ["OrderPlaced", "PaymentAuthorized"]
    assert "Chain ffee0011-x" in eventflow(ENV, "chain", "ffee0011", "--db", str(db)).stdout


def test_an_ambiguous_start_is_an_error_that_lists_the_candidates(db: Path) -> None:
    proc = eventflow(ENV, "chain", "24cd9194", "--db", str(db), check=False)
    assert proc.returncode == 1
    assert "24cd9194 could be any of 2 chains" in proc.stderr
    assert CHAIN in proc.stderr and TWIN in proc.stderr
    assert "Traceback" not in proc.stderr
    # one character more settles it
    assert f"Chain {CHAIN}" in eventflow(ENV, "chain", "24cd9194-0", "--db", str(db)).stdout


def test_events_by_the_start_of_a_correlation_id(db: Path) -> None:
    events = json.loads(
        eventflow(ENV, "events", "--correlation-id", "24cd9194-0", "--db", str(db), "--json").stdout
    )
    assert sorted(e["type"] for e in events) == ["OrderPlaced", "PaymentAuthorized"]
    missing = eventflow(ENV, "events", "--correlation-id", "00000000", "--db", str(db), check=False)
    assert missing.returncode == 1 and "is or starts with 00000000" in missing.stderr


def test_dlq_show_takes_the_start_of_a_dead_letter_id(db: Path) -> None:
    shown = json.loads(eventflow(ENV, "dlq", "show", "87f7dc2b", "--db", str(db), "--json").stdout)
    assert shown["id"] == LETTER
    kafka = eventflow(ENV, "dlq", "show", "kafka:orders.DLT:0:3", "--db", str(db)).stdout
    assert "Dead letter kafka:orders.DLT:0:3 " in kafka
    vague = eventflow(ENV, "dlq", "show", "kafka:orders", "--db", str(db), check=False)
    assert vague.returncode == 1 and "could be any of 5 dead letters" in vague.stderr
    short = eventflow(ENV, "dlq", "show", "87f7", "--db", str(db), check=False)
    assert short.returncode == 1 and "at least 6 characters" in short.stderr


def test_dlq_list_says_when_it_shows_only_the_newest(db: Path) -> None:
    some = eventflow(ENV, "dlq", "list", "--limit", "4", "--db", str(db))
    assert len(some.stdout.strip().splitlines()) == 1 + 4  # a header and four letters
    assert "Showing the newest 4 of 6; --limit to see more." in some.stderr
    every = eventflow(ENV, "dlq", "list", "--limit", "6", "--db", str(db))
    assert "Showing" not in every.stderr
    listed = json.loads(eventflow(ENV, "dlq", "list", "--limit", "4", "--db", str(db),
                                  "--json").stdout)  # fmt: skip
    assert len(listed) == 4  # the JSON is the list, as before


def test_version_names_the_installed_package() -> None:
    proc = eventflow(ENV, "--version")
    assert proc.stdout.strip() == f"eventflow {__version__}"
    assert __version__[0].isdigit() and "unknown" not in __version__
