"""The trainee's scenario panel (a dock in training mode): the scenario's clock, what it
says is happening that the sensors cannot show (9-1-1 calls, sensor outages, an officer's
finding of missed gunfire), the two actions only the scenario answers, and the result.
Display only — the wiring is ``training_mode``."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

COLOURS = {"alert": "#ff6b6b", "alert_update": "#c9a0a0", "call": "#4fc3f7", "missed_found": "#ce93d8",
           "outage_start": "#b0bec5", "outage_end": "#b0bec5", "trainee": "#81c784", "refused": "#ffb74d"}


def mmss(t_s: float) -> str:
    return f"{int(t_s // 60):02d}:{int(t_s % 60):02d}"


class TrainingPanel(QWidget):
    notify_clicked = Signal()
    missed_report_clicked = Signal()

    def __init__(self, title: str, general_order: str, duration_s: float, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("training_panel")
        self.duration_s = duration_s
        self.title = QLabel(f"<b>{title}</b>" + (f"<br><small>{general_order}</small>" if general_order else ""))
        self.title.setWordWrap(True)
        self.clock = QLabel()
        self.clock.setObjectName("training_clock")
        self.clock.setStyleSheet("font-weight: bold;")
        self.log = QListWidget()
        self.log.setObjectName("training_log")
        self.log.setWordWrap(True)
        self.notify_btn = QPushButton("Notify supervisor")
        self.notify_btn.setToolTip("Tell the supervisor about the selected alert (the scenario's supervisor answers)")
        self.missed_btn = QPushButton("Missed-incident report")
        self.missed_btn.setToolTip("Open the report for the officer's finding of gunfire with no alert")
        self.missed_btn.setEnabled(False)
        self.notify_btn.clicked.connect(self.notify_clicked)
        self.missed_btn.clicked.connect(self.missed_report_clicked)
        self.result = QLabel()
        self.result.setObjectName("training_result")
        self.result.setWordWrap(True)
        self.result.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.notify_btn)
        buttons.addWidget(self.missed_btn)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.clock)
        lay.addWidget(self.log, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.result)
        self.set_time(0.0)

    def set_time(self, now_s: float, finished: bool = False) -> None:
        state = "finished" if finished else "running"
        self.clock.setText(f"Scenario {mmss(now_s)} / {mmss(self.duration_s)} — {state}")

    def add_line(self, t_s: float, kind: str, text: str) -> None:
        item = QListWidgetItem(f"{mmss(t_s)}  {text}")
        item.setData(256, kind)
        item.setForeground(QBrush(QColor(COLOURS.get(kind, "#e0e0e0"))))
        self.log.addItem(item)
        self.log.scrollToBottom()

    def lines(self) -> list[str]:
        return [self.log.item(i).text() for i in range(self.log.count())]

    def set_result(self, text: str) -> None:
        self.result.setText(text)
        self.result.setVisible(True)
