"""The binding workarounds in ``app.qt.pyside_fixes`` hold while Qt is in use."""
from __future__ import annotations

import sys

import pytest

from app.qt.pyside_fixes import PINNED_REFS, pin_bool_refcounts


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="True/False/None are immortal on CPython 3.12+")
def test_void_calls_and_emits_cannot_use_up_none_true_or_false():
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QFont

    class Emitter(QObject):
        ping = Signal()

    assert pin_bool_refcounts()           # idempotent: already applied when app.qt was imported
    font, emitter = QFont(), Emitter()
    for _ in range(20_000):
        font.setBold(True)                # a void method: PySide6 6.12 drops a reference to None
        emitter.ping.emit()               # emit(): drops a reference to True
    for obj in (None, True, False):
        assert sys.getrefcount(obj) > PINNED_REFS // 2
