from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.adapters.broker import TansuBroker


@pytest.fixture(scope="session")
def broker() -> Iterator[TansuBroker]:
    """One real Kafka-protocol broker for the session. If it cannot start, the tests that
    need it fail with the reason: they are never skipped."""
    b = TansuBroker().start()
    yield b
    b.stop()
