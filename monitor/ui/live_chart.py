"""What the overview's charts share: "seconds ago" on the x axis (now at the right edge),
a legend along the top, and the theme's colours, taken again after a theme switch.

pyqtgraph paints with the colours it was given, not the palette: without the switch
handling here, a chart built in one theme keeps that theme's white (or dark) panel.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent

from monitor.ui import theme


class LiveChart(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph is untyped
    def __init__(self, y_label: str, *, legend_panel: bool = False, parent: Any = None) -> None:
        super().__init__(parent=parent, background=theme.SURFACE)
        self._y_label = y_label
        self._legend_panel = legend_panel  # a filled legend, over headroom kept for it
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)  # the context menu offers nothing these views need
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.12)
        view = plot.getViewBox()
        view.invertX(True)  # "seconds ago" grows to the left; now is at the right edge
        view.setMouseEnabled(x=False, y=False)  # a live view: panning would fight updates
        view.setLimits(yMin=0)
        self._legend = plot.addLegend(offset=(6, 2), colCount=1)
        self._apply_theme()

    def _apply_theme(self) -> None:
        self.setBackground(theme.SURFACE)
        plot = self.getPlotItem()
        plot.setLabel("bottom", "seconds ago", color=theme.MUTED_TEXT)
        plot.setLabel("left", self._y_label, color=theme.MUTED_TEXT)
        for name in ("bottom", "left"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.BORDER))
            axis.setTextPen(pg.mkPen(theme.MUTED_TEXT))
        legend = self._legend
        legend.setBrush(pg.mkBrush(theme.SURFACE) if self._legend_panel else pg.mkBrush(None))
        legend.setPen(pg.mkPen(theme.BORDER))
        legend.setLabelTextColor(theme.TEXT)
        for _sample, label in legend.items:
            label.setText(label.text)  # a label's colour is baked into its text

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The app switched themes. (pyqtgraph's own set-up changes the palette too, before
        # there is a legend to colour; a closed chart has no plot left.)
        if (
            event.type() == QEvent.Type.PaletteChange
            and hasattr(self, "_legend")
            and self.getPlotItem() is not None
        ):
            self._apply_theme()
