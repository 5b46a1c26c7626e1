"""The catalog's tables in the event log (schema migration 5 creates them)."""

from __future__ import annotations

import sqlite_utils


def create_tables(db: sqlite_utils.Database) -> None:
    """``catalog_types``: one row per event type, its entry as JSON. ``catalog_state``:
    the cross-type evidence and how far into the log the stored catalog has read."""
    db.execute("CREATE TABLE catalog_types (type TEXT PRIMARY KEY, entry TEXT NOT NULL)")
    db.execute("CREATE TABLE catalog_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
