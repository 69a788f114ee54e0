"""Notices user input for the idle session lock.

An application-wide Python event filter would wrap every QObject that receives an event,
including QtWebEngine's internal Qt Quick items — which crashes shiboken.  So input is
watched on the console's own widgets (recursively, and on dialogs as they open), and the
map page reports its own mouse/keyboard activity over the bridge.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

_INPUT = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.ShortcutOverride)


class IdleWatcher(QObject):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.last_input = time.monotonic()
        self._watched: list[QWidget] = []

    def watch(self, root: QWidget, *, skip: tuple[type, ...] = ()) -> None:
        for w in [root, *root.findChildren(QWidget)]:
            if skip and any(isinstance(w, s) or _has_ancestor(w, s) for s in skip):
                continue
            w.installEventFilter(self)
            self._watched.append(w)

    def unwatch_all(self) -> None:
        for w in self._watched:
            try:
                w.removeEventFilter(self)
            except RuntimeError:
                pass
        self._watched = []

    def touch(self) -> None:
        self.last_input = time.monotonic()

    def idle_s(self) -> float:
        return time.monotonic() - self.last_input

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() in _INPUT:
            self.last_input = time.monotonic()
        return False


def _has_ancestor(w: QWidget, cls: type) -> bool:
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, cls):
            return True
        p = p.parentWidget()
    return False
