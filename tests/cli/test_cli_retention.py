"""What --keep and --keep-days become for a command, on a real log."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.cli_retention import retention
from monitor.core.envelope import Envelope
from monitor.core.eventlog import DEFAULT_KEEP_EVENTS, EventLog, Retention


def log_with(path: Path, n: int) -> str:
    with EventLog(path) as log:
        log.append([Envelope(type="T", source="s") for _ in range(n)])
    return str(path)


def test_a_log_remembers_what_it_keeps_until_told_otherwise(tmp_path: Path) -> None:
    db = log_with(tmp_path / "log.db", 5)
    nothing_given = argparse.Namespace()
    assert retention(nothing_given, db) == Retention(max_events=DEFAULT_KEEP_EVENTS)
    # A log kept whole on purpose is not trimmed to the default by the next run.
    assert retention(argparse.Namespace(keep=None), db) == Retention(max_events=None)
    assert retention(nothing_given, db) == Retention(max_events=None)
    assert retention(argparse.Namespace(keep=1000, keep_days=2.5), db) == Retention(
        max_events=1000, max_age_seconds=2.5 * 86_400
    )
    assert retention(nothing_given, db) == Retention(1000, 2.5 * 86_400)
    assert retention(argparse.Namespace(keep_days=None), db) == Retention(1000, None)
    assert retention(nothing_given, db) == Retention(1000, None)
    # Each log its own; no log, nothing remembered; a log without a word of it: default.
    assert retention(nothing_given, str(tmp_path / "other.db")) == Retention()
    assert not (tmp_path / "other.db").exists()
    assert retention(argparse.Namespace(keep=7), None) == Retention(max_events=7)


def test_a_remembered_value_that_does_not_parse_falls_back_to_the_default(
    tmp_path: Path,
) -> None:
    db = log_with(tmp_path / "log.db", 1)
    with EventLog(db) as log:
        log.set_setting("keep", "lots")
        log.set_setting("keep_days", "-1")
    assert retention(argparse.Namespace(), db) == Retention()


def test_the_remembered_limit_reaches_a_run_given_none_through_the_command(
    tmp_path: Path,
) -> None:
    db = tmp_path / "log.db"
    demo = ["--db", str(db), "demo", "--headless", "--duration", "1", "--rate", "50"]
    assert main(["--keep", "30", *demo]) == 0
    with EventLog(db) as log:
        assert log.setting("keep") == "30"
        assert log.count_events() == 30
    assert main(demo) == 0  # no --keep: the log still keeps 30, not the default
    with EventLog(db) as log:
        assert log.count_events() == 30


@pytest.mark.parametrize(
    "argv",
    [
        ["--keep", "10", "stats"],
        ["--keep-days", "1", "events"],
        ["--keep", "all", "--keep-days", "3", "dlq", "list"],
        ["--keep", "5", "kafka", "tail", "--bootstrap", "x:1", "--topic", "t", "--no-log"],
    ],
)
def test_keep_on_a_command_that_logs_nothing_is_a_usage_error(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "x.db"), *argv])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "only where events are logged" in error
    assert ("--keep and --keep-days apply" in error) == ("--keep-days" in argv and "--keep" in argv)
