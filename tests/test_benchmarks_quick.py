"""The benchmarks still run: each of tests/benchmarks/bench_*.py at its ``--quick`` size,
the list ``./dev bench --quick`` runs. Their figures are not judged here (timing belongs
in benchmarks, and a small run's figures mean little); a benchmark that crashes, or no
longer prints its figures, fails the suite instead of rotting unnoticed until the next
full run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_runs_at_its_quick_size() -> None:
    benchmarks = sorted((ROOT / "tests" / "benchmarks").glob("bench_*.py"))
    assert len(benchmarks) >= 7
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    failures = []
    for bench in benchmarks:
        try:
            done = subprocess.run(
                [sys.executable, str(bench), "--quick"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            failures.append(f"{bench.name}: still running after 180 s")
            continue
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            failures.append(f"{bench.name} exited {done.returncode}:\n{tail}")
        elif not any(ch.isdigit() for ch in done.stdout):
            failures.append(f"{bench.name} printed no figures:\n{done.stdout}")
    assert not failures, "\n\n".join(failures)
