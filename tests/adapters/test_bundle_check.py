"""The on-demand libraries the installer's smoke test tries (through eventflow
--smoke-test) work here too: if one fails in development, the bundle cannot pass."""

from __future__ import annotations

import pytest

from adapters import bundle_check


def test_every_on_demand_library_works() -> None:
    assert bundle_check.problems() == []


def test_a_failing_check_is_named_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ImportError("No module named 'fastavro'")

    monkeypatch.setitem(bundle_check.CHECKS, "avro", broken)
    assert bundle_check.problems() == ["avro: ImportError: No module named 'fastavro'"]
