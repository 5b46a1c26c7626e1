"""Files that hold production data stay private: folders 0700, files 0600, wider ones
tightened and the user told once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from adapters.kafka.profiles import ConnectionProfile, ProfileStore
from monitor.core.envelope import Envelope
from monitor.core.paths import keep_private, write_private_text
from monitor.ui.views.event_stream_export import export_events
from tests.cli.entry_point import eventflow

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_entry_point_tightens_wide_folders_once_and_writes_everything_private(
    tmp_path: Path,
) -> None:
    data, config, logs = tmp_path / "data", tmp_path / "config", tmp_path / "logs"
    for folder in (data, config):
        folder.mkdir(mode=0o755)
        os.chmod(folder, 0o755)  # as an earlier version left them, whatever the umask
    ProfileStore(config / "profiles.json").add(
        ConnectionProfile(name="prod", bootstrap_servers="kafka:9092")
    )
    os.chmod(config / "profiles.json", 0o644)
    old_log = data / "old.db"
    old_log.write_bytes(b"")
    os.chmod(old_log, 0o644)
    env = {
        **os.environ,
        "EVENTFLOW_DATA_DIR": str(data),
        "EVENTFLOW_CONFIG_DIR": str(config),
        "EVENTFLOW_LOG_DIR": str(logs),
    }

    first = eventflow(env, "demo", "--headless", "--duration", "1")
    told = [line for line in first.stderr.splitlines() if "now private to you" in line]
    assert len(told) == 2, first.stderr
    assert f"the data folder {data} could be read by other accounts" in told[0]
    assert f"the config folder {config} could be read by other accounts" in told[1]
    assert (mode(data), mode(config)) == (0o700, 0o700)
    assert (mode(config / "profiles.json"), mode(old_log)) == (0o600, 0o600)
    # The event log the demo wrote, with SQLite's companions if they are still there.
    written = [p for p in data.iterdir() if p.name.startswith("eventflow.db")]
    assert data / "eventflow.db" in written
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}

    eventflow(env, "profiles", "add", "dev", "--bootstrap", "kafka-dev:9092")
    assert mode(config / "profiles.json") == 0o600
    again = eventflow(env, "profiles", "list")
    assert "now private" not in again.stderr  # told once: nothing is wide any more


def test_keep_private_makes_new_files_and_folders_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATA", "CONFIG", "LOG"):
        monkeypatch.setenv(f"EVENTFLOW_{name}_DIR", str(tmp_path / name.lower()))
    previous = os.umask(0o022)
    try:
        assert keep_private() == []  # nothing there yet: nothing to tighten, nothing said
        export, csv_export = tmp_path / "export.jsonl", tmp_path / "export.csv"
        events = [Envelope(type="OrderPlaced", source="test", data={"n": 1})]
        assert export_events(export, events, "jsonl") == 1  # the window's Export
        assert export_events(csv_export, events, "csv") == 1
        folder = tmp_path / "made"
        folder.mkdir()
        assert (mode(export), mode(csv_export), mode(folder)) == (0o600, 0o600, 0o700)
    finally:
        os.umask(previous)


def test_write_private_text_tightens_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_private_text(path, "new")
    assert (path.read_text(), mode(path)) == ("new", 0o600)
