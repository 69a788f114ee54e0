"""A long report run off the GUI thread with a cancellable ``QProgressDialog``.

The report code takes a plain ``progress(done, total, label)`` callback
(``app.reports.progress``); ``ReportProgress`` runs ``fn(progress)`` on its own
``QThread``, turns the callback into a queued signal that drives the dialog, and makes
Cancel raise ``Cancelled`` at the run's next progress call.  ``on_thread_end`` runs on
the worker thread when the run ends (e.g. ``store.close`` — SQLite connections belong to
the thread that made them).
"""
from __future__ import annotations

import logging
import threading
import traceback
from typing import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.reports.progress import Cancelled

log = logging.getLogger(__name__)


class _ReportJob(QObject):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, fn: Callable, on_thread_end: Callable[[], None] | None) -> None:
        super().__init__()
        self._fn = fn
        self._on_thread_end = on_thread_end
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Any thread: stop at the next progress call."""
        self._cancel.set()

    def _progress(self, done: int, total: int, label: str) -> None:
        if self._cancel.is_set():
            raise Cancelled(label)
        self.progressed.emit(int(done), int(total), str(label))

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(self._progress)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - reported to the user, never lost
            log.error("report failed: %s", traceback.format_exc())
            self.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.succeeded.emit(result)
        finally:
            if self._on_thread_end is not None:
                try:
                    self._on_thread_end()
                except Exception:  # noqa: BLE001
                    log.exception("report thread clean-up failed")
            QThread.currentThread().quit()


class ReportProgress(QObject):
    """``ReportProgress(fn, title=..., parent_widget=w).start()``; then one of
    ``succeeded(result)``, ``failed(message)`` or ``cancelled()``, on the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, fn: Callable, *, title: str, parent_widget: QWidget | None = None,
                 on_thread_end: Callable[[], None] | None = None, min_duration_ms: int = 300) -> None:
        super().__init__(parent_widget)
        self.result = None
        self.outcome: str | None = None        # "succeeded" | "failed" | "cancelled"
        self.dialog = QProgressDialog(title, "Cancel", 0, 0, parent_widget)
        self.dialog.setObjectName("report_progress")
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(min_duration_ms)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self.job = _ReportJob(fn, on_thread_end)
        self.thread = QThread()
        self.thread.setObjectName("report-worker")
        self.job.moveToThread(self.thread)
        self.thread.started.connect(self.job.run)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_succeeded)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)

    def start(self) -> None:
        self.thread.start()

    @Slot()
    def cancel(self) -> None:
        if self.outcome is not None:
            return      # closing the dialog at the end emits ``canceled`` too
        self.job.cancel()
        self.dialog.setLabelText("Cancelling…")

    def wait(self, timeout_ms: int = 30000) -> bool:
        return self.thread.wait(timeout_ms)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, label: str) -> None:
        if self.outcome is None:
            self.dialog.setMaximum(max(total, 1))
            self.dialog.setValue(min(done, max(total, 1)))
            self.dialog.setLabelText(label)

    def _end(self, outcome: str) -> None:
        self.outcome = outcome
        self.thread.wait(5000)
        self.dialog.reset()
        self.dialog.close()

    @Slot(object)
    def _on_succeeded(self, result) -> None:
        self.result = result
        self._end("succeeded")
        self.succeeded.emit(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end("failed")
        self.failed.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self._end("cancelled")
        self.cancelled.emit()
