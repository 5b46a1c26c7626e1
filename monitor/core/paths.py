"""Default locations of the user's files (platformdirs: right on every OS)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "eventflow-monitor"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "eventflow.db"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP, appauthor=False))
