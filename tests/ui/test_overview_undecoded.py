"""The overview counts undecoded records apart from malformed ones: a record waiting for
its schema is not a broken one."""

from __future__ import annotations

from typing import Any

from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views.overview import OverviewView


def test_undecoded_records_are_counted_apart_from_malformed_ones(
    qtbot: Any, loop: Any, tmp_path: Any
) -> None:
    runtime = EmbeddedRuntime(str(tmp_path / "log.db"), demo_rate=None)
    try:
        context = AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline))
        view = OverviewView(context)
        qtbot.addWidget(view)
        waiting = Envelope(
            type="orders",
            source="kafka",
            topic="orders",
            data=None,
            raw=b"\x00\x00\x00\x00\x2a\x02",
            format="undecoded",
            error="schema id 42: no schema registry is configured for this profile",
        )
        runtime.pipeline.accept_many([waiting, waiting])
        runtime.pipeline.flush()
        context.feed.poll_stats()
        assert view.malformed_card.value_text() == "0"
        assert view.malformed_card.note_text() == "2 undecoded (schema not available yet)"
        # One decoded later (its schema came; see monitor.core.redecode): one still waits.
        runtime.undecoded.resolved += 1
        context.feed.poll_stats()
        assert view.malformed_card.note_text() == "1 undecoded (schema not available yet)"
    finally:
        runtime._close_log()
