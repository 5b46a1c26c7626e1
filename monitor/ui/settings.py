"""The window's preferences (layout, theme, last profile, filters) in one JSON file.

JSON rather than QSettings' INI: its parser accepts any garbage without complaint, and a
settings file that is silently half-read is worse than one that is reset with a word of
explanation. A file that does not parse is moved aside (``settings.json.corrupt``), the
defaults are used, and :attr:`AppSettings.problem` holds the sentence to show the user.

The API is the subset of QSettings the views use (``value``, ``setValue``), so a view
works with either.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray

from monitor.core.paths import config_dir

log = logging.getLogger(__name__)

_BYTES = "__bytes__"  # marks a base64-encoded QByteArray (window geometry and state)


class AppSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "settings.json"
        self.problem: str | None = None
        self._values: dict[str, Any] = {}
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            self.problem = (
                f"The settings file {self.path} cannot be read ({exc.strerror}); using defaults."
            )
            return
        try:
            values = json.loads(text)
            if not isinstance(values, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            aside = self._aside_name()
            try:
                os.replace(self.path, aside)
                kept = f" It was kept as {aside.name}."
            except OSError:
                kept = ""
            self.problem = (
                f"The settings file was damaged ({exc}), so the window starts with default "
                f"settings.{kept}"
            )
            log.warning("%s", self.problem)
            return
        self._values = values

    def _aside_name(self) -> Path:
        """``settings.json.corrupt``, or ``.corrupt.2`` ... when that is taken: each damaged
        copy is kept for whoever looks into why (up to ten, then the last is reused)."""
        aside = self.path.with_name(self.path.name + ".corrupt")
        for n in range(2, 11):
            if not aside.exists():
                break
            aside = self.path.with_name(f"{self.path.name}.corrupt.{n}")
        return aside

    def value(self, key: str, default: Any = None) -> Any:
        raw = self._values.get(key, default)
        if isinstance(raw, dict) and set(raw) == {_BYTES}:
            try:
                return QByteArray(base64.b64decode(raw[_BYTES]))
            except (ValueError, TypeError):
                return default
        return raw

    def setValue(self, key: str, value: Any) -> None:  # the QSettings name
        if isinstance(value, QByteArray):
            value = value.data()
        if isinstance(value, bytes | bytearray):
            value = {_BYTES: base64.b64encode(bytes(value)).decode("ascii")}
        self._values[key] = value

    def sync(self) -> None:
        """Write the file (atomically: a crash never leaves half of it)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(json.dumps(self._values, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except (OSError, TypeError, ValueError) as exc:
            log.warning("settings not saved: %s", exc)
