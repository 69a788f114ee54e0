"""The engine/feed worker: a long-lived QObject on its own QThread.

The worker polls an *incident source* (a Qt-free object with ``poll() -> list[Incident]``
and optional ``close()``; e.g. live simulator feed → engine) on a timer that lives in the
worker thread, records what the engine emitted with ``recorder`` on this same thread (the
store gives each thread its own SQLite connection, so the GUI never waits on that I/O),
and hands the recorded results to the GUI thread through a queued signal.  Receivers
must be bound methods of GUI-thread QObjects — a lambda has no thread affinity and would
run on the worker.
"""
from __future__ import annotations

import logging
import time
import traceback
from typing import Callable, Protocol

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

log = logging.getLogger(__name__)


class IncidentSource(Protocol):
    def poll(self) -> list: ...


class IncidentWorker(QObject):
    #: list of ``recorder`` results (``Recorded``: incident, store id, t_emit_ns = perf_counter_ns
    #: when the engine returned it)
    incidents_emitted = Signal(object)
    status_changed = Signal(str)
    #: list of sensor health updates (``SensorStatus`` / ``OperationalAlert`` / ``LastHeard``)
    #: from a source with ``take_sensor_updates()``
    sensors_updated = Signal(object)
    failed = Signal(str)
    stopped = Signal()

    def __init__(self, source_factory: Callable[[], IncidentSource], *,
                 recorder: Callable[[list, int], list] | None = None, on_stop: Callable[[], None] | None = None,
                 interval_ms: int = 50) -> None:
        super().__init__()
        self._factory = source_factory
        self._recorder = recorder
        self._on_stop = on_stop
        self._interval_ms = interval_ms
        self._source: IncidentSource | None = None
        self._timer: QTimer | None = None

    @Slot()
    def start(self) -> None:
        """Runs in the worker thread (connected to QThread.started)."""
        try:
            self._source = self._factory()
        except Exception as exc:  # noqa: BLE001 - report, don't kill the thread silently
            log.exception("incident source failed to start")
            self.failed.emit(f"feed failed to start: {exc}")
            return
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        self.status_changed.emit(getattr(self._source, "status_text", None) or "feed running")

    @Slot()
    def _poll(self) -> None:
        if self._source is None:
            return
        try:
            incidents = self._source.poll()
        except Exception as exc:  # noqa: BLE001
            log.error("incident source failed: %s", traceback.format_exc())
            self.failed.emit(f"feed error: {exc}")
            return
        take = getattr(self._source, "take_sensor_updates", None)
        if take is not None:
            updates = take()
            if updates:
                self.sensors_updated.emit(updates)
        if incidents:
            t = time.perf_counter_ns()
            if self._recorder is None:
                self.incidents_emitted.emit([(inc, t) for inc in incidents])
                return
            try:
                recorded = self._recorder(incidents, t)
            except Exception as exc:  # noqa: BLE001 - say so; the feed keeps running
                log.error("recording incidents failed: %s", traceback.format_exc())
                self.failed.emit(f"could not record incidents: {exc}")
                return
            if recorded:
                self.incidents_emitted.emit(recorded)

    @Slot()
    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
            self._timer = None
        close = getattr(self._source, "close", None)
        try:
            if close is not None:
                close()
            if self._on_stop is not None:
                self._on_stop()
        except Exception:  # noqa: BLE001 - stopping must always finish
            log.exception("incident source did not close cleanly")
        self._source = None
        self.stopped.emit()


class WorkerHost(QObject):
    """Owns the QThread and the worker; ``shutdown`` stops both and waits."""

    _stop_requested = Signal()

    def __init__(self, worker: IncidentWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("incident-worker")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.start)
        self._stop_requested.connect(worker.stop)  # queued: runs in the worker thread
        # Direct: QThread.quit is thread-safe, and the GUI thread is blocked in wait() during
        # shutdown, so a queued call to the QThread object (which lives there) would only run
        # after the wait timed out.
        worker.stopped.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        if not self.thread.isRunning():
            return True
        self._stop_requested.emit()
        ok = self.thread.wait(timeout_ms)
        if not ok:
            log.warning("incident worker did not stop in %d ms; terminating", timeout_ms)
            self.thread.quit()
            ok = self.thread.wait(1000)
        return ok
