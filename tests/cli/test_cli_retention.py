"""What --keep and --keep-days become for a command, on a real log."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from monitor import cli_retention
from monitor.cli import main
from monitor.cli_retention import retention
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog, Retention


def log_with(path: Path, n: int) -> str:
    with EventLog(path) as log:
        log.append([Envelope(type="T", source="s") for _ in range(n)])
    return str(path)


def test_the_default_limit_leaves_a_log_already_over_it_whole_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_retention, "DEFAULT_KEEP_EVENTS", 40)
    big, small = log_with(tmp_path / "big.db", 50), log_with(tmp_path / "small.db", 30)
    nothing_given = argparse.Namespace()
    assert retention(nothing_given, big) == Retention(max_events=None)
    note = capsys.readouterr().err
    assert big in note and "none are deleted" in note and "--keep" in note
    assert retention(nothing_given, small) == Retention(max_events=40)
    assert retention(nothing_given, str(tmp_path / "new.db")) == Retention(max_events=40)
    assert capsys.readouterr().err == ""
    # What the user gives is what they get, with no note.
    assert retention(argparse.Namespace(keep=10), big) == Retention(max_events=10)
    assert retention(argparse.Namespace(keep=None, keep_days=2.0), big) == Retention(
        max_events=None, max_age_seconds=2 * 86_400
    )
    assert retention(argparse.Namespace(keep_days=1.0), big) == Retention(
        max_events=None, max_age_seconds=86_400
    )
    assert capsys.readouterr().err.count("none are deleted") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--keep", "10", "stats"],
        ["--keep-days", "1", "events"],
        ["--keep", "all", "--keep-days", "3", "dlq", "list"],
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
