"""Event ids: random version-4 UUIDs as text, unique across threads and forked children."""

from __future__ import annotations

import os
import sys
import threading
import uuid

import pytest

from monitor.core import envelope
from monitor.core.envelope import Envelope, new_event_id


def test_ids_are_version_4_uuids_in_canonical_text() -> None:
    for _ in range(10_000):  # more than one block of pooled random bytes
        text = new_event_id()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_ids_do_not_repeat_within_or_across_threads() -> None:
    per_thread: list[list[str]] = [[] for _ in range(4)]

    def make(out: list[str]) -> None:
        out.extend(new_event_id() for _ in range(25_000))

    threads = [threading.Thread(target=make, args=(out,)) for out in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [i for out in per_thread for i in out] + [Envelope(type="t", source="s").id]
    assert len(set(ids)) == len(ids) == 100_001


def test_a_thread_whose_refill_others_emptied_refills_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Blocks of one id and a short switch interval: a thread that refilled the pool often
    # finds it emptied by another before it pops. It used to die of IndexError there.
    monkeypatch.setattr(envelope, "_IDS_PER_BLOCK", 1)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    per_thread: list[list[str]] = [[] for _ in range(8)]
    failures: list[BaseException] = []

    def make(out: list[str]) -> None:
        try:
            out.extend(new_event_id() for _ in range(5_000))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=make, args=(out,)) for out in per_thread]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(previous)
    assert failures == []
    ids = [i for out in per_thread for i in out]
    assert len(set(ids)) == len(ids) == 40_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork exists on Unix only")
def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    new_event_id()  # the pool now holds ids the parent has yet to hand out
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write_end, new_event_id().encode())
        os._exit(0)
    os.close(write_end)
    child_id = os.read(read_end, 64).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    assert uuid.UUID(child_id).version == 4
    assert child_id not in {new_event_id() for _ in range(4096)}
