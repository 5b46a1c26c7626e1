"""The AsyncAPI 3.0 JSON Schema as the AsyncAPI project publishes it: the
``@asyncapi/specs`` package (the npm registry), fetched with npm once and kept in the
user's cache, never copied into this repository. No Python package on PyPI ships it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

SPECS_VERSION = "6.11.1"
SCHEMA_FILE = "package/schemas/3.0.0-without-$id.json"


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "eventflow-tests" / f"asyncapi-specs-{SPECS_VERSION}"


def asyncapi_3_schema() -> dict[str, Any] | None:
    """The schema, or ``None`` when it is not cached and npm cannot fetch it."""
    target = _cache() / "3.0.0.json"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None
        with tempfile.TemporaryDirectory() as tmp:
            done = subprocess.run(
                [npm, "pack", f"@asyncapi/specs@{SPECS_VERSION}", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                return None
            [archive] = Path(tmp).glob("*.tgz")
            with tarfile.open(archive) as tar:
                member = tar.extractfile(SCHEMA_FILE)
                if member is None:
                    return None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(member.read())
    schema: dict[str, Any] = json.loads(target.read_text("utf-8"))
    return schema
