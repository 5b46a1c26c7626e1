"""A replay into Kafka killed half-way re-sends little on the next run.

`eventflow dlq replay` runs as users run it, as a process, paced at 250 records/s, and is
killed with SIGKILL twice while it sends; a third run finishes. Marks follow the broker's
acks as they come, so each kill leaves only the records in flight and the acks of the
last moments unmarked: at most 100 duplicates on the topic over both kills, each carrying
the replay marker (a consumer can drop it), and every letter there at least once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from adapters.kafka.profiles import ConnectionProfile
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import REPLAY_HEADER
from tests.adapters.conftest import create_topic
from tests.adapters.test_kafka_replay import letters
from tests.cli import entry_point
from tests.polling import poll_until

N = 1000
RATE = "250"
SENTINEL = b"the end of the test"


class TopicReader:
    """Every record of partition 0 of a topic, read from its beginning as it comes."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.records: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicReader:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await self._consumer.start()
        tp = TopicPartition(self.topic, 0)
        self._consumer.assign([tp])
        await self._consumer.seek_to_beginning(tp)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100)
            for records in batches.values():
                self.records.extend(records)

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()


def test_a_replay_killed_twice_re_sends_at_most_100_records_and_loses_none(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    db = tmp_path / "log.db"
    dead = letters(N, topic_name)
    with EventLog(db) as log:
        log.add_dead_letters(dead)
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config"),
        "EVENTFLOW_DATA_DIR": str(tmp_path / "data"),
        "EVENTFLOW_LOG_DIR": str(tmp_path / "logs"),
    }
    entry_point.eventflow(
        env, "profiles", "add", "replays", "--bootstrap", profile.bootstrap_servers
    )
    replay = (
        "-m", "monitor", "dlq", "replay", "--db", str(db), "--all", "--profile", "replays",
        "--any-origin", "--rate", RATE,
    )  # fmt: skip

    def replayed() -> int:
        with EventLog(db) as log:
            return log.count_dead_letters(status="replayed")

    marked_at_kill: list[int] = []

    async def run() -> list[Any]:
        await create_topic(profile.bootstrap_servers, topic_name)
        async with TopicReader(profile.bootstrap_servers, topic_name) as topic:
            for kill_at in (300, 650):  # records on the topic: half-way into each run
                child = await asyncio.create_subprocess_exec(
                    sys.executable, *replay, env=env, stdout=asyncio.subprocess.DEVNULL
                )
                try:

                    def half_way(n: int = kill_at, c: Any = child) -> bool:
                        return len(topic.records) >= n or c.returncode is not None

                    await poll_until(half_way, 60, every=0.01)
                finally:
                    child.send_signal(signal.SIGKILL)
                    await child.wait()
                assert child.returncode == -signal.SIGKILL, "the run ended before its kill"
                marked_at_kill.append(await asyncio.to_thread(replayed))
            last = await asyncio.create_subprocess_exec(
                sys.executable, *replay, env=env, stdout=asyncio.subprocess.DEVNULL
            )
            assert await asyncio.wait_for(last.wait(), 60) == 0
            # Records reach the topic in the order sent: one sent after the replay ended
            # marks the end of what the replay sent.
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(bootstrap_servers=profile.bootstrap_servers)
            await producer.start()
            try:
                await producer.send_and_wait(topic_name, SENTINEL, partition=0)
            finally:
                await producer.stop()
            await poll_until(lambda: topic.records[-1].value == SENTINEL, 30, every=0.05)
            return topic.records[:-1]

    records = asyncio.run(run())
    # Each kill came half-way, after marks were written and before all of them were.
    assert 0 < marked_at_kill[0] < marked_at_kill[1] < N, marked_at_kill
    replay_of = [dict(r.headers).get(REPLAY_HEADER) for r in records]
    assert None not in replay_of  # every record on the topic carries the replay marker
    assert {v.decode() for v in replay_of if v is not None} == {d.id for d in dead}  # no loss
    duplicates = len(records) - N
    assert 0 <= duplicates <= 100, f"{duplicates} records sent twice"
    with EventLog(db) as log:
        assert log.count_dead_letters(status="replayed") == N
