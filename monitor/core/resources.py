"""Where the app's resource files are: the source tree, or the frozen bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder: ``$EVENTFLOW_RESOURCES``, the frozen bundle's copy, or
    the one beside the ``monitor`` package in a source checkout."""
    override = os.environ.get("EVENTFLOW_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
