"""Eventflow Monitor: a desktop monitor for event-driven systems."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("eventflow-monitor")
except _metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0.0.0+unknown"
