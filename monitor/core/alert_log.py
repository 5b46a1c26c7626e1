"""Alerts and alert rules stored in the event log, beside the history they came from.

Blocking (SQLite): hosts call it from a worker thread. Rules not stored are the defaults
(:data:`~monitor.core.alerts.DEFAULT_RULES`); a stored rule of the same name replaces its
default, so an edited threshold survives a restart and a new default still arrives with
an upgrade.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence

from monitor.core.alerts import DEFAULT_RULES, Alert, AlertRule
from monitor.core.log_tables import LogTables

log = logging.getLogger(__name__)

_COLUMNS = (
    "id, rule, series, fired_at, value, message, target_kind, target, profile, acknowledged_at"
)


class AlertLog(LogTables):
    """Alerts and rules in the log at ``path`` (created and migrated if needed)."""

    what = "the alerts"

    # -- alerts -------------------------------------------------------------------------

    def add(self, alerts: Sequence[Alert]) -> None:
        """Store new alerts; each gets its ``id``."""
        with self._transaction() as conn:
            for a in alerts:
                cur = conn.execute(
                    "INSERT INTO alerts (rule, series, fired_at, value, message, target_kind,"
                    " target, profile, acknowledged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        a.rule,
                        a.series,
                        a.fired_at,
                        a.value,
                        a.message,
                        a.target_kind,
                        a.target,
                        a.profile,
                        a.acknowledged_at,
                    ),
                )
                a.id = cur.lastrowid

    def alerts(self, *, limit: int = 500, since: float | None = None) -> list[Alert]:
        """Alerts, newest first."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM alerts WHERE fired_at >= ?"
                " ORDER BY fired_at DESC, id DESC LIMIT ?",
                (since if since is not None else float("-inf"), limit),
            ).fetchall()
        return [
            Alert(
                rule=r[1],
                series=r[2],
                fired_at=r[3],
                value=r[4],
                message=r[5],
                target_kind=r[6],
                target=r[7],
                profile=r[8],
                acknowledged_at=r[9],
                id=r[0],
            )
            for r in rows
        ]

    def acknowledge(self, ids: Iterable[int], at: float | None = None) -> int:
        """Mark alerts acknowledged (those already acknowledged keep their time)."""
        when = time.time() if at is None else at
        with self._transaction() as conn:
            changed = 0
            for i in ids:
                cur = conn.execute(
                    "UPDATE alerts SET acknowledged_at = ?"
                    " WHERE id = ? AND acknowledged_at IS NULL",
                    (when, i),
                )
                changed += cur.rowcount
        return changed

    def forget_before(self, cutoff: float) -> int:
        """Drop alerts raised before ``cutoff`` (they outlive the history they came from
        no longer than it keeps its coarsest samples); returns how many."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM alerts WHERE fired_at < ?", (cutoff,)).rowcount

    def unacknowledged(self) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM alerts WHERE acknowledged_at IS NULL"
            ).fetchone()
        return int(row[0])

    # -- rules --------------------------------------------------------------------------

    def rules(self) -> list[AlertRule]:
        """The defaults, each replaced by its stored version, then stored rules of other
        names. A stored spec that cannot be read is logged and its default used."""
        with self._lock:
            rows = self._conn.execute("SELECT name, spec FROM alert_rules").fetchall()
        stored: dict[str, AlertRule] = {}
        for name, spec in rows:
            try:
                stored[str(name)] = AlertRule.from_json(str(spec))
            except ValueError as exc:
                log.warning(
                    "alert rule %s in %s is unreadable (%s): default used", name, self.path, exc
                )
        out = [stored.pop(r.name, r) for r in DEFAULT_RULES]
        return out + sorted(stored.values(), key=lambda r: r.name)

    def save_rule(self, rule: AlertRule) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO alert_rules (name, spec) VALUES (?, ?)",
                (rule.name, rule.to_json()),
            )
