"""The `eventflow` command, run through its real entry point on real log files."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.deadletters import DeadLetter
from monitor.core.demo import Scenario
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import RawRecord
from tests.cli import entry_point

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def eventflow(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return entry_point.eventflow(ENV, *args, check=check)


def write_warehouse_letter(db: Path) -> DeadLetter:
    """A dead letter as the demo's warehouse leaves one: a payment for the product no
    warehouse stocks, failed after three attempts. Replayed onto the bus (the demo's
    services are subscribed there), it fails again, every time."""
    event = Envelope(
        type="PaymentAuthorized",
        source="payments",
        topic="payments.authorized",
        correlation_id="order-chain-1",
        data={"amount": 12.5, "items": [{"sku": Scenario().poison_sku, "qty": 1}]},
    )
    letter = DeadLetter(
        event=event,
        reason=f"UnknownProduct: product {Scenario().poison_sku} is not stocked in any warehouse",
        original_topic="payments.authorized",
        handler="warehouse",
        attempts=3,
    )
    with EventLog(db) as log:
        log.append([event])
        log.add_dead_letters([letter])
    return letter


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log with a few seconds of demo traffic: events, chains and dead letters."""
    db = tmp_path_factory.mktemp("cli") / "demo.db"
    proc = eventflow(
        "demo", "--headless", "--duration", "2", "--rate", "100", "--seed", "7", "--db", str(db)
    )
    assert "orders" in proc.stdout and "Logged to" in proc.stdout
    return db


def test_demo_headless_logs_events_and_prints_a_summary(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    proc = eventflow(
        "demo", "--headless", "--duration", "1", "--rate", "50", "--db", str(db), "--json"
    )
    summary = json.loads(proc.stdout)
    assert summary["orders_placed"] >= 40
    assert summary["by_topic"]["orders.placed"] == summary["orders_placed"]
    with EventLog(db) as log:
        assert log.count_events() == summary["events"]


def test_events_json_has_the_documented_fields(demo_db: Path) -> None:
    proc = eventflow(
        "events", "--db", str(demo_db), "--type", "OrderPlaced", "--limit", "5", "--json"
    )
    events = json.loads(proc.stdout)
    assert len(events) == 5
    required = {
        "id", "type", "source", "time", "correlation_id", "causation_id", "topic",
        "partition", "offset", "key", "headers", "data", "malformed", "error",
    }  # fmt: skip
    for e in events:
        assert required <= e.keys()
        assert e["type"] == "OrderPlaced"
        assert e["topic"] == "orders.placed"


def test_events_filters_by_topic_and_correlation_id(demo_db: Path) -> None:
    shipped = json.loads(
        eventflow("events", "--db", str(demo_db), "--topic", "shipping.shipped", "--json").stdout
    )
    assert shipped and {e["type"] for e in shipped} == {"OrderShipped"}
    cid = shipped[0]["correlation_id"]
    same = json.loads(
        eventflow("events", "--db", str(demo_db), "--correlation-id", cid, "--json").stdout
    )
    assert {e["correlation_id"] for e in same} == {cid}
    assert {"OrderPlaced", "PaymentAuthorized", "InventoryReserved", "OrderShipped"} <= {
        e["type"] for e in same
    }
    # a glob, as kafka tail and the window's filter take it, matches topics
    pattern = json.loads(
        eventflow("events", "--db", str(demo_db), "--topic", "shipping.*", "--json").stdout
    )
    assert pattern and {e["topic"] for e in pattern} == {"shipping.shipped"}
    # a type is a name, not a pattern: the command says why nothing matched
    typed = eventflow("events", "--db", str(demo_db), "--type", "Order*")
    assert "--type takes a name, not a pattern" in typed.stderr


def test_events_search_finds_text_in_payloads_as_the_window_does(demo_db: Path) -> None:
    every = json.loads(
        eventflow("events", "--db", str(demo_db), "--limit", "100000", "--json").stdout
    )
    order = every[0]["subject"]
    mentions = [e["id"] for e in every if order in json.dumps(e["data"])]
    assert len(mentions) >= 2  # a chain's events all name their order

    # Any case, newest first, only the events whose payload holds it.
    found = json.loads(
        eventflow("events", "--db", str(demo_db), "--search", order.upper(), "--json").stdout
    )
    assert [e["id"] for e in found] == mentions
    # JSON as the details pane shows it (spaced) finds the compact stored form; with a topic.
    ups = [
        e["id"] for e in every if e["topic"] == "shipping.shipped" and e["data"]["carrier"] == "UPS"
    ]
    assert ups
    shipped = eventflow(
        "events",
        "--db",
        str(demo_db),
        "--topic",
        "shipping.*",
        "--search",
        '"carrier": "UPS"',
        "--limit",
        "100000",
        "--json",
    )
    assert [e["id"] for e in json.loads(shipped.stdout)] == ups

    nothing = eventflow("events", "--db", str(demo_db), "--search", "no-such-text-anywhere")
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert "No events match." in nothing.stderr


def test_events_says_when_its_listing_is_cut_short(demo_db: Path) -> None:
    total = len(
        json.loads(eventflow("events", "--db", str(demo_db), "--limit", "100000", "--json").stdout)
    )
    cut = eventflow("events", "--db", str(demo_db), "--limit", str(total - 1), "--json")
    assert len(json.loads(cut.stdout)) == total - 1
    assert f"Showing the newest {total - 1:,}; --limit to see more." in cut.stderr
    whole = eventflow("events", "--db", str(demo_db), "--limit", str(total), "--json")
    assert len(json.loads(whole.stdout)) == total and "--limit" not in whole.stderr


def test_an_empty_filter_or_a_huge_limit_is_refused_in_one_line(demo_db: Path) -> None:
    # An unset shell variable ("--correlation-id $CID") must not list the whole log.
    for option in ("--type", "--topic", "--source", "--correlation-id", "--search"):
        proc = eventflow("events", "--db", str(demo_db), option, " ", check=False)
        assert proc.returncode == 2 and proc.stdout == "", option
        assert f"{option}: is empty" in proc.stderr and "Traceback" not in proc.stderr
    for command in (("events",), ("dlq", "list")):
        proc = eventflow(*command, "--db", str(demo_db), "--limit", "9" * 20, check=False)
        assert proc.returncode == 2 and "must be at most" in proc.stderr, command
        assert "Traceback" not in proc.stderr


def test_events_text_output_is_a_table(demo_db: Path) -> None:
    proc = eventflow("events", "--db", str(demo_db), "--limit", "3")
    lines = proc.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["time", "topic", "type"]
    assert len(lines) == 4


def test_chain_json_links_the_order_flow_with_latencies(demo_db: Path) -> None:
    shipped = json.loads(
        eventflow("events", "--db", str(demo_db), "--type", "OrderShipped", "--json").stdout
    )
    cid = shipped[0]["correlation_id"]
    chain = json.loads(eventflow("chain", cid, "--db", str(demo_db), "--json").stdout)
    assert chain["correlation_id"] == cid
    types = [e["type"] for e in chain["events"]]
    assert types[:4] == ["OrderPlaced", "PaymentAuthorized", "InventoryReserved", "OrderShipped"]
    ids = [e["id"] for e in chain["events"]]
    edges = {(edge["parent"], edge["child"]) for edge in chain["edges"]}
    assert {(ids[0], ids[1]), (ids[1], ids[2]), (ids[2], ids[3])} <= edges
    assert all(edge["latency_ms"] > 0 for edge in chain["edges"])


def test_chain_text_output_marks_the_slowest_hop(demo_db: Path) -> None:
    shipped = json.loads(
        eventflow("events", "--db", str(demo_db), "--type", "OrderShipped", "--json").stdout
    )
    out = eventflow("chain", shipped[0]["correlation_id"], "--db", str(demo_db)).stdout
    assert "OrderPlaced" in out and "OrderShipped" in out
    assert "slowest hop" in out


def test_chain_by_the_id_of_an_event_in_the_middle_of_it(demo_db: Path) -> None:
    shipped = json.loads(
        eventflow("events", "--db", str(demo_db), "--type", "OrderShipped", "--json").stdout
    )[0]
    chain = json.loads(eventflow("chain", shipped["id"], "--db", str(demo_db), "--json").stdout)
    assert chain["correlation_id"] == shipped["correlation_id"]
    assert shipped["id"] in [e["id"] for e in chain["events"]]
    assert len(chain["events"]) >= 4


def test_chain_of_unknown_id_is_a_clear_error(demo_db: Path) -> None:
    proc = eventflow("chain", "no-such-id", "--db", str(demo_db), check=False)
    assert proc.returncode == 1
    assert "No correlation id or event id in " in proc.stderr
    assert "is or starts with no-such-id." in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_db_is_a_clear_error_and_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    proc = eventflow("events", "--db", str(db), check=False)
    assert proc.returncode == 1
    assert "There is no event log" in proc.stderr
    assert not db.exists()


def test_corrupt_db_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "corrupt.db"
    db.write_bytes(b"this is not sqlite" * 100)
    proc = eventflow("stats", "--db", str(db), check=False)
    assert proc.returncode == 1
    assert "cannot be opened as an event log" in proc.stderr or "not an event log" in proc.stderr
    assert db.read_bytes() == b"this is not sqlite" * 100  # untouched


def test_stats_json_counts_topics_types_and_dead_letters(demo_db: Path) -> None:
    stats = json.loads(eventflow("stats", "--db", str(demo_db), "--json").stdout)
    assert stats["events"] == sum(stats["by_topic"].values()) == sum(stats["by_type"].values())
    assert set(stats["dead_letters_by_status"]) == {"pending", "replayed", "discarded"}
    assert stats["by_type"]["OrderPlaced"] == stats["by_topic"]["orders.placed"]


def test_dlq_list_show_and_discard(tmp_path: Path) -> None:
    db = tmp_path / "dlq.db"
    write_warehouse_letter(db)  # a test that needs a dead letter writes one
    letters = json.loads(eventflow("dlq", "list", "--db", str(db), "--json").stdout)
    first = letters[0]
    required = {"id", "status", "reason", "attempts", "original_topic", "event", "replay_count"}
    assert required <= first.keys()
    assert first["status"] == "pending" and first["attempts"] == 3
    shown = json.loads(eventflow("dlq", "show", first["id"], "--db", str(db), "--json").stdout)
    assert shown["id"] == first["id"] and shown["actions"] == []
    dry = eventflow("dlq", "discard", "--id", first["id"], "--dry-run", "--db", str(db))
    assert dry.stdout.strip() == f"{first['id']}  would be discarded"
    dry_json = json.loads(
        eventflow(
            "dlq", "discard", "--id", first["id"], "--dry-run", "--db", str(db), "--json"
        ).stdout
    )
    assert [(d["id"], d["outcome"]) for d in dry_json] == [(first["id"], "would be discarded")]
    shown = json.loads(eventflow("dlq", "show", first["id"], "--db", str(db), "--json").stdout)
    assert shown["status"] == "pending" and shown["actions"] == []
    # the same id twice is one letter, discarded once
    eventflow("dlq", "discard", "--id", first["id"], "--id", first["id"], "--db", str(db))
    shown = json.loads(eventflow("dlq", "show", first["id"], "--db", str(db), "--json").stdout)
    assert shown["status"] == "discarded"
    assert [a["action"] for a in shown["actions"]] == ["discard"]
    again = eventflow("dlq", "discard", "--id", first["id"], "--db", str(db))
    assert again.stdout.strip() == f"{first['id']}  skipped: already discarded"
    again_json = json.loads(
        eventflow("dlq", "discard", "--id", first["id"], "--db", str(db), "--json").stdout
    )
    assert again_json[0]["outcome"] == "skipped: already discarded"
    shown = json.loads(eventflow("dlq", "show", first["id"], "--db", str(db), "--json").stdout)
    assert [a["action"] for a in shown["actions"]] == ["discard"]  # nothing recorded twice
    pending = json.loads(
        eventflow("dlq", "list", "--status", "pending", "--db", str(db), "--json").stdout
    )
    assert first["id"] not in {d["id"] for d in pending}


def test_dlq_show_prints_a_records_headers_as_they_came(tmp_path: Path) -> None:
    db = tmp_path / "headers.db"
    record = RawRecord(b"{}", None, (("dup", b"1"), ("dup", b"2"), ("gone", None), ("e", b"")))
    letter = DeadLetter(
        event=Envelope(type="T", source="s", headers={"dup": "2", "gone": "", "e": ""}),
        reason="boom",
        original_topic="orders",
        origin="kafka:staging",
        id="kafka:orders.DLT:0:1",
        record=record,
    )
    with EventLog(db) as log:
        log.add_dead_letters([letter])
    shown = eventflow("dlq", "show", letter.id, "--db", str(db)).stdout
    assert "  headers:        dup=1, dup=2, gone=(null), e=\n" in shown


def test_dlq_replay_republishes_marks_replayed_and_refuses_a_second_time(tmp_path: Path) -> None:
    db = tmp_path / "replay.db"
    write_warehouse_letter(db)
    letter = json.loads(eventflow("dlq", "list", "--db", str(db), "--json").stdout)[0]
    with EventLog(db) as log:
        before = log.count_events()

    dry = json.loads(
        eventflow(
            "dlq", "replay", "--id", letter["id"], "--dry-run", "--db", str(db), "--json"
        ).stdout
    )
    assert dry[0]["status"] == "would replay"
    with EventLog(db) as log:
        assert log.dead_letter(letter["id"]).status == "pending"
        assert log.count_events() == before

    done = json.loads(
        eventflow(
            "dlq", "replay", "--id", letter["id"], "--id", letter["id"], "--db", str(db), "--json"
        ).stdout
    )
    assert [o["status"] for o in done] == ["replayed"]  # named twice, replayed once
    chain = eventflow("chain", letter["event"]["correlation_id"], "--db", str(db)).stdout
    # The replayed letter is history, not an open failure. (In the demo the replayed event
    # fails again, so its chain gains a new pending letter: that one is FAILED.)
    line = next(line for line in chain.splitlines() if letter["id"] in line)
    assert line.lstrip().startswith("failed, replayed:")
    with EventLog(db) as log:
        replayed = log.dead_letter(letter["id"])
        assert replayed.status == "replayed" and replayed.replay_count == 1
        actions = log.actions(letter["id"])
        assert actions[0].action == "replay"
        assert actions[0].target == f"bus:{letter['original_topic']}"
        # The warehouse fails on it again: the new letter names the one it was replayed
        # from, the old one's history names the new one.
        new_id = done[0]["failed_again_as"]
        assert [a.action for a in actions] == ["replay", "failed again"]
        assert actions[1].target == new_id == replayed.failed_again_as
        assert log.dead_letter(new_id).replayed_from == letter["id"]
        # The replayed event was published again, with the replay marker.
        events = log.events(correlation_id=letter["event"]["correlation_id"], limit=100)
        marked = [e for e in events if e.headers.get("eventflow-replay-of") == letter["id"]]
        assert len(marked) == 1 and marked[0].id == letter["event"]["id"]
    # Each letter's text names the other.
    assert (
        f"failed again:   as {new_id}"
        in eventflow("dlq", "show", letter["id"], "--db", str(db)).stdout
    )
    assert (
        f"replay of:      {letter['id']}"
        in eventflow("dlq", "show", new_id, "--db", str(db)).stdout
    )

    skipped = eventflow(
        "dlq", "replay", "--id", letter["id"], "--db", str(db), "--json", check=False
    )
    again = json.loads(skipped.stdout)
    assert again[0]["status"] == "skipped"
    assert skipped.returncode == 1  # nothing was sent: a script must not read success
    forced = json.loads(
        eventflow(
            "dlq", "replay", "--id", letter["id"], "--force", "--db", str(db), "--json"
        ).stdout
    )
    assert forced[0]["status"] == "replayed"
    with EventLog(db) as log:
        assert log.dead_letter(letter["id"]).replay_count == 2


def test_a_payload_strict_json_readers_refuse_does_not_break_a_listing(tmp_path: Path) -> None:
    # A Kafka payload may hold "\ud800" (a lone surrogate, no Unicode text) or NaN: the
    # listing goes on, as JSON that strict readers (jq, JSON.parse) accept.
    db = tmp_path / "odd.db"
    odd = Envelope(
        type="Odd",
        source="kafka",
        correlation_id="c-odd",
        data={"text": "x\ud800y", "ratio": float("nan"), "note": "café"},
    )
    with EventLog(db) as log:
        log.append([odd, Envelope(type="Fine", source="s", correlation_id="c-odd")])

    def strict(text: str) -> object:
        def refuse(name: str) -> object:
            raise AssertionError(f"{name} in the output")

        return json.loads(text, parse_constant=refuse)

    listed = eventflow("events", "--json", "--db", str(db)).stdout
    listed.encode("utf-8")  # it is real UTF-8 text
    by_type = {e["type"]: e for e in strict(listed)}  # type: ignore[union-attr]
    assert by_type["Odd"]["data"] == {"text": "x\ud800y", "ratio": None, "note": "café"}
    assert "Fine" in by_type
    chain = strict(eventflow("chain", "c-odd", "--json", "--db", str(db)).stdout)
    assert len(chain["events"]) == 2  # type: ignore[index]
    text = eventflow("events", "--db", str(db)).stdout  # the table, for people
    assert "Odd" in text and "Fine" in text


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """A file this process may not write: what a read-only log (or, for a file already
    open, a full disk) looks like to SQLite. As root, whom file modes do not stop, with
    chattr +i; as another user, with the file's mode."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


def test_a_log_that_cannot_be_written_is_refused_or_reported_never_called_logged(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ro.db"
    eventflow(  # the demo's seed 7 makes dead letters too
        "demo", "--headless", "--duration", "2", "--rate", "100", "--seed", "7", "--db", str(db)
    )
    with immutable(db):
        # Known at the start: refused before anything runs, and reading it still works.
        proc = eventflow("demo", "--headless", "--duration", "1", "--db", str(db), check=False)
        assert proc.returncode == 1 and "Logged to" not in proc.stdout
        assert f"The event log {db} is read-only" in proc.stderr
        assert "Traceback" not in proc.stderr
        assert eventflow("stats", "--db", str(db)).returncode == 0
        # A command that writes to a log it opened for reading says so too.
        letter = json.loads(eventflow("dlq", "list", "--db", str(db), "--json").stdout)[0]
        proc = eventflow("dlq", "discard", "--id", letter["id"], "--db", str(db), check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert f"The event log {db} is read-only" in proc.stderr


# A file already open for writing cannot be made unwritable by its mode: only chattr can,
# as root (CI and the dev container run as root, so this runs there).
@pytest.mark.skipif(os.geteuid() != 0, reason="a write failure mid-run needs chattr: root only")
def test_a_log_that_fails_during_a_run_is_reported_never_called_logged(tmp_path: Path) -> None:
    # Found out during the run (a disk that fills up, say): the run says how many events
    # were not written, and exits 1, instead of "Logged to".
    db = tmp_path / "fails.db"
    eventflow("demo", "--headless", "--duration", "1", "--db", str(db))
    wal = Path(f"{db}-wal")
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "demo", "--headless", "--duration", "3", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + 30
        while not (wal.exists() and wal.stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        with immutable(wal):
            out, err = child.communicate(timeout=90)
    finally:
        child.kill()
    assert child.returncode == 1, err
    assert "Logged to" not in out
    assert "events were not written to the event log" in err


def test_top_level_db_reaches_subcommands_and_an_empty_replay_is_an_empty_list(
    tmp_path: Path,
) -> None:
    db = tmp_path / "given-first.db"
    # --db before the subcommand used to be overwritten by the subcommand's default
    eventflow("--db", str(db), "demo", "--headless", "--duration", "1")
    assert db.exists()
    stats = json.loads(eventflow("--db", str(db), "stats", "--json").stdout)
    assert stats["events"] > 0
    empty = tmp_path / "no-letters.db"
    with EventLog(empty) as log:
        log.append([Envelope(type="Fine", source="s")])
    nothing = eventflow("dlq", "replay", "--all", "--db", str(empty), "--json")
    assert json.loads(nothing.stdout) == []


def test_keep_bounds_the_log_before_or_after_the_subcommand(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    run = ("demo", "--headless", "--duration", "1", "--rate", "50", "--db", str(db), "--json")
    eventflow("--keep", "all", *run)
    everything = json.loads(eventflow("--db", str(db), "stats", "--json").stdout)["events"]
    assert everything > 150  # ~50 orders of 4-5 events: what --keep trims below
    summary = json.loads(eventflow("--keep", "100", *run).stdout)
    assert summary["events"] > 100
    with EventLog(db) as log:  # the earlier run's events went first
        assert log.count_events() == 100
        newest = {e.id for e in log.events(limit=100)}
    # What was deleted is counted: the log held everything and this run's events, it
    # keeps 100.
    assert summary["deleted_by_retention"] == everything + summary["events"] - 100
    # Given after the subcommand, it wins over the default and over one given before;
    # the summary says what went.
    said = eventflow("--keep", "100", *run[:-1], "--keep", "40").stdout
    assert "(it keeps the newest 40 events: " in said and "older events were deleted)" in said
    with EventLog(db) as log:
        assert log.count_events() == 40
        assert not newest & {e.id for e in log.events(limit=40)}


def test_keep_refuses_nonsense_in_one_line(tmp_path: Path) -> None:
    for value in ("0", "-5", "lots"):
        proc = eventflow("--keep", value, "demo", "--headless", "--db", str(tmp_path / "x.db"),
                         check=False)  # fmt: skip
        assert proc.returncode == 2, value
        assert "--keep" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_dlq_show_unknown_id_is_a_clear_error(demo_db: Path) -> None:
    proc = eventflow("dlq", "show", "nope-nope", "--db", str(demo_db), check=False)
    assert proc.returncode == 1
    assert "No dead letter in " in proc.stderr and "starts with nope-nope." in proc.stderr


def test_help_lists_every_subcommand() -> None:
    out = eventflow("--help").stdout
    for name in ("demo", "events", "chain", "stats", "dlq"):
        assert name in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["events", "--limit", "many"], "argument --limit: 'many' is not a whole number"),
        (["events", "--limit", "0"], "argument --limit: must be at least 1, not 0"),
        (["dlq", "list", "--limit", "-1"], "argument --limit: must be at least 1, not -1"),
        (["demo", "--headless", "--duration", "nan"], "argument --duration: must be a finite"),
        (["demo", "--headless", "--duration", "0"], "argument --duration: must be above 0"),
        (["demo", "--headless", "--rate", "inf"], "argument --rate: must be a finite number"),
        (["demo", "--headless", "--rate", "-5"], "argument --rate: cannot be negative"),
        (["kafka", "tail", "--topic", "t", "--max", "0"], "argument --max: must be at least 1"),
        (["kafka", "publish", "--topic", "t", "--type", "T", "--count", "0"], "at least 1"),
    ],
)
def test_a_nonsense_number_is_a_usage_error_before_anything_runs(
    args: list[str], said: str, tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    proc = eventflow(*args, "--db", str(db), check=False)
    assert proc.returncode == 2, proc.stderr
    assert said in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not db.exists()  # nothing ran


def test_a_log_path_under_a_file_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    proc = eventflow(
        "demo", "--headless", "--duration", "1", "--db", str(blocker / "x.db"), check=False
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"{blocker} is a file, not a folder" in proc.stderr


def test_from_a_time_ago_is_taken_as_the_help_writes_it(tmp_path: Path) -> None:
    # "--from -15m" used to be refused by argparse ("expected one argument"): the value
    # starts with "-". Nothing listens on port 1, so the run gets as far as connecting.
    proc = eventflow(
        "kafka", "tail", "--bootstrap", "127.0.0.1:1", "--topic", "orders.placed",
        "--from", "-15m", "--duration", "1", "--no-log", check=False,
    )  # fmt: skip
    assert "expected one argument" not in proc.stderr
    assert proc.returncode == 1 and "Nothing accepts connections at 127.0.0.1:1" in proc.stderr


def test_the_installed_eventflow_script_is_the_same_command() -> None:
    script = Path(sys.executable).parent / "eventflow"
    assert script.exists(), "the `eventflow` entry point is declared in pyproject.toml"
    proc = subprocess.run([str(script), "stats", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "counts per topic" in proc.stdout or "--json" in proc.stdout
