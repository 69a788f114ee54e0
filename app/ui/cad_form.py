"""CAD entry dialog: pre-filled from the incident and agency profile, validated by the
service (messages shown per field), with a "copy for CAD" text block."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout)

from app.console_services.cad import copy_text
from app.dispatch.agency import AgencyProfile
from app.dispatch.cad_entry import CadDraft, validate_cad


class CadForm(QDialog):
    def __init__(self, draft: CadDraft, agency: AgencyProfile, units: tuple[str, ...], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("cad_form")
        self.setWindowTitle("CAD entry")
        self.setModal(True)
        self.agency = agency
        self.base = draft
        self.result_draft: CadDraft | None = None
        self.type_code = QLineEdit(draft.type_code)
        self.type_code.setObjectName("type_code")
        self.priority = QSpinBox()
        self.priority.setRange(0, 9)
        self.priority.setValue(draft.priority)
        self.location = QLineEdit(draft.location)
        self.location.setObjectName("location")
        self.latlon = QLabel(f"{draft.lat_deg:.6f}, {draft.lon_deg:.6f}")
        self.latlon.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.narrative = QPlainTextEdit(draft.narrative)
        self.narrative.setObjectName("narrative")
        self.narrative.setFixedHeight(90)
        self.units = QListWidget()
        self.units.setObjectName("units")
        for u in units:
            it = QListWidgetItem(u)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if u in draft.units else Qt.CheckState.Unchecked)
            self.units.addItem(it)
        self.units.setFixedHeight(120)
        self.self_disp = QLineEdit()
        self.self_disp.setObjectName("self_dispatched")
        self.self_disp.setPlaceholderText("Self-dispatched units, comma separated (e.g. 3C11)")
        self.ems = QCheckBox("Request EMS")
        self.ems.setObjectName("ems")
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        for key, label, w in (("type_code", "Type code", self.type_code), ("priority", "Priority", self.priority),
                              ("location", "Location", self.location), ("lat_lon", "Lat / lon", self.latlon),
                              ("narrative", "Narrative", self.narrative), ("units", "Units", self.units),
                              ("self", "Self-dispatched", self.self_disp), ("ems", "", self.ems)):
            form.addRow(label, w)
            err = QLabel("")
            err.setObjectName("error")
            err.setVisible(False)
            self.errors[key] = err
            form.addRow("", err)
        self.copy_text = QPlainTextEdit()
        self.copy_text.setObjectName("copy_text")
        self.copy_text.setReadOnly(True)
        self.copy_text.setFixedHeight(150)
        self.copy_btn = QPushButton("Copy for CAD")
        self.copy_btn.setObjectName("copy_for_cad")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_btn = self.buttons.addButton("Create CAD record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_btn.setObjectName("primary")
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(QLabel("Copy for CAD:"))
        row.addStretch(1)
        row.addWidget(self.copy_btn)
        lay.addLayout(row)
        lay.addWidget(self.copy_text)
        lay.addWidget(self.buttons)
        for sig in (self.type_code.textChanged, self.location.textChanged, self.narrative.textChanged,
                    self.self_disp.textChanged, self.priority.valueChanged, self.units.itemChanged, self.ems.toggled):
            sig.connect(self._refresh)
        self.copy_btn.clicked.connect(self._copy)
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(640, 760)
        self._refresh()

    def draft(self) -> CadDraft:
        units = tuple(self.units.item(i).text() for i in range(self.units.count())
                      if self.units.item(i).checkState() == Qt.CheckState.Checked)
        selfd = tuple(u.strip().upper() for u in self.self_disp.text().split(",") if u.strip())
        return self.base.with_(type_code=self.type_code.text().strip().upper(), priority=self.priority.value(),
                               location=self.location.text(), narrative=self.narrative.toPlainText(),
                               units=units, self_dispatched=selfd, ems_requested=self.ems.isChecked())

    def _refresh(self, *_a) -> dict[str, str]:
        d = self.draft()
        self.copy_text.setPlainText(copy_text(d))
        return validate_cad(d, self.agency)

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, lbl in self.errors.items():
            msg = errors.get(key)
            lbl.setText(msg or "")
            lbl.setVisible(bool(msg))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text.toPlainText())

    def _try_accept(self) -> None:
        errors = self._refresh()
        self.show_errors(errors)
        if errors:
            return
        self.result_draft = self.draft()
        self.accept()
