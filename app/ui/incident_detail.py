"""Incident detail: the read-out to say on the radio, actions, revisions, calls, units,
EMS and disposition.  Buttons call the controller; nothing here decides workflow."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QListWidget, QPushButton,
                               QTabWidget, QVBoxLayout, QWidget)

from app.console_services.alert_record import STATE_WORDS, AlertRecord
from app.console_services.readout import KIND_WORDS, clock_time, format_age


class IncidentDetail(QWidget):
    acknowledge_clicked = Signal()
    cad_clicked = Signal()
    on_scene_clicked = Signal()
    close_clicked = Signal(str)
    confirm_clicked = Signal()
    call_clicked = Signal()
    copy_clicked = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("incident_detail")
        self.record: AlertRecord | None = None
        self.readout = QLabel("No alert selected. Use N / J to move to the next alert.")
        self.readout.setObjectName("readout")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setAccessibleName("Incident read-out")

        self.ack_btn = QPushButton("Acknowledge (A)")
        self.ack_btn.setObjectName("primary")
        self.cad_btn = QPushButton("CAD entry… (C)")
        self.copy_btn = QPushButton("Copy read-out")
        self.copy_btn.setToolTip("Copy the read-out to the clipboard (Ctrl+Shift+C)")
        self.confirm_btn = QPushButton("Supervisor confirm (S)")
        self.call_btn = QPushButton("Link citizen call…")
        self.scene_btn = QPushButton("Units on scene (O)")
        self.disposition = QComboBox()
        self.disposition.setObjectName("disposition")
        self.close_btn = QPushButton("Close with disposition (D)")
        self.close_btn.setObjectName("danger")
        # Two columns in workflow order, so the panel fits a side column of the window.
        self.disposition.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.disposition.setMinimumContentsLength(14)
        btns = QGridLayout()
        btns.addWidget(self.ack_btn, 0, 0)
        btns.addWidget(self.cad_btn, 0, 1)
        btns.addWidget(self.scene_btn, 1, 0)
        btns.addWidget(self.confirm_btn, 1, 1)
        btns.addWidget(self.call_btn, 2, 0)
        btns.addWidget(self.copy_btn, 2, 1)
        row = QHBoxLayout()
        row.addWidget(self.disposition, 1)
        row.addWidget(self.close_btn)
        btns.addLayout(row, 3, 0, 1, 2)

        self.facts = QFormLayout()
        self.state_lbl = QLabel("—")
        self.cad_lbl = QLabel("—")
        self.units_lbl = QLabel("—")
        self.ems_lbl = QLabel("—")
        self.disp_lbl = QLabel("—")
        self.accuracy_lbl = QLabel("—")
        for name, w in (("State", self.state_lbl), ("CAD", self.cad_lbl), ("Units", self.units_lbl),
                        ("EMS", self.ems_lbl), ("Disposition", self.disp_lbl), ("Accuracy", self.accuracy_lbl)):
            w.setWordWrap(True)   # long facts wrap rather than widen the side column
            self.facts.addRow(name + ":", w)
        self.tabs = QTabWidget()
        self.revisions = QListWidget()
        self.revisions.setObjectName("revisions")
        self.calls = QListWidget()
        self.calls.setObjectName("calls")
        self.tabs.addTab(self.revisions, "Revisions")
        self.tabs.addTab(self.calls, "Citizen calls")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.readout)
        lay.addLayout(btns)
        facts = QWidget()
        facts.setLayout(self.facts)
        lay.addWidget(facts)
        lay.addWidget(self.tabs, 1)

        self.ack_btn.clicked.connect(self.acknowledge_clicked)
        self.cad_btn.clicked.connect(self.cad_clicked)
        self.scene_btn.clicked.connect(self.on_scene_clicked)
        self.copy_btn.clicked.connect(self.copy_clicked)
        self.confirm_btn.clicked.connect(self.confirm_clicked)
        self.call_btn.clicked.connect(self.call_clicked)
        self.close_btn.clicked.connect(self._close)
        self.set_record(None, "", 0)

    def set_dispositions(self, items: tuple[str, ...]) -> None:
        self.disposition.clear()
        self.disposition.addItems(items)

    def set_permissions(self, perms: set[str]) -> None:
        self._perms = perms
        self._update_buttons()

    def _update_buttons(self) -> None:
        perms = getattr(self, "_perms", set())
        rec = self.record
        has = rec is not None
        self.ack_btn.setEnabled(has and "acknowledge" in perms and rec.state == "new")
        self.cad_btn.setEnabled(has and "cad_entry" in perms and rec.state in ("new", "acknowledged"))
        self.scene_btn.setEnabled(has and "on_scene" in perms and rec.state == "dispatched")
        self.close_btn.setEnabled(has and "disposition" in perms and rec.state == "on_scene")
        self.disposition.setEnabled(self.close_btn.isEnabled())
        self.confirm_btn.setVisible("supervisor_confirm" in perms)
        self.confirm_btn.setEnabled(has and rec.supervisor_confirmed_by is None and rec.state != "closed")
        self.call_btn.setEnabled(has and "citizen_call" in perms)
        self.copy_btn.setEnabled(has)

    def _close(self) -> None:
        self.close_clicked.emit(self.disposition.currentText())

    def set_record(self, rec: AlertRecord | None, readout: str, now_ns: int) -> None:
        """Show an alert with its read-out; with no alert, ``readout`` says why (or, empty,
        that none is selected)."""
        self.record = rec
        if rec is None:
            self.readout.setStyleSheet("")
            self.readout.setText(readout or "No alert selected. Use N / J to move to the next alert.")
            for lbl in (self.state_lbl, self.cad_lbl, self.units_lbl, self.ems_lbl, self.disp_lbl, self.accuracy_lbl):
                lbl.setText("—")
            self.revisions.clear()
            self.calls.clear()
            self._update_buttons()
            return
        colour = "#ff2d55" if rec.escalated else {"new": "#ffcc00", "acknowledged": "#4fc3f7",
                                                   "dispatched": "#66e08a", "on_scene": "#66e08a"}.get(rec.state, "#8a93a0")
        self.readout.setStyleSheet(f"border-left: 8px solid {colour};")
        self.readout.setText(readout)
        state = STATE_WORDS.get(rec.state, rec.state) + (" — ESCALATED" if rec.escalated else "")
        if rec.acknowledged_by:
            state += f" · acknowledged by {rec.acknowledged_by} after {format_age(rec.ack_wait_s(now_ns))}"
        if rec.supervisor_confirmed_by:
            state += f" · confirmed by {rec.supervisor_confirmed_by}"
        self.state_lbl.setText(state)
        self.cad_lbl.setText(rec.cad_number or "—")
        self.units_lbl.setText(", ".join(rec.units) + (f" (self-dispatched: {', '.join(rec.self_dispatched)})"
                                                       if rec.self_dispatched else "") or "—")
        self.ems_lbl.setText("Requested" if rec.ems_requested else "Not requested")
        self.disp_lbl.setText(rec.disposition or "—")
        inc = rec.incident
        self.accuracy_lbl.setText(f"±{inc.err95_m:.0f} m (95 %) · {len(inc.shots[0].sensors) if inc.shots else 0}"
                                  f" sensors · incident {inc.id}")
        self.revisions.clear()
        for r in reversed(rec.revisions):
            self.revisions.addItem(f"rev {r.revision}  {clock_time(r.t_ns)}  {KIND_WORDS.get(r.kind, r.kind)}, "
                                   f"{r.rounds} rd, {r.shooters} shooter(s), ±{r.err95_m:.0f} m")
        self.calls.clear()
        for c in rec.calls:
            self.calls.addItem(f"{clock_time(c.t_ns)}  {c.caller}: {c.summary}")
        if not rec.calls:
            self.calls.addItem("No linked citizen calls.")
        self.tabs.setTabText(1, f"Citizen calls ({len(rec.calls)})")
        self._update_buttons()
