"""Running ``eventflow`` as users do: ``python -m monitor`` in a child process."""

from __future__ import annotations

import subprocess
import sys


def eventflow(
    env: dict[str, str], *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``eventflow ARGS`` with ``env``; with ``check``, a non-zero exit fails the test
    and shows the command's stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        input=stdin,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"eventflow {args} exited {proc.returncode}:\n{proc.stderr}")
    return proc
