"""Event ids: random version-4 UUIDs as text, unique across threads and forked children."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

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
