"""Sampled series over time (dead-letter depth, consumer lag), one curve per series.

Fed ``{name: [(epoch seconds, value), ...]}`` a few times a second. The x axis is
"seconds ago" with now at the right, as in the rate chart, so the two read alike.
:class:`HistoryChart` draws stored series over a longer range (an hour to a week) and
says the value and time of the point under the mouse.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QToolTip

from monitor.ui import theme
from monitor.ui.live_chart import LiveChart
from monitor.ui.rate_chart import pick_colour

Samples = dict[str, list[tuple[float, float]]]


class SeriesChart(LiveChart):
    def __init__(self, y_label: str, window_seconds: int = 600, parent: Any = None) -> None:
        super().__init__(y_label, parent=parent)
        self.window_seconds = window_seconds
        self.paused = False
        self._curves: dict[str, pg.PlotDataItem] = {}
        self.getPlotItem().setXRange(0, 60, padding=0)

    def show_samples(self, samples: Samples) -> None:
        """Redraw every series from ``samples`` (one ``setData`` per series)."""
        if self.paused:
            return
        now = time.time()
        oldest, peak = 0.0, 0.0
        for name, points in samples.items():
            recent = [(t, v) for t, v in points if now - t <= self.window_seconds]
            if not recent:
                continue
            x = np.fromiter((now - t for t, _ in recent), float, len(recent))
            y = np.fromiter((v for _, v in recent), float, len(recent))
            oldest = max(oldest, float(x.max()))
            peak = max(peak, float(y.max()))
            self._curve(name).setData(x, y, skipFiniteCheck=True)
        plot = self.getPlotItem()
        plot.setXRange(0, min(float(self.window_seconds), max(60.0, oldest + 5.0)), padding=0)
        plot.setYRange(0, max(5.0, peak * 1.25), padding=0)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.getPlotItem().getViewBox().setMouseEnabled(x=paused, y=paused)

    def names(self) -> list[str]:
        return list(self._curves)

    def latest(self, name: str) -> float | None:
        _, y = self._curves[name].getData()
        return None if y is None or not len(y) else float(y[-1])

    def _curve(self, name: str) -> pg.PlotDataItem:
        curve = self._curves.get(name)
        if curve is None:
            taken = {c.opts["pen"].color().name() for c in self._curves.values()}
            curve = self.getPlotItem().plot(
                name=name, pen=pg.mkPen(pick_colour(name, taken), width=2), antialias=False
            )
            self._curves[name] = curve
        return curve


def ago_text(seconds: float) -> str:
    """How a time axis says "this long ago": 45 s, 20 min, 6 h, 3 d."""
    s = abs(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 3 * 86_400:
        return f"{s / 3600:.0f} h"
    return f"{s / 86_400:.0f} d"


class AgoAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A bottom axis in seconds ago that labels its ticks in the unit that reads best."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [ago_text(v * scale) for v in values]


class HistoryChart(SeriesChart):
    """Stored series over a range (an hour, a day, a week), one curve per series.

    Moving the mouse over the chart says the value and time of the nearest point (in a
    tooltip, and in :attr:`hover_text`); a click emits :attr:`moment_clicked` with the
    time of the point clicked (epoch seconds).
    """

    moment_clicked = Signal(float)

    def __init__(self, y_label: str, unit: str = "", parent: Any = None) -> None:
        super().__init__(y_label, window_seconds=3600, parent=parent)
        self.unit = unit
        self.hover_text = ""
        self._now = time.time()
        self._points: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (times, values)
        plot = self.getPlotItem()
        plot.setAxisItems({"bottom": AgoAxis("bottom")})
        self._apply_theme()
        self.scene().sigMouseMoved.connect(self._hovered)
        self.scene().sigMouseClicked.connect(self._clicked)

    def _apply_theme(self) -> None:
        super()._apply_theme()
        self.getPlotItem().setLabel("bottom", "ago", color=theme.MUTED_TEXT)
        axis = self.getPlotItem().getAxis("bottom")
        axis.setPen(pg.mkPen(theme.BORDER))
        axis.setTextPen(pg.mkPen(theme.MUTED_TEXT))

    def show_series(
        self, series: dict[str, list[tuple[float, float]]], span: float, now: float
    ) -> None:
        """Draw ``{name: [(time, value), ...]}`` over the last ``span`` seconds before
        ``now``. Series no longer given are cleared."""
        if self.paused:
            return
        self._now = now
        self.window_seconds = int(span)
        peak = 0.0
        for name in list(self._curves):
            if name not in series:
                self._curves[name].setData([], [])
                self._points.pop(name, None)
        for name, samples in series.items():
            if not samples:
                continue
            times = np.fromiter((t for t, _ in samples), float, len(samples))
            values = np.fromiter((v for _, v in samples), float, len(samples))
            self._points[name] = (times, values)
            peak = max(peak, float(values.max()))
            self._curve(name).setData(now - times, values, skipFiniteCheck=True)
        plot = self.getPlotItem()
        plot.setXRange(0, span, padding=0)
        plot.setYRange(0, max(5.0, peak * 1.25), padding=0)

    def samples(self, name: str) -> list[tuple[float, float]]:
        """What is drawn for ``name``: (time, value), oldest first."""
        times, values = self._points.get(name, (np.zeros(0), np.zeros(0)))
        return list(zip(times.tolist(), values.tolist(), strict=True))

    def point_near(self, seconds_ago: float) -> tuple[str, float, float] | None:
        """The drawn point nearest in time to ``seconds_ago``: (series, time, value)."""
        best: tuple[float, str, float, float] | None = None
        target = self._now - seconds_ago
        for name, (times, values) in self._points.items():
            if not len(times):
                continue
            i = int(np.abs(times - target).argmin())
            distance = abs(float(times[i]) - target)
            if (
                best is None
                or distance < best[0]
                or (distance == best[0] and float(values[i]) > best[3])
            ):
                best = (distance, name, float(times[i]), float(values[i]))
        return None if best is None else best[1:]

    def describe_point(self, seconds_ago: float) -> str:
        found = self.point_near(seconds_ago)
        if found is None:
            return ""
        name, at, value = found
        unit = f" {self.unit}" if self.unit else ""
        number = f"{value:,.0f}" if value == int(value) or value >= 100 else f"{value:,.2f}"
        when = datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")
        return f"{name}: {number}{unit} at {when}"

    def _hovered(self, scene_pos: Any) -> None:
        view = self.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            return
        x = float(view.mapSceneToView(scene_pos).x())
        text = self.describe_point(x)
        if text != self.hover_text:
            self.hover_text = text
            self.setToolTip(text)
            QToolTip.showText(QCursor.pos(), text, self)

    def _clicked(self, event: Any) -> None:
        view = self.getPlotItem().getViewBox()
        pos = event.scenePos()
        if not view.sceneBoundingRect().contains(pos):
            return
        found = self.point_near(float(view.mapSceneToView(pos).x()))
        if found is not None:
            self.moment_clicked.emit(found[1])
