"""Default locations of the user's files (platformdirs: right on every OS)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "eventflow-monitor"


def _dir(env: str, default: str) -> Path:
    # The environment overrides the per-user default: tests and portable installs use it.
    override = os.environ.get(env)
    return Path(override) if override else Path(default)


def data_dir() -> Path:
    return _dir("EVENTFLOW_DATA_DIR", platformdirs.user_data_dir(APP, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "eventflow.db"


def config_dir() -> Path:
    return _dir("EVENTFLOW_CONFIG_DIR", platformdirs.user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    return _dir("EVENTFLOW_LOG_DIR", platformdirs.user_log_dir(APP, appauthor=False))


def make_parent(path: Path) -> None:
    """Make the folder ``path`` goes in. An OSError whose ``strerror`` says why not in
    words a user can act on ("/etc/passwd is a file, not a folder", not "File exists")."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for folder in (path.parent, *path.parent.parents):
            if folder.exists() and not folder.is_dir():
                raise OSError(exc.errno, f"{folder} is a file, not a folder") from exc
        raise OSError(exc.errno, f"{path.parent} cannot be made ({exc.strerror})") from exc
