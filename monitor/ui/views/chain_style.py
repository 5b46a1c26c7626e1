"""Colours and small text helpers shared by the chain view's graph, waterfall and list.

The colours carry meaning and are the same everywhere in the view: red is a failed step
(a dead letter), amber a chain that stalled (its expected next event never came), violet
the slowest hop, blue the ordinary flow, teal a hop that spans a dead letter's fix and
replay (time someone took, not latency). Each theme has its own set, read when a widget
draws (see :func:`chain_colours`), so a theme switch only needs a redraw.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.core.chain_expectations import ChainState
from monitor.core.wording import format_duration
from monitor.ui import theme


@dataclass(frozen=True, slots=True)
class ChainColours:
    canvas: str  # behind the graph and the waterfall
    surface: str  # node cards
    border: str
    text: str
    muted: str
    grid: str
    flow: str  # ordinary edges and bars
    flow_soft: str
    accent: str  # the selected event
    slowest: str
    slowest_soft: str
    failed: str
    failed_soft: str
    stalled: str
    stalled_soft: str
    complete: str
    duplicate: str
    replay: str  # a hop across a dead letter's fix and replay
    replay_soft: str


_LIGHT = ChainColours(
    canvas="#fbfbfc",
    surface="#ffffff",
    border="#cdd3db",
    text="#1f2328",
    muted="#5f6b7a",
    grid="#eceef1",
    flow="#5b7fb0",
    flow_soft="#c9d7ec",
    accent="#2f6feb",
    slowest="#8a3ffc",
    slowest_soft="#efe6ff",
    failed="#c62828",
    failed_soft="#fdecec",
    stalled="#c77700",
    stalled_soft="#fff4df",
    complete="#1a7f37",
    duplicate="#8a5a00",
    replay="#0f766e",
    replay_soft="#dcf3ef",
)

_DARK = ChainColours(
    canvas="#181b20",
    surface="#22272e",
    border="#3d444d",
    text="#e6e8eb",
    muted="#9aa4b1",
    grid="#262b31",
    flow="#7fa6dd",
    flow_soft="#2c3d56",
    accent="#5b9bff",
    slowest="#b48cff",
    slowest_soft="#30254a",
    failed="#ff6b6b",
    failed_soft="#3a1f22",
    stalled="#f0a343",
    stalled_soft="#3a2c17",
    complete="#4cc86b",
    duplicate="#e0b45c",
    replay="#3cc2ae",
    replay_soft="#17332f",
)


def chain_colours() -> ChainColours:
    """The colours of the theme in use (read them when drawing, not once)."""
    return _DARK if theme.current == "dark" else _LIGHT


def state_colour(state: ChainState | None) -> str:
    c = chain_colours()
    return (
        {
            ChainState.FAILED: c.failed,
            ChainState.STALLED: c.stalled,
            ChainState.IN_PROGRESS: c.accent,
            ChainState.COMPLETE: c.complete,
        }.get(state, c.muted)
        if state is not None
        else c.muted
    )


STATE_TITLES = {
    ChainState.FAILED: "Failed",
    ChainState.STALLED: "Stalled",
    ChainState.IN_PROGRESS: "In progress",
    ChainState.COMPLETE: "Complete",
}


def service_name(source: str) -> str:
    """``demo-shop/payments`` -> ``payments``; a source without a path stays as it is."""
    tail = source.rstrip("/").rsplit("/", 1)[-1]
    return tail or source


def replayed_text(event_type: str, wait_ms: float | None) -> str:
    """``PaymentAuthorized fixed and replayed after 1 min 9 s`` (no event type: "an
    event"; no wait: without "after")."""
    after = f" after {format_duration(wait_ms / 1000)}" if wait_ms is not None else ""
    return f"{event_type or 'an event'} fixed and replayed{after}"


def replay_wait_text(wait_ms: float | None) -> str:
    """The short form on an edge or a timeline row: ``fixed + replayed 1 min 9 s``."""
    after = f" {format_duration(wait_ms / 1000)}" if wait_ms is not None else ""
    return f"fixed + replayed{after}"
