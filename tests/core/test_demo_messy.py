"""The messy scenario: a careless producer beside the shop commits every anti-pattern,
and the design review finds each one in the log it leaves."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.core.demo_messy import ABANDONED_LETTER_ID, SCHEMA_CHANGE_AFTER
from monitor.core.design_review.review import RULE_NAMES, review_log
from monitor.core.eventlog import EventLog
from monitor.core.runtime import EmbeddedRuntime


async def _run_messy(db: Path, rounds: int) -> None:
    runtime = EmbeddedRuntime(db, demo_rate=20, seed=5, messy=True)
    runtime.careless.interval = 0.02
    await runtime.start()
    while runtime.careless.rounds < rounds:
        await asyncio.sleep(0.05)
    await runtime.stop(settle=True)


def test_the_careless_producer_commits_every_anti_pattern_the_review_knows(
    tmp_path: Path,
) -> None:
    db = tmp_path / "messy.db"
    asyncio.run(asyncio.wait_for(_run_messy(db, SCHEMA_CHANGE_AFTER + 6), 90))
    _, findings = review_log(str(db))
    assert {f.rule for f in findings} == set(RULE_NAMES)
    by_rule = {f.rule: f for f in findings}
    assert by_rule["command-named"].event_type == "SendEmail"
    assert by_rule["tight-coupling"].event_type == "InvoiceIssued"
    assert by_rule["duplicate-delivery"].evidence["consumers_without_processed_marks"] == [
        "loyalty"
    ]
    assert by_rule["out-of-order"].evidence["dead_letters_after"] > 0


def test_the_abandoned_dead_letter_is_planted_once_per_log(tmp_path: Path) -> None:
    db = tmp_path / "messy.db"
    asyncio.run(asyncio.wait_for(_run_messy(db, 2), 60))
    asyncio.run(asyncio.wait_for(_run_messy(db, 2), 60))
    with EventLog(db) as log:
        letters = [d for d in log.dead_letters(limit=10_000) if d.id == ABANDONED_LETTER_ID]
    assert len(letters) == 1
    assert letters[0].status == "pending"
