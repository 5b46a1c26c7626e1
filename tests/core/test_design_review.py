"""The design review: each rule on events built to trigger it (and on their well-made
counterparts), and no findings at all on the demo shop's clean flow."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from monitor.core.catalog.catalog import Catalog
from monitor.core.deadletters import DeadLetter
from monitor.core.design_review.finding import (
    Finding,
    PendingLetter,
    ReviewContext,
    Thresholds,
)
from monitor.core.design_review.review import RULE_NAMES, review, review_log
from monitor.core.design_review.rules.command_named import command_verb, suggestion
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.runtime import EmbeddedRuntime
from tests.core.catalog_events import T0, event


def findings_of(
    events: list[Envelope], rule: str, *, catalog: Catalog | None = None, **context: object
) -> list[Finding]:
    catalog = catalog if catalog is not None else Catalog()
    catalog.observe(events)
    found = review(ReviewContext(catalog, **context))  # type: ignore[arg-type]
    return [f for f in found if f.rule == rule]


def test_the_rules_are_named_as_the_issue_names_them() -> None:
    assert set(RULE_NAMES) == {
        "command-named", "missing-field", "missing-schema", "god-event", "event-soup",
        "out-of-order", "duplicate-delivery", "synchronous-disguise", "tight-coupling",
        "ignored-dlq", "missing-correlation",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "verb"),
    [("SendEmail", "send"), ("ProcessPayment", "process"), ("UpdateStock", "update"),
     ("com.shop.order.create", "create"), ("OrderPlaced", None), ("EmailSent", None),
     ("PaymentRequested", None), ("InventoryReserved", None), ("Heartbeat", None)],
)  # fmt: skip
def test_command_named_tells_commands_from_facts(name: str, verb: str | None) -> None:
    assert command_verb(name) == verb


def test_command_named_reports_the_type_and_suggests_a_past_tense_name() -> None:
    [finding] = findings_of([event("SendEmail", topic="mail")], "command-named")
    assert (finding.severity, finding.event_type, finding.topic) == ("warning", "SendEmail", "mail")
    assert finding.evidence["suggested_name"] == "EmailSent"
    assert finding.evidence["example_event_ids"]
    assert suggestion("UpdateStock", "update") == "StockUpdated"


def test_missing_field_gives_the_share_of_events_lacking_each() -> None:
    events = [event(), event(version=None, source=""), event(version=None), event()]
    [finding] = findings_of(events, "missing-field")
    assert finding.severity == "warning"
    assert finding.evidence["share_lacking"] == {"source": 0.25, "version": 0.5}
    assert "schema version" in finding.message


def test_missing_field_is_an_error_when_events_have_no_id() -> None:
    [finding] = findings_of([event(id="")], "missing-field")
    assert finding.severity == "error"
    assert finding.evidence["share_lacking"] == {"id": 1.0}


def test_missing_schema_when_an_unschemaed_payload_changes_shape() -> None:
    varied = [
        event(version=None, data={"orderId": "o", "total": 1.0}),
        event(version=None, data={"orderId": "o", "amount": "1.00"}),
    ]
    [finding] = findings_of(varied, "missing-schema")
    assert finding.evidence["shapes"] == 2
    assert "added amount" in finding.evidence["changes"]
    same_with_schema = [event(data={"a": 1}), event(data={"b": 2})]
    assert findings_of(same_with_schema, "missing-schema") == []
    steady = [event(version=None), event(version=None)]
    assert findings_of(steady, "missing-schema") == []


def test_god_event_for_a_payload_too_wide_or_too_large() -> None:
    wide = event("CustomerChanged", data={f"field{i}": i for i in range(120)})
    large = event("DocumentStored", data={"body": "x" * 70_000})
    small = event("OrderPlaced")
    found = findings_of([wide, large, small], "god-event")
    assert {f.event_type: f.evidence["max_fields"] for f in found} == {
        "CustomerChanged": 120,
        "DocumentStored": 1,
    }
    assert (
        next(f for f in found if f.event_type == "DocumentStored").evidence["max_payload_bytes"]
        > 64 * 1024
    )
    stricter = findings_of(
        [event(data={f"f{i}": i for i in range(12)})],
        "god-event",
        thresholds=Thresholds(god_event_fields=10),
    )
    assert [f.evidence["max_fields"] for f in stricter] == [12]


def test_event_soup_when_one_entity_emits_many_fine_grained_types_at_once() -> None:
    parts = ["Name", "Email", "Phone", "Street", "City", "Zip", "Country", "Tier", "Avatar"]
    fine = [f"Customer{p}Changed" for p in parts]
    soup = [event(t, key="cust-1", at=T0 + i) for i, t in enumerate(fine)]
    [finding] = findings_of(soup, "event-soup")
    assert finding.evidence["entity"] == "cust-1"
    assert finding.evidence["types_in_window"] == 9
    flow = ["OrderPlaced", "PaymentAuthorized", "InventoryReserved", "OrderShipped"]
    orders = [
        event(t, key=f"ord-{n}", at=T0 + n + i / 10) for n in range(20) for i, t in enumerate(flow)
    ]
    assert findings_of(orders, "event-soup") == []


def test_out_of_order_when_a_keys_time_or_sequence_goes_backwards() -> None:
    late = event("StockChanged", key="sku-1", at=T0 + 5)
    events = [
        event("StockChanged", key="sku-1", at=T0 + 10),
        late,
        event("StockChanged", key="sku-2", at=T0 + 1, data={"sequence": 2}),
        event("StockChanged", key="sku-2", at=T0 + 2, data={"sequence": 1}),
        event("StockChanged", key="sku-3", at=T0 + 1),
        event("StockChanged", key="sku-3", at=T0 + 2),
    ]
    [finding] = findings_of(events, "out-of-order")
    assert finding.severity == "warning"
    assert finding.evidence["arrivals_backwards"] == 2
    assert {x["by"] for x in finding.evidence["examples"]} == {"time", "sequence"}
    assert late.id in finding.example_event_ids()


def test_out_of_order_is_an_error_when_dead_letters_followed() -> None:
    catalog = Catalog()
    late = event("StockChanged", key="sku-1", at=T0 + 5)
    catalog.observe([event("StockChanged", key="sku-1", at=T0 + 10), late])
    catalog.observe_dead_letter(
        DeadLetter(event=late, reason="stale stock", original_topic="orders")
    )
    [finding] = findings_of([], "out-of-order", catalog=catalog)
    assert finding.severity == "error"
    assert finding.evidence["dead_letters_after"] == 1


def test_duplicate_delivery_is_quiet_when_every_handler_recognised_the_repeats() -> None:
    twice = event("PaymentAuthorized", topic="payments")
    catalog = Catalog(consumers_of=lambda topic: ["warehouse"])
    marks = {twice.id: {"warehouse"}}
    events = [twice, event("PaymentAuthorized", topic="payments"), twice]
    found = findings_of(
        events, "duplicate-delivery", catalog=catalog, processed_by=lambda i: marks.get(i, set())
    )
    assert found == []


def test_duplicate_delivery_names_the_handlers_without_processed_marks() -> None:
    twice = event("PaymentAuthorized", topic="payments")
    catalog = Catalog(consumers_of=lambda topic: ["warehouse", "ledger"])
    marks = {twice.id: {"warehouse"}}
    events = [twice, event(topic="payments"), twice]
    [finding] = findings_of(
        events, "duplicate-delivery", catalog=catalog, processed_by=lambda i: marks.get(i, set())
    )
    assert finding.severity == "warning"
    assert finding.evidence["consumers_without_processed_marks"] == ["ledger"]
    assert finding.evidence["repeats"] == 1
    assert finding.evidence["topic_repeat_rate"] == pytest.approx(1 / 3, abs=0.001)
    assert finding.example_event_ids() == [twice.id]


def test_duplicate_delivery_is_information_when_the_consumers_are_unknown() -> None:
    twice = event("PaymentAuthorized", topic="payments")
    [finding] = findings_of([twice, twice], "duplicate-delivery")
    assert finding.severity == "info"


def test_synchronous_disguise_for_requests_answered_on_their_correlation() -> None:
    events = []
    for n in range(3):
        events += [
            event("PriceRequested", correlation=f"c{n}", at=T0 + n),
            event("PriceResponded", correlation=f"c{n}", at=T0 + n + 0.2),
        ]
    [finding] = findings_of(events, "synchronous-disguise")
    assert finding.event_type == "PriceRequested"
    assert finding.evidence["pairs"] == 3 and finding.evidence["replies"] == ["PriceResponded"]
    twice = events[:4]  # below the threshold of three pairs
    assert findings_of(twice, "synchronous-disguise") == []


def test_synchronous_disguise_for_a_reply_to_header() -> None:
    [finding] = findings_of([event("QuoteWanted", headers={"reply-to": "quotes.replies"})],
                            "synchronous-disguise")  # fmt: skip
    assert finding.evidence["with_reply_to"] == 1


def test_tight_coupling_when_dead_letters_rise_right_after_a_schema_change() -> None:
    catalog = Catalog()
    catalog.observe([event("OrderPlaced", data={"total": 10.0}, at=T0)])
    changed = event("OrderPlaced", data={"total": "10.00"}, at=T0 + 100)
    catalog.observe([changed])
    for i in range(4):
        letter_of = event("OrderPlaced", data={"total": "1.00"}, at=T0 + 101 + i)
        catalog.observe_dead_letter(
            DeadLetter(event=letter_of, reason="bad total", original_topic="orders",
                       created_at=T0 + 101 + i)
        )  # fmt: skip
    [finding] = findings_of([], "tight-coupling", catalog=catalog)
    assert finding.severity == "error"
    assert finding.evidence["dead_letters_after"] == 4
    assert finding.evidence["changes"] == ["changed total"]
    assert finding.example_event_ids() == [changed.id]


def test_tight_coupling_is_quiet_when_dead_letters_were_as_many_before_the_change() -> None:
    catalog = Catalog()
    for i in range(4):
        catalog.observe_dead_letter(
            DeadLetter(event=event(at=T0 + 50 + i), reason="x", original_topic="orders",
                       created_at=T0 + 50 + i)
        )  # fmt: skip
    catalog.observe([event(data={"total": 1.0}, at=T0), event(data={"total": "1"}, at=T0 + 100)])
    for i in range(4):
        catalog.observe_dead_letter(
            DeadLetter(event=event(at=T0 + 101 + i), reason="x", original_topic="orders",
                       created_at=T0 + 101 + i)
        )  # fmt: skip
    assert findings_of([], "tight-coupling", catalog=catalog) == []


def test_ignored_dlq_for_letters_pending_longer_than_a_day() -> None:
    now = T0 + 10 * 86_400
    old = [PendingLetter(f"dl-{i}", now - 2 * 86_400 - i, "PaymentAuthorized", "payments")
           for i in range(3)]  # fmt: skip
    young = [PendingLetter("dl-new", now - 3600, "PaymentAuthorized", "payments")]
    [finding] = findings_of([], "ignored-dlq", now=now, old_pending_letters=old + young)
    assert (finding.severity, finding.evidence["pending"]) == ("error", 3)
    assert "dl-new" not in finding.evidence["dead_letter_ids"]
    assert findings_of([], "ignored-dlq", now=now, old_pending_letters=young) == []


def test_ignored_dlq_when_the_depth_rose_for_hours_with_no_replay_or_discard() -> None:
    now = T0 + 10 * 86_400
    rising = (14, now - 5 * 3600, 0)  # 14 letters over the last 5 h, nothing done
    [finding] = findings_of([], "ignored-dlq", now=now, dead_letter_activity=rising)
    assert finding.severity == "error" and finding.evidence["filed"] == 14
    assert "nobody replayed or discarded" in finding.message
    # Quiet when someone acted, when there were few, or when they came in one burst.
    for activity in ((14, now - 5 * 3600, 1), (3, now - 5 * 3600, 0), (14, now - 600, 0)):
        assert findings_of([], "ignored-dlq", now=now, dead_letter_activity=activity) == []


def test_ignored_dlq_reads_the_activity_from_the_log(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    now = time.time()
    letters = [
        DeadLetter(
            event=Envelope(type="PaymentAuthorized", source="t", topic="payments"),
            reason="ValueError: boom",
            original_topic="payments",
            created_at=now - 5 * 3600 + i * 600,
        )
        for i in range(12)
    ]
    with EventLog(db) as log:
        log.add_dead_letters(letters)
    _, findings = review_log(str(db))
    assert any(f.rule == "ignored-dlq" and f.evidence.get("filed") == 12 for f in findings), (
        findings
    )
    with EventLog(db) as log:
        log.discard(letters[0].id)
    _, findings = review_log(str(db))
    assert not any(f.rule == "ignored-dlq" and "filed" in f.evidence for f in findings)


def test_missing_correlation_gives_the_share_of_events_outside_any_chain() -> None:
    events = [event(correlation=None) for _ in range(3)] + [event()]
    [finding] = findings_of(events, "missing-correlation")
    assert finding.evidence["share_without_chain"] == 0.75
    caused = event(correlation=None, causation_id="evt-1")  # belongs to a chain by its cause
    assert findings_of([caused, event()], "missing-correlation") == []


def test_the_demo_shops_clean_flow_has_no_findings(tmp_path: Path) -> None:
    """The demo follows the guide's good practice (past-tense facts, ids, times, sources,
    schemas, chains, idempotent handlers for its repeated deliveries): nothing to report."""
    db = tmp_path / "demo.db"

    async def run() -> int:
        runtime = EmbeddedRuntime(db, demo_rate=100, seed=3)
        await runtime.start()
        while runtime.guard.duplicates_skipped < 2:  # until repeats were delivered and skipped
            await asyncio.sleep(0.1)
        await runtime.stop(settle=True)
        return runtime.guard.duplicates_skipped

    assert asyncio.run(asyncio.wait_for(run(), 60)) >= 2
    catalog, findings = review_log(str(db))
    assert catalog.deliveries.duplicates_by_type.get("PaymentAuthorized", 0) >= 2
    assert [f.to_dict() for f in findings] == []
