"""The one wait for schemas a source is fetching, on a loop and in a thread: it asks
again once the source settles, gives up in time, stops when cancelled, and a source
that settles after its loop has gone is no error."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schema_display import SchemaRequest, find_schema
from monitor.core.formats.schema_wait import wait_for_schema, wait_until_settled_blocking
from monitor.core.formats.schemas import Pending, SchemaAnswer, Unavailable
from monitor.core.redecode import Redecoder
from tests.core.test_redecode import decoded


class Silent:
    """A source whose fetch never ends: every answer is pending, and it calls back only
    when the test says so."""

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []
        self.lookups = 0

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        self.lookups += 1
        return Pending("schema id 7: being fetched from http://registry")

    def when_settled(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return False

    def settle(self) -> None:
        callbacks, self.callbacks = self.callbacks, []
        for callback in callbacks:
            callback()


def test_a_source_that_settles_after_its_loop_closed_is_no_error() -> None:
    source = Silent()
    for wait in (
        find_schema(source, SchemaRequest({"id": 7}, "orders"), give_up_after=0.05),
        wait_for_schema(source, SchemaRef(id=7), "orders", False, wait_seconds=0.05),
    ):
        answer = asyncio.run(wait)
        assert isinstance(answer, Unavailable)
        assert "being fetched from http://registry: no answer" in answer.reason
    # The fetches end after the window that asked has gone: called from the source's
    # thread, the callbacks must not raise there (a closed loop takes no calls).
    failures: list[BaseException] = []

    def settle() -> None:
        try:
            source.settle()
        except BaseException as exc:  # what the source's worker thread would meet
            failures.append(exc)

    worker = threading.Thread(target=settle)
    worker.start()
    worker.join(5)
    assert failures == []


def test_a_blocking_wait_asks_again_when_the_source_settles_and_stops_when_cancelled() -> None:
    source = Silent()
    answers = iter([True, False])  # still waiting after the first ask, not after the second
    threading.Timer(0.05, source.settle).start()
    started = time.monotonic()
    assert wait_until_settled_blocking(source, lambda: next(answers), bool, wait_seconds=5) is False
    assert time.monotonic() - started < 2

    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    assert wait_until_settled_blocking(source, lambda: True, bool, wait_seconds=30, cancel=cancel)
    assert time.monotonic() - started < 10  # cancelled, not the 30 s wait


def test_a_late_decode_stops_waiting_when_cancelled() -> None:
    source = Silent()
    cancel = threading.Event()
    threading.Timer(0.1, cancel.set).start()
    started = time.monotonic()
    better = Redecoder(source).resolve_blocking(decoded(None), wait=30, cancel=cancel)
    assert time.monotonic() - started < 10  # cancelled, not the 30 s wait
    assert better == {}  # still being fetched: nothing better to keep
    assert source.lookups >= 3  # each record was tried once
