"""Colours, fonts and the application style, in one place so every widget agrees.

Two themes. Light is the default: the app is read for long stretches next to an editor
and a terminal, and dark text on light stays readable in screenshots and bug reports.
Dark is for dim rooms and night shifts. :func:`apply_theme` sets the palette and the
stylesheet and rebinds this module's colour names, so widgets that read them when they
paint follow the switch; widgets that bake a colour in (plot backgrounds) listen for
:func:`on_theme_changed`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QWidget

THEMES: dict[str, dict[str, str]] = {
    "light": {
        "WINDOW_BG": "#f4f5f7",
        "SURFACE": "#ffffff",
        "BORDER": "#d8dce2",
        "TEXT": "#1f2328",
        "MUTED_TEXT": "#5f6b7a",
        "ACCENT": "#2f6feb",
        "DANGER": "#c62828",
        "DANGER_BG": "#fff5f5",
        "WARNING": "#b35c00",
        "ALT_ROW": "#f7f8fa",
        "SELECTION": "#dbe7fd",
        "LIVE": "#1a7f37",
        "WARNING_BG": "#fff4e5",
        "ACCENT_MUTED": "#a9c2f2",
    },
    "dark": {
        "WINDOW_BG": "#16191d",
        "SURFACE": "#1e2227",
        "BORDER": "#343a42",
        "TEXT": "#e6e8eb",
        "MUTED_TEXT": "#9aa4b1",
        "ACCENT": "#5b9bff",
        "DANGER": "#ff6b6b",
        "DANGER_BG": "#3a1f22",
        "WARNING": "#f0a343",
        "ALT_ROW": "#23282e",
        "SELECTION": "#27406b",
        "LIVE": "#4cc86b",
        "WARNING_BG": "#3a2a14",
        "ACCENT_MUTED": "#2b3f63",
    },
}

current = "light"
WINDOW_BG = THEMES["light"]["WINDOW_BG"]
SURFACE = THEMES["light"]["SURFACE"]
BORDER = THEMES["light"]["BORDER"]
TEXT = THEMES["light"]["TEXT"]
MUTED_TEXT = THEMES["light"]["MUTED_TEXT"]
ACCENT = THEMES["light"]["ACCENT"]
DANGER = THEMES["light"]["DANGER"]
DANGER_BG = THEMES["light"]["DANGER_BG"]
WARNING = THEMES["light"]["WARNING"]  # malformed rows: noticeable, not as loud as a dead letter
ALT_ROW = THEMES["light"]["ALT_ROW"]
SELECTION = THEMES["light"]["SELECTION"]
LIVE = THEMES["light"]["LIVE"]
WARNING_BG = THEMES["light"]["WARNING_BG"]  # behind a warning-coloured text or toggle
ACCENT_MUTED = THEMES["light"]["ACCENT_MUTED"]  # a primary button that is disabled

_listeners: list[Callable[[], None]] = []


# JSON as shown and edited: token colours readable on each theme's surface.
_JSON_COLOURS = {
    "light": {
        "key": "#0550ae",
        "string": "#0a3069",
        "number": "#953800",
        "literal": "#8250df",
        "placeholder": "#c24e00",
        "code_bg": "#f6f8fa",
        "error_line": "#fde7e7",
    },
    "dark": {
        "key": "#79c0ff",
        "string": "#a5d6ff",
        "number": "#ffa657",
        "literal": "#d2a8ff",
        "placeholder": "#ffb86b",
        "code_bg": "#161b22",
        "error_line": "#4a2226",
    },
}


def json_colours() -> dict[str, str]:
    """The current theme's colours for JSON: ``key``, ``string``, ``number``, ``literal``,
    ``placeholder``, and the ``code_bg`` and ``error_line`` backgrounds."""
    return _JSON_COLOURS.get(current, _JSON_COLOURS["light"])


def keep_styled(widget: QWidget, stylesheet: Callable[[], str]) -> None:
    """Give ``widget`` the stylesheet ``stylesheet()`` builds from this module's colours,
    now and again after every theme switch (the switch changes the app's palette, which
    every widget hears of), so a view's own rules never keep the other theme's colours."""
    follower = _StyleFollower(widget, stylesheet)
    widget.installEventFilter(follower)
    follower.apply()


class _StyleFollower(QObject):
    def __init__(self, widget: QWidget, stylesheet: Callable[[], str]) -> None:
        super().__init__(widget)  # lives and dies with the widget
        self._widget = widget
        self._stylesheet = stylesheet
        self._applying = False

    def apply(self) -> None:
        self._applying = True  # setting a stylesheet can itself change the palette
        try:
            self._widget.setStyleSheet(self._stylesheet())
        finally:
            self._applying = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange and not self._applying:
            self.apply()
        return False


def on_theme_changed(callback: Callable[[], None]) -> None:
    """Call ``callback`` after every theme switch (for colours baked into widgets)."""
    _listeners.append(callback)


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


def _stylesheet() -> str:
    return f"""
QMainWindow, QWidget#central {{ background: {WINDOW_BG}; }}
QFrame#statCard {{
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 6px;
}}
QFrame#statCard[alert="true"] {{ border: 1px solid {DANGER}; background: {DANGER_BG}; }}
QFrame#statCard[clickable="true"]:hover {{ border: 1px solid {ACCENT}; }}
QFrame#statCard:focus {{ border: 2px solid {ACCENT}; }}
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
{_focus_rules()}
QStatusBar {{ background: {SURFACE}; border-top: 1px solid {BORDER}; color: {MUTED_TEXT}; }}
QStatusBar QLabel {{ color: {MUTED_TEXT}; padding: 0 8px; }}
"""


def _focus_rules() -> str:
    """Where the keyboard focus is, in the accent colour: a ring on tables, lists, buttons
    and the focused tab (text fields show their caret). Fusion draws its own focus frame in the
    selection colour, which is too pale to see on either theme. Buttons are drawn by the
    stylesheet in every state (not only when focused), so focus changes the ring only."""
    return f"""
QTableView:focus, QTreeView:focus, QListView:focus, QPlainTextEdit:focus, QTextEdit:focus {{
    border: 2px solid {ACCENT};
}}
QPushButton {{
    background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 4px;
    padding: 4px 12px; min-height: 18px;
}}
QPushButton:hover {{ border-color: {ACCENT_MUTED}; }}
QPushButton:pressed, QPushButton:checked {{ background: {SELECTION}; }}
QPushButton:disabled {{ color: {MUTED_TEXT}; background: {WINDOW_BG}; }}
QPushButton:focus {{ border: 2px solid {ACCENT}; padding: 3px 11px; }}
QToolButton:focus {{ border: 2px solid {ACCENT}; border-radius: 4px; }}
QCheckBox:focus, QRadioButton:focus {{ background: {SELECTION}; border-radius: 3px; }}
QTabBar::tab {{
    background: {WINDOW_BG}; color: {MUTED_TEXT}; border: 1px solid {BORDER};
    border-bottom: none; border-top-left-radius: 4px; border-top-right-radius: 4px;
    padding: 5px 12px; margin-right: 1px;
}}
QTabBar::tab:selected {{ background: {SURFACE}; color: {TEXT}; }}
QTabBar::tab:hover {{ color: {TEXT}; }}
QTabBar::tab:focus {{
    color: {ACCENT}; border: 2px solid {ACCENT}; border-bottom: none; padding: 4px 11px;
}}
"""


def monospace_font() -> QFont:
    """The system's fixed-pitch font, for timestamps and ids that are compared by eye."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), 9.0))
    return font


def apply_theme(app: QApplication, name: str = "light") -> None:
    """Fusion style (the same on every OS), the named palette and the stylesheet.
    An unknown name falls back to light."""
    global current
    colours = THEMES.get(name, THEMES["light"])
    current = name if name in THEMES else "light"
    globals().update(colours)
    app.setStyle("Fusion")
    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, WINDOW_BG),
        (role.WindowText, TEXT),
        (role.Base, SURFACE),
        (role.AlternateBase, ALT_ROW),
        (role.Text, TEXT),
        (role.Button, SURFACE),
        (role.ButtonText, TEXT),
        (role.Highlight, SELECTION),
        (role.HighlightedText, TEXT),
        (role.ToolTipBase, SURFACE),
        (role.ToolTipText, TEXT),
        (role.PlaceholderText, MUTED_TEXT),
        (role.Link, ACCENT),
    ):
        palette.setColor(r, QColor(colour))
    if current == "dark":
        # Fusion draws bevels and the tab bar's base line in these: left at their light
        # defaults they show as white lines on the dark surfaces.
        for r, colour in (
            (role.Light, BORDER),
            (role.Midlight, BORDER),
            (role.Mid, BORDER),
            (role.Dark, WINDOW_BG),
        ):
            palette.setColor(r, QColor(colour))
    app.setPalette(palette)
    font = app.font()
    font.setPointSizeF(10.0)
    app.setFont(font)
    app.setStyleSheet(_stylesheet())
    for callback in list(_listeners):
        callback()
