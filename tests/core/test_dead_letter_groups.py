"""Dead letters grouped by failure shape, the snapshot a view shows, and the look-ups an
action makes before it touches the store."""

from __future__ import annotations

from pathlib import Path

from monitor.core.dead_letter_groups import (
    current_letters,
    discard_pending,
    exception_name,
    group_by_reason,
    load_snapshot,
    original_event,
    pending_in_group,
)
from monitor.core.deadletters import REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog


def letter(
    reason: str,
    *,
    at: float,
    handler: str = "warehouse",
    topic: str = "payments.authorized",
    status: str = "pending",
    event: Envelope | None = None,
) -> DeadLetter:
    return DeadLetter(
        event=event or Envelope(type="PaymentAuthorized", source="t", topic=topic),
        reason=reason,
        original_topic=topic,
        handler=handler,
        created_at=at,
        status=status,  # type: ignore[arg-type]
    )


def test_letters_that_failed_the_same_way_make_one_group_biggest_first() -> None:
    letters = [
        letter("UnknownProduct: product 'SKU-1' is not stocked", at=1),
        letter("UnknownProduct: product 'SKU-2' is not stocked", at=3, status="replayed"),
        letter("UnknownProduct: product 'SKU-3' is not stocked", at=2, handler="pricing"),
        letter("WarehouseTimeout: no answer within 200 ms", at=5, topic="orders.placed"),
    ]
    groups = group_by_reason(letters)
    assert [(g.exception, g.count, g.pending) for g in groups] == [
        ("UnknownProduct", 3, 2),
        ("WarehouseTimeout", 1, 1),
    ]
    unknown = groups[0]
    assert unknown.key == "UnknownProduct: product … is not stocked"
    assert unknown.example == "UnknownProduct: product 'SKU-2' is not stocked"  # the newest
    assert unknown.handlers == ("warehouse", "pricing")  # most frequent first
    assert unknown.topics == ("payments.authorized",)
    assert (unknown.oldest_at, unknown.newest_at) == (1, 3)
    assert group_by_reason([]) == []


def test_exception_name_is_the_class_a_reason_starts_with() -> None:
    assert exception_name("ValueError: boom") == "ValueError"
    assert exception_name("KeyError") == "KeyError"
    assert exception_name("demo.UnknownProduct: x") == "demo.UnknownProduct"
    assert exception_name("the broker said no: 42") == ""


def test_snapshot_reads_each_status_up_to_the_limit_and_says_when_there_is_more(
    tmp_path: Path,
) -> None:
    pending = [letter(f"E: {i}", at=i) for i in range(5)]
    replayed = [letter(f"E: {i}", at=10 + i, status="replayed") for i in range(2)]
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters(pending + replayed)
        snap = load_snapshot(log, limit=3, settled_limit=1)
    assert dict(snap.counts) == {"pending": 3, "replayed": 1, "discarded": 0}
    assert snap.truncated == {"pending", "replayed"}
    assert snap.count_text("pending") == "3+"
    assert snap.count_text("replayed") == "1+"
    assert snap.count_text("discarded") == "0"
    assert snap.count_text(None) == "4+"
    # newest first across statuses: the newest replayed, then the 3 newest pending
    assert [d.created_at for d in snap.letters] == [11, 4, 3, 2]


def test_pending_in_group_is_oldest_first_and_leaves_other_groups_and_statuses(
    tmp_path: Path,
) -> None:
    mine = [letter(f"Timeout: after {i} ms", at=i) for i in (3, 1, 2)]
    other = letter("KeyError: 'sku'", at=4)
    done = letter("Timeout: after 9 ms", at=5, status="discarded")
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([*mine, other, done])
        found = pending_in_group(log, "Timeout: after … ms", limit=10)
        assert [d.created_at for d in found] == [1, 2, 3]
        assert len(pending_in_group(log, "Timeout: after … ms", limit=2)) == 2


def test_discard_pending_discards_only_pending_letters_and_records_each(tmp_path: Path) -> None:
    a, b = letter("E: 1", at=1), letter("E: 2", at=2, status="replayed")
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([a, b])
        assert discard_pending(log, [a.id, b.id, "no-such-id"]) == [a.id]
        assert log.dead_letter(a.id).status == "discarded"
        assert log.dead_letter(b.id).status == "replayed"
        assert [x.action for x in log.actions(a.id)] == ["discard"]
        assert log.actions(b.id) == []
        assert [d.id for d in current_letters(log, [b.id, "gone", a.id])] == [b.id, a.id]


def test_original_event_is_the_logged_delivery_that_failed(tmp_path: Path) -> None:
    first = Envelope(type="T", source="s", correlation_id="c-1", data={"v": 1}, topic="x")
    replayed = Envelope(
        type="T",
        source="s",
        id=first.id,
        correlation_id="c-1",
        data={"v": 1},
        topic="x",
        headers={REPLAY_HEADER: "dl-1"},
    )
    with EventLog(tmp_path / "log.db") as log:
        log.append([first, replayed])
        edited = Envelope.from_dict({**first.to_dict(), "data": {"v": 2}})
        one = letter("E", at=1, event=edited)
        found = original_event(log, one)
        assert found is not None and found.data == {"v": 1} and not found.headers
        # a letter of the replay: its original is the replayed delivery
        again = letter("E", at=2, event=replayed)
        found_again = original_event(log, again)
        assert found_again is not None and found_again.headers == {REPLAY_HEADER: "dl-1"}
        stranger = letter("E", at=3)
        assert original_event(log, stranger) is None
