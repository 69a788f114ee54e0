"""Keyboard help overlay (F1 or ?): every shortcut, in large type."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("help_overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#help_overlay { background: rgba(5, 8, 12, 225); } QLabel { font-size: 18px; }")
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label)
        self.hide()

    def set_shortcuts(self, rows: list[tuple[str, str]]) -> None:
        cells = "".join(f"<tr><td align='right' style='padding:4px 18px; color:#00e5ff'><b>{k}</b></td>"
                        f"<td style='padding:4px 18px'>{v}</td></tr>" for k, v in rows)
        self.label.setText(f"<h1>Keyboard</h1><table>{cells}</table><p style='color:#8a93a0'>"
                           "Press F1, ? or Esc to close</p>")

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
            self.show()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.hide()
