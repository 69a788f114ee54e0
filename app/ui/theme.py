"""Dark, high-contrast theme (palette + stylesheet) and matching pyqtgraph colours."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.ui.resources import resource

BG = "#0b0f14"
FG = "#e8edf3"
ACCENT = "#00e5ff"


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BG), (QPalette.ColorRole.WindowText, FG),
        (QPalette.ColorRole.Base, "#0e141b"), (QPalette.ColorRole.AlternateBase, "#121a23"),
        (QPalette.ColorRole.Text, FG), (QPalette.ColorRole.Button, "#1c2733"),
        (QPalette.ColorRole.ButtonText, "#ffffff"), (QPalette.ColorRole.Highlight, "#0a5a8a"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#18202a"),
        (QPalette.ColorRole.ToolTipText, "#ffffff"), (QPalette.ColorRole.PlaceholderText, "#7d8a99"),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)
    app.setStyleSheet(resource("ui", "dark.qss").read_text(encoding="utf-8"))
    import pyqtgraph as pg

    pg.setConfigOptions(background=BG, foreground=FG, antialias=False)
