"""Default locations of the user's files (platformdirs: right on every OS), kept private.

The event log holds payloads read from production clusters, and the config folder says
where those clusters are and how to sign in: on a shared machine no other account may
read them. On POSIX, :func:`keep_private` (called once at start by the ``eventflow``
entry point, window and command line alike) sets the process umask to 077, so every
folder the app makes is 0700 and every file 0600 (the event log and its -wal and -shm
files, logs, profiles, settings, exports), and tightens the app's data, config and log
folders when they were left wider by an earlier version, saying so once.
"""

from __future__ import annotations

import os
import stat
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
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        for folder in (path.parent, *path.parent.parents):
            if folder.exists() and not folder.is_dir():
                raise OSError(exc.errno, f"{folder} is a file, not a folder") from exc
        raise OSError(exc.errno, f"{path.parent} cannot be made ({exc.strerror})") from exc


PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO  # any right for the group or other accounts


def write_private_text(path: Path, text: str) -> None:
    """Write ``path`` (made if need be) readable and writable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    if os.name == "posix":  # an existing file keeps its mode through O_TRUNC
        os.chmod(path, PRIVATE_FILE)


def tighten(folder: Path) -> int:
    """Make ``folder`` 0700 and everything in it 0700 (folders) or 0600 (files) where any
    right was given to others; returns how many entries were changed. Symbolic links and
    entries this user may not change are left as they are."""
    if os.name != "posix" or not folder.is_dir() or folder.is_symlink():
        return 0
    changed = 0
    for root, dirs, files in os.walk(folder):
        entries = [(Path(root), PRIVATE_DIR)] if root == str(folder) else []
        entries += [(Path(root) / d, PRIVATE_DIR) for d in dirs]
        entries += [(Path(root) / f, PRIVATE_FILE) for f in files]
        for path, mode in entries:
            try:
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode) or not info.st_mode & _OTHERS:
                    continue
                os.chmod(path, mode)
                changed += 1
            except OSError:
                continue
    return changed


def keep_private() -> list[str]:
    """From now on, make what the app writes private; tighten the app's folders.

    Returns one sentence per folder that had to be tightened (for the user to be told:
    afterwards nothing is wide, so each is said once). On Windows, where the per-user
    folders are private already, it does nothing.
    """
    if os.name != "posix":
        return []
    os.umask(0o077)
    notices = []
    for what, folder in (("data", data_dir()), ("config", config_dir()), ("log", log_dir())):
        if n := tighten(folder):
            notices.append(
                f"the {what} folder {folder} could be read by other accounts on this "
                f"machine: it is now private to you ({n} "
                f"{'entry' if n == 1 else 'entries'} tightened to 0700/0600)"
            )
    return notices
