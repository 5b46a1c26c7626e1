"""Syntax colours for the dead-letter view's text panes: JSON documents and unified diffs.

Colours come from :mod:`monitor.ui.theme` when a block is highlighted, so after a theme
switch a ``rehighlight()`` is all it takes.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from monitor.ui import theme

_JSON_TOKENS = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)'
    r'|(?P<string>"(?:[^"\\]|\\.)*"?)'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
)

# (key, string, number, literal) colours per theme.
_JSON_COLOURS = {
    "light": ("#8250df", "#0a7d5a", "#b35c00", "#2f6feb"),
    "dark": ("#c297ff", "#56d4a0", "#f0a343", "#5b9bff"),
}


def _format(colour: str, *, bold: bool = False, background: str | None = None) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.DemiBold)
    if background is not None:
        fmt.setBackground(QColor(background))
    return fmt


class JsonHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers and literals in distinct colours."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        key, string, number, literal = _JSON_COLOURS.get(
            getattr(theme, "current", "light"), _JSON_COLOURS["light"]
        )
        formats = {
            "key": _format(key),
            "string": _format(string),
            "number": _format(number),
            "literal": _format(literal, bold=True),
        }
        for match in _JSON_TOKENS.finditer(text):
            kind = match.lastgroup
            if kind is not None:
                self.setFormat(match.start(), match.end() - match.start(), formats[kind])


class DiffHighlighter(QSyntaxHighlighter):
    """Unified diff lines: additions green, removals red, hunk headers muted."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        dark = getattr(theme, "current", "light") == "dark"
        if text.startswith(("+++", "---")):
            fmt = _format(theme.MUTED_TEXT, bold=True)
        elif text.startswith("+"):
            fmt = _format(theme.LIVE, background="#1d3b27" if dark else "#e6f4ea")
        elif text.startswith("-"):
            fmt = _format(theme.DANGER, background="#3a1f22" if dark else "#fdecea")
        elif text.startswith("@@"):
            fmt = _format(theme.ACCENT)
        else:
            return
        self.setFormat(0, len(text), fmt)
