"""Supervisor view: alerts waiting (unacknowledged or escalated), monitors on duty vs.
required, and one-click supervisor confirmation."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.console_services.alert_record import AlertRecord
from app.console_services.readout import format_age, kind_short


class SupervisorView(QWidget):
    confirm_requested = Signal(str)
    incident_activated = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisor_view")
        self.staffing = QLabel()
        self.alarm = QLabel("")
        self.alarm.setObjectName("escalation")
        self.alarm.setVisible(False)
        self.list = QListWidget()
        self.list.setObjectName("supervisor_list")
        self.confirm_btn = QPushButton("Confirm selected (S)")
        self.confirm_btn.setObjectName("primary")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        top = QHBoxLayout()
        top.addWidget(self.staffing, 1)
        top.addWidget(self.alarm)
        lay.addLayout(top)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.confirm_btn)
        self.confirm_btn.clicked.connect(self._confirm)
        self.list.itemActivated.connect(self._activated)
        self.list.currentItemChanged.connect(self._current)

    def set_staffing(self, on_duty: int, required: int) -> None:
        ok = on_duty >= required
        colour = "#66e08a" if ok else "#ff2d55"
        self.staffing.setText(f"Monitors on duty: <b style='color:{colour}'>{on_duty}</b> of {required} required")

    def set_records(self, recs: list[AlertRecord], now_ns: int) -> None:
        cur = self.list.currentItem()
        current = cur.data(Qt.ItemDataRole.UserRole) if cur is not None else None
        self.list.clear()
        escalated = 0
        for r in recs:
            tag = "ESCALATED" if r.escalated else ("waiting" if r.state == "new" else r.state)
            escalated += r.escalated
            conf = " · confirmed" if r.supervisor_confirmed_by else ""
            it = QListWidgetItem(f"[{tag}] {format_age(r.ack_wait_s(now_ns))} · {kind_short(r.summary)} "
                                 f"{r.summary.rounds} rd · {r.location_words}{conf}")
            it.setData(Qt.ItemDataRole.UserRole, r.incident_id)
            if r.escalated:
                it.setForeground(QBrush(QColor("#ffffff")))
                it.setBackground(QBrush(QColor("#8b0000")))
            self.list.addItem(it)
            if r.incident_id == current:
                self.list.setCurrentItem(it)
        if not recs:
            self.list.addItem("Nothing waiting.")
        self.alarm.setText(f"{escalated} escalated")
        self.alarm.setVisible(escalated > 0)

    def _selected_id(self) -> str | None:
        it = self.list.currentItem()
        return it.data(Qt.ItemDataRole.UserRole) if it else None

    def _confirm(self) -> None:
        iid = self._selected_id()
        if iid:
            self.confirm_requested.emit(iid)

    def _activated(self, item) -> None:
        iid = item.data(Qt.ItemDataRole.UserRole)
        if iid:
            self.incident_activated.emit(iid)

    def _current(self, item, _prev) -> None:
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            self.incident_activated.emit(item.data(Qt.ItemDataRole.UserRole))
