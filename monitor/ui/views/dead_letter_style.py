"""The dead-letter view's stylesheet, built from the current theme's colours.

Built on demand (not at import) so that after a theme switch the view can rebuild it.
"""

from __future__ import annotations

from monitor.ui import theme


def view_stylesheet() -> str:
    t = theme
    danger_bg = getattr(t, "DANGER_BG", "#fff5f5")
    return f"""
QWidget#deadLettersView {{ background: {t.WINDOW_BG}; }}
QLabel#viewTitle {{ color: {t.TEXT}; font-size: 14pt; font-weight: 600; }}
QLabel#viewSummary, QLabel#fieldCaption {{ color: {t.MUTED_TEXT}; }}
QLabel#messageLabel {{ color: {t.MUTED_TEXT}; }}
QPushButton#segment {{
    background: {t.SURFACE}; color: {t.TEXT}; border: 1px solid {t.BORDER};
    border-left: none; padding: 4px 12px; min-width: 64px;
}}
QPushButton#segment[position="first"] {{
    border-left: 1px solid {t.BORDER};
    border-top-left-radius: 5px; border-bottom-left-radius: 5px;
}}
QPushButton#segment[position="last"] {{
    border-top-right-radius: 5px; border-bottom-right-radius: 5px;
}}
QPushButton#segment:checked {{ background: {t.ACCENT}; color: white; border-color: {t.ACCENT}; }}
QPushButton#segment:hover:!checked {{ background: {t.SELECTION}; }}
QLineEdit#search {{
    background: {t.SURFACE}; border: 1px solid {t.BORDER}; border-radius: 5px;
    padding: 4px 8px; color: {t.TEXT};
}}
QLineEdit#search:focus {{ border-color: {t.ACCENT}; }}
QToolButton#actionButton, QToolButton#primaryButton, QToolButton#dangerButton,
QToolButton#targetButton {{
    background: {t.SURFACE}; color: {t.TEXT}; border: 1px solid {t.BORDER};
    border-radius: 5px; padding: 4px 12px;
}}
QToolButton#primaryButton {{ background: {t.ACCENT}; color: white; border-color: {t.ACCENT};
    font-weight: 600; }}
QToolButton#dangerButton {{ color: {t.DANGER}; }}
QToolButton#actionButton:hover, QToolButton#dangerButton:hover,
QToolButton#targetButton:hover {{ border-color: {t.ACCENT}; }}
QToolButton#actionButton:disabled, QToolButton#dangerButton:disabled,
QToolButton#primaryButton:disabled, QToolButton#targetButton:disabled {{
    background: {t.WINDOW_BG}; color: {t.MUTED_TEXT}; border-color: {t.BORDER};
}}
QToolButton#targetButton {{ border-radius: 0; }}
QToolButton#targetButton[position="first"] {{
    border-top-left-radius: 5px; border-bottom-left-radius: 5px; border-right: none;
}}
QToolButton#targetButton[position="middle"] {{ border-right: none; }}
QToolButton#targetButton[position="last"] {{
    border-top-right-radius: 5px; border-bottom-right-radius: 5px;
}}
QToolButton#targetButton:checked {{ background: {t.SELECTION}; color: {t.TEXT};
    border-color: {t.ACCENT}; font-weight: 600; }}
QLabel#kafkaNote {{
    background: {danger_bg};
    border: 1px solid {t.WARNING}; border-radius: 5px; padding: 6px 10px; color: {t.TEXT};
}}
QLabel#kafkaNote[level="info"] {{ background: {t.SURFACE}; border-color: {t.BORDER}; }}
QTableView#deadLetterTable {{ outline: 0; }}
QListView#reasonGroups {{ outline: 0; }}
QListView#reasonGroups {{ background: {t.SURFACE}; border: 1px solid {t.BORDER}; }}
QFrame#detailsPane {{ background: {t.SURFACE}; border: 1px solid {t.BORDER}; }}
QFrame#detailsPane QLabel {{ background: transparent; }}
QLabel#detailsTitle {{ color: {t.TEXT}; font-size: 13pt; font-weight: 600; }}
QLabel#detailsReason {{ color: {t.DANGER}; font-weight: 600; }}
QFrame#detailsPane QPlainTextEdit, QFrame#detailsPane QTreeWidget {{
    background: {t.SURFACE}; border: none;
}}
QWidget#detailsSummary {{ border-right: 1px solid {t.BORDER}; }}
QWidget#operationBar {{ background: {t.SURFACE}; border: 1px solid {t.BORDER};
    border-radius: 5px; }}
QWidget#operationBar[outcome="failed"] QLabel {{ color: {t.DANGER}; }}
QWidget#operationBar[outcome="succeeded"] QLabel {{ color: {t.LIVE}; }}
QProgressBar {{ border: 1px solid {t.BORDER}; border-radius: 4px; background: {t.WINDOW_BG};
    text-align: center; color: {t.TEXT}; min-height: 16px; }}
QProgressBar::chunk {{ background: {t.ACCENT}; border-radius: 3px; }}
"""
