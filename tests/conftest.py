from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from tests.adapters.broker import TansuBroker
from tests.memory_keyring import MemoryKeyring


@pytest.fixture(scope="session")
def broker() -> Iterator[TansuBroker]:
    """One real Kafka-protocol broker for the session. If it cannot start, the tests that
    need it fail with the reason: they are never skipped."""
    b = TansuBroker().start()
    yield b
    b.stop()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring for the test, in place of the OS one; restored afterwards."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)
