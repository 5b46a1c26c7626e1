"""What the history samples: rates from the pipeline's exact counters over the time since
the previous sample, malformed and undecoded shares, pending dead letters, and cluster
gauges only while they are fresh."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.core.envelope import Envelope
from monitor.core.gauges import GaugeHistory
from monitor.core.history_probes import LiveStatsProbe, UndecodedCounter, cluster_probes
from monitor.core.history_store import HistoryStore
from monitor.core.history_watch import HistoryWatch
from monitor.core.pipeline import IngestPipeline
from tests.polling import poll_until


def event(topic: str, **fields: object) -> Envelope:
    return Envelope(type="T", source="s", topic=topic, **fields)  # type: ignore[arg-type]


def test_rates_count_every_event_between_two_samples_by_topic_and_kind() -> None:
    pipeline = IngestPipeline()
    undecoded = UndecodedCounter()
    pipeline.add_observer(undecoded)
    probe = LiveStatsProbe(pipeline.stats, undecoded)
    first = probe(100.0)
    assert first == {"dead_letters.pending": 0.0}  # no rates before a second sample
    pipeline.accept_many(
        [event("orders") for _ in range(30)]
        + [event("orders", malformed=True, error="bad", raw=b"{")] * 5
        + [event("avro", data=None, raw=b"\x00\x01", format="undecoded")] * 10
        + [event("text", data="plain words", raw=b"plain words")] * 5  # read: not undecoded
        + [event("bin", data=None, raw=b"\x89PNG", format="binary")] * 5  # what it is
    )
    pipeline.flush()
    values = probe(110.0)
    assert values["topic.orders.rate"] == 3.5
    assert values["topic.avro.rate"] == 1.0
    assert values["events.rate"] == 5.5
    assert values["events.malformed.rate"] == 0.5
    assert values["events.undecoded.rate"] == 1.0
    assert probe(120.0)["topic.orders.rate"] == 0.0  # quiet since: zero, not missing


def test_a_run_shorter_than_a_second_takes_its_events_over_a_second() -> None:
    # A replay of three letters, sampled as it starts and as it ends 25 ms later: three
    # events in its second, not 120 a second.
    pipeline = IngestPipeline()
    probe = LiveStatsProbe(pipeline.stats)
    probe(100.0)
    pipeline.accept_many([event("inventory.reserved") for _ in range(3)])
    pipeline.flush()
    values = probe(100.025)
    assert values["events.rate"] == 3.0 and values["topic.inventory.reserved.rate"] == 3.0


def test_cluster_gauges_are_sampled_only_while_fresh_and_summed_for_watch() -> None:
    lag, seconds, depth = GaugeHistory(), GaugeHistory(), GaugeHistory()
    lag.record("billing", 12, at=100.0)
    seconds.record("billing", 30.5, at=100.0)
    depth.record("orders.DLT", 3, at=100.0)
    depth.record("payments.DLT", 4, at=100.0)
    values: dict[str, float] = {}
    for probe in cluster_probes(lag, seconds, depth, fresh=15, total_dead_letters=True):
        values.update(probe(105.0))
    assert values == {
        "group.billing.lag": 12,
        "group.billing.lag_seconds": 30.5,
        "dead_letters.orders.DLT.pending": 3,
        "dead_letters.payments.DLT.pending": 4,
        "dead_letters.pending": 7,
    }
    stale: dict[str, float] = {}
    for probe in cluster_probes(lag, seconds, depth, fresh=15, total_dead_letters=True):
        stale.update(probe(200.0))
    assert stale == {}  # a cluster that stopped answering leaves a gap


def test_a_watch_stopping_takes_a_last_sample_with_the_final_values(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    pipeline = IngestPipeline()
    watch = HistoryWatch(db, interval=3600)
    watch.probes.append(LiveStatsProbe(pipeline.stats))

    async def main() -> None:
        await watch.open()
        watch.start()
        await poll_until(lambda: watch.samples_taken == 1, every=0.01)  # at once
        pipeline.stats.dead_letters_changed(+4, new=4)
        await watch.stop()

    asyncio.run(main())
    with HistoryStore(db) as store:
        (series,) = store.read(["dead_letters.pending"])
    assert [v for _, v in series.samples] == [0.0, 4.0]


def test_a_sample_just_after_another_measures_from_the_one_before() -> None:
    # The last sample a run takes as it ends can come milliseconds after a regular one:
    # a rate over those milliseconds would be a spike (or a zero) that never happened.
    pipeline = IngestPipeline()
    probe = LiveStatsProbe(pipeline.stats)
    probe(100.0)
    pipeline.accept_many([event("orders") for _ in range(500)])
    pipeline.flush()
    assert probe(105.0)["topic.orders.rate"] == 100.0
    pipeline.accept_many([event("orders") for _ in range(2)])
    pipeline.flush()
    last = probe(105.002)
    assert 100.0 <= last["topic.orders.rate"] < 101.0  # 502 events over 5.002 s
    # A run shorter than a second still ends with its rates, over a second.
    short = IngestPipeline()
    quick = LiveStatsProbe(short.stats)
    quick(10.0)
    short.accept_many([event("orders") for _ in range(5)])
    short.flush()
    assert quick(10.5)["events.rate"] == 5.0
