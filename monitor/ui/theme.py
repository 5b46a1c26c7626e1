"""Colours, fonts and the application style, in one place so every widget agrees.

A light theme: the app is read for long stretches next to an editor and a terminal, and
dark text on a light background stays readable in screenshots and bug reports too.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

WINDOW_BG = "#f4f5f7"
SURFACE = "#ffffff"
BORDER = "#d8dce2"
TEXT = "#1f2328"
MUTED_TEXT = "#5f6b7a"
ACCENT = "#2f6feb"
DANGER = "#c62828"
WARNING = "#b35c00"  # malformed rows: noticeable, but not as loud as a dead letter
ALT_ROW = "#f7f8fa"
SELECTION = "#dbe7fd"
LIVE = "#1a7f37"

# Distinct colours for per-topic curves (Tableau 10 without its red, which is kept for
# topics whose name says they carry failures, so those stand out).
SERIES_COLOURS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#7f7f7f",
)
FAILURE_SERIES_COLOUR = "#e15759"

_STYLESHEET = f"""
QMainWindow, QWidget#central {{ background: {WINDOW_BG}; }}
QFrame#statCard {{
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 6px;
}}
QFrame#statCard[alert="true"] {{ border: 1px solid {DANGER}; background: #fff5f5; }}
QLabel#statCaption {{ color: {MUTED_TEXT}; font-size: 9pt; }}
QLabel#statValue {{ color: {TEXT}; font-size: 20pt; font-weight: 600; }}
QLabel#statValue[alert="true"] {{ color: {DANGER}; }}
QLabel#liveBadge {{ color: {LIVE}; font-weight: 600; padding: 0 6px; }}
QLabel#liveBadge[live="false"] {{ color: {MUTED_TEXT}; }}
QLabel#liveSource {{ color: {MUTED_TEXT}; padding: 0 6px; }}
QLabel#sectionTitle {{ color: {TEXT}; font-weight: 600; padding: 2px 2px 4px 2px; }}
QLabel#sectionHint {{ color: {MUTED_TEXT}; padding: 2px 2px 4px 2px; }}
QTableView {{
    background: {SURFACE};
    alternate-background-color: {ALT_ROW};
    border: 1px solid {BORDER};
    gridline-color: {BORDER};
    selection-background-color: {SELECTION};
    selection-color: {TEXT};
}}
QHeaderView::section {{
    background: {WINDOW_BG};
    color: {MUTED_TEXT};
    border: none;
    border-bottom: 1px solid {BORDER};
    border-right: 1px solid {BORDER};
    padding: 4px 6px;
    font-weight: 600;
}}
QSplitter::handle {{ background: {WINDOW_BG}; }}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; color: {MUTED_TEXT}; }}
QStatusBar QLabel {{ color: {MUTED_TEXT}; padding: 0 8px; }}
"""


def monospace_font() -> QFont:
    """The system's fixed-pitch font, for timestamps and ids that are compared by eye."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), 9.0))
    return font


def apply_theme(app: QApplication) -> None:
    """Fusion style (looks the same on every OS), a light palette and the stylesheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(WINDOW_BG))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor(ALT_ROW))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Button, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(SELECTION))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(MUTED_TEXT))
    app.setPalette(palette)
    font = app.font()
    font.setPointSizeF(10.0)
    app.setFont(font)
    app.setStyleSheet(_STYLESHEET)
