"""Link a citizen's call to the selected alert: only the pertinent information the
general orders ask for (victim, subject, vehicle, discarded weapon).  A confirmed victim
makes the service request EMS."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout


class CallDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("call_dialog")
        self.setWindowTitle("Link citizen call")
        self.victim = QCheckBox("Caller confirms a victim (requests EMS)")
        self.subject = QLineEdit()
        self.vehicle = QLineEdit()
        self.weapon = QLineEdit()
        form = QFormLayout()
        form.addRow(self.victim)
        form.addRow("Subject description", self.subject)
        form.addRow("Vehicle description", self.vehicle)
        form.addRow("Discarded weapon", self.weapon)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Link call")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.caller = QLabel()
        self.caller.setObjectName("call_caller")
        self.caller.setWordWrap(True)
        self.caller.setVisible(False)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("A later call about this alert is linked to it — never a new incident."))
        lay.addWidget(self.caller)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def values(self) -> dict:
        return {"victim_confirmed": self.victim.isChecked(),
                "subject_description": self.subject.text().strip() or None,
                "vehicle_description": self.vehicle.text().strip() or None,
                "discarded_weapon": self.weapon.text().strip() or None}

    def set_values(self, values: dict | None) -> None:
        """Start from what is known of the call (``values()`` keys; ``caller`` and ``says``
        shown above the fields); None leaves the form empty."""
        if not values:
            return
        self.victim.setChecked(bool(values.get("victim_confirmed")))
        self.subject.setText(values.get("subject_description") or "")
        self.vehicle.setText(values.get("vehicle_description") or "")
        self.weapon.setText(values.get("discarded_weapon") or "")
        if values.get("caller") or values.get("says"):
            self.caller.setText(f"{values.get('caller') or 'Caller'}: \u201c{values.get('says') or ''}\u201d")
            self.caller.setVisible(True)
