"""Sign-in dialog and the session lock overlay (idle lock: same user's password).
Both ask ``app.dispatch.Users``: lock-out, audit and messages are the service's."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from app.dispatch import Session, Users
from app.store import StoreError


class LoginDialog(QDialog):
    def __init__(self, users: Users, parent=None, *, hint: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("login")
        self.setWindowTitle("Tocsin — sign in")
        self.users = users
        self.session: Session | None = None
        self.user_id = QLineEdit()
        self.user_id.setObjectName("user_id")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("error")
        title = QLabel("<h2>Tocsin dispatcher console</h2>Sign in with your own user id.")
        form = QFormLayout()
        form.addRow("User id", self.user_id)
        form.addRow("Password", self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(form)
        lay.addWidget(self.error)
        if hint:
            h = QLabel(hint)
            h.setObjectName("muted")
            h.setWordWrap(True)
            lay.addWidget(h)
        lay.addWidget(buttons)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)

    def try_sign_in(self) -> bool:
        try:
            self.session = self.users.login(self.user_id.text().strip(), self.password.text())
        except StoreError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            return False
        self.accept()
        return True


class LockOverlay(QWidget):
    """Covers the whole window; alerts keep arriving underneath (and tones still sound)."""

    unlocked = Signal()

    def __init__(self, users: Users, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lock_overlay")
        self.users = users
        self.session: Session | None = None
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#lock_overlay { background: rgba(5, 8, 12, 235); }")
        self.msg = QLabel()
        self.msg.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.msg.setStyleSheet("font-size: 22px; font-weight: bold;")
        self.password = QLineEdit()
        self.password.setObjectName("unlock_password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setMaximumWidth(320)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        btn = QPushButton("Unlock")
        btn.setMaximumWidth(320)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        lay.addWidget(self.msg)
        lay.addWidget(self.password, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(btn, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addWidget(self.error)
        lay.addStretch(1)
        btn.clicked.connect(self.try_unlock)
        self.password.returnPressed.connect(self.try_unlock)
        self.hide()

    def lock(self, session: Session, reason: str) -> None:
        self.session = session
        self.msg.setText(f"Session locked ({reason}).\nSigned in: {session.user.name} — enter your password to unlock.")
        self.error.clear()
        self.password.clear()
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self.password.setFocus()

    def try_unlock(self) -> bool:
        if self.session is None:
            return False
        try:
            self.users.unlock_session(self.session.id, self.password.text())
        except StoreError as exc:
            self.error.setText(str(exc)[:1].upper() + str(exc)[1:] + ".")
            self.password.clear()
            return False
        self.hide()
        self.unlocked.emit()
        return True
