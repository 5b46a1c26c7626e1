"""Run the design review: every rule over a catalog, findings worst first.

:func:`review_log` reviews an event log as ``eventflow lint`` does: its catalog brought up
to date, its pending dead letters and its handlers' processed marks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from monitor.core.catalog.catalog import Catalog
from monitor.core.catalog.store import CatalogStore, build_catalog
from monitor.core.design_review.finding import (
    RANK,
    Finding,
    PendingLetter,
    ReviewContext,
    Rule,
    Severity,
    Thresholds,
)
from monitor.core.design_review.rules.command_named import CommandNamed
from monitor.core.design_review.rules.duplicate_delivery import DuplicateDelivery
from monitor.core.design_review.rules.event_soup import EventSoup
from monitor.core.design_review.rules.god_event import GodEvent
from monitor.core.design_review.rules.ignored_dlq import IgnoredDlq
from monitor.core.design_review.rules.missing_correlation import MissingCorrelation
from monitor.core.design_review.rules.missing_field import MissingField
from monitor.core.design_review.rules.missing_schema import MissingSchema
from monitor.core.design_review.rules.out_of_order import OutOfOrder
from monitor.core.design_review.rules.synchronous_disguise import SynchronousDisguise
from monitor.core.design_review.rules.tight_coupling import TightCoupling

log = logging.getLogger(__name__)

ALL_RULES: tuple[Rule, ...] = (
    CommandNamed(),
    MissingField(),
    MissingSchema(),
    GodEvent(),
    EventSoup(),
    OutOfOrder(),
    DuplicateDelivery(),
    SynchronousDisguise(),
    TightCoupling(),
    IgnoredDlq(),
    MissingCorrelation(),
)
RULE_NAMES = tuple(r.name for r in ALL_RULES)


def review(context: ReviewContext, rules: Sequence[Rule] = ALL_RULES) -> list[Finding]:
    """Every rule's findings, errors first. A rule that fails is logged and skipped: one
    broken rule must not hide the others' findings."""
    findings: list[Finding] = []
    for rule in rules:
        try:
            findings.extend(rule.check(context))
        except Exception:
            log.exception("design rule %s failed; its findings are missing", rule.name)
    findings.sort(key=lambda f: (-RANK[f.severity], f.rule, f.event_type or ""))
    return findings


def at_least(findings: Sequence[Finding], severity: Severity) -> list[Finding]:
    return [f for f in findings if RANK[f.severity] >= RANK[severity]]


def log_context(path: str, catalog: Catalog, thresholds: Thresholds | None = None) -> ReviewContext:
    """A review context for ``catalog`` with what the log at ``path`` knows (read now)."""
    thresholds = thresholds or Thresholds()
    now = time.time()
    store = CatalogStore(path)
    try:
        pending = [
            PendingLetter(*row) for row in store.pending_dead_letters(now - thresholds.dlq_max_age)
        ]
        activity = store.dead_letter_activity(now - thresholds.dlq_rising_window)
        marks: dict[str, set[str]] = {}
        for example in catalog.deliveries.examples:
            marks[example["event_id"]] = store.processed_by(example["event_id"])
    finally:
        store.close()
    return ReviewContext(
        catalog,
        thresholds,
        now,
        old_pending_letters=pending,
        dead_letter_activity=activity,
        processed_by=lambda event_id: marks.get(event_id, set()),
    )


def review_log(path: str, thresholds: Thresholds | None = None) -> tuple[Catalog, list[Finding]]:
    """The catalog of the log at ``path`` (brought up to date and saved) and its findings."""
    catalog = build_catalog(path)
    return catalog, review(log_context(path, catalog, thresholds))
