"""Syntax colours for JSON and diffs, one tokenizer and one palette for the whole window.

:class:`JsonHighlighter` colours a text document (the composer, the dead-letter editor
and panes), :func:`json_html` renders JSON text as coloured HTML (the stream's details
pane): both read the same tokens and :func:`monitor.ui.theme.json_colours`, so a key is
the same colour everywhere, in either theme. :class:`DiffHighlighter` colours unified
diffs. Colours are read when a block is painted: after a theme switch, ``rehighlight()``
is all it takes.
"""

from __future__ import annotations

import html
import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from monitor.ui import theme

# Line by line: a JSON string cannot span lines, so no state is carried between blocks.
# An unterminated string (a line cut short) is still a string.
JSON_TOKENS = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*")(?=\s*:)'
    r'|(?P<string>"(?:[^"\\]|\\.)*"?)'
    r"|(?P<number>-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"
    r"|(?P<literal>\btrue\b|\bfalse\b|\bnull\b)"
    r"|(?P<placeholder>\{\{\s*\w+\s*\}\})"  # a template's {{placeholder}}
)


def _format(
    colour: str, *, bold: bool = False, italic: bool = False, background: str | None = None
) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.DemiBold)
    fmt.setFontItalic(italic)
    if background is not None:
        fmt.setBackground(QColor(background))
    return fmt


class JsonHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers, ``true``/``false``/``null`` and ``{{placeholders}}``."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self.use_theme_colours()

    def use_theme_colours(self) -> None:
        """Take the current theme's colours (at start, and after a theme switch)."""
        c = theme.json_colours()
        self._formats = {
            "key": _format(c["key"], bold=True),
            "string": _format(c["string"]),
            "number": _format(c["number"]),
            "literal": _format(c["literal"], bold=True),
            "placeholder": _format(c["placeholder"], bold=True, italic=True),
        }
        self.rehighlight()

    def format_of(self, kind: str) -> QTextCharFormat:
        """The format a token kind (``key``, ``number``...) is painted with now."""
        return self._formats[kind]

    def highlightBlock(self, text: str) -> None:
        for match in JSON_TOKENS.finditer(text):
            kind = match.lastgroup
            if kind is not None:
                self.setFormat(match.start(), match.end() - match.start(), self._formats[kind])


def json_html(text: str) -> str:
    """``text`` (JSON) as escaped HTML, with the tokens in the theme's colours."""
    out: list[str] = []
    last = 0
    colours = theme.json_colours()
    for match in JSON_TOKENS.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        kind = match.lastgroup or "string"
        out.append(f'<span style="color:{colours[kind]}">{html.escape(match.group())}</span>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class DiffHighlighter(QSyntaxHighlighter):
    """Unified diff lines: additions green, removals red, hunk headers in the accent."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def highlightBlock(self, text: str) -> None:
        dark = theme.current == "dark"
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
