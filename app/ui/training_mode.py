"""Training mode in the console: a scenario played into a separate exercise database,
the trainee's actions scored, the after-action report at the end.

``build_training_console`` assembles it (the session, the run, the training service
façade, the console controller with the training incident source); ``TrainingMode``
wires the scenario into the window: the banner naming the scenario, the scenario panel,
the scenario's messages drained from the run on a GUI timer, and the report written when
the scenario finishes or the window closes.  No rules here — they are in
``app.training`` and ``app.console_services.training_*``.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QDockWidget

from app.console_services.training_dispatch import TrainingDispatch
from app.console_services.training_run import TrainingRun
from app.console_services.training_source import training_source_factory
from app.dispatch import Session
from app.store import StoreError
from app.ui.training_panel import TrainingPanel, mmss

log = logging.getLogger(__name__)


class TrainingMode(QObject):
    #: the after-action report's files (list of Path), each time it is written
    report_written = Signal(list)

    def __init__(self, ctl, run: TrainingRun, *, poll_ms: int = 250) -> None:
        super().__init__(ctl)
        self.ctl = ctl
        self.run = run
        self.finished = False
        sc = run.scenario
        win = ctl.window
        win.banner.setText(f"TRAINING — {sc.title} — exercise database, simulated incidents only. "
                           "Do not dispatch real units.")
        win.banner.setVisible(True)
        win.setWindowTitle(f"{win.windowTitle()} — {sc.id}")
        self.panel = TrainingPanel(sc.title, sc.general_order, sc.duration_s)
        self.dock = QDockWidget("Training scenario", win)
        self.dock.setObjectName("dock_training")
        self.dock.setWidget(self.panel)
        # below the incident detail (which is tabbed with the supervisor view), always in sight
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock, Qt.Orientation.Vertical)
        self.panel.notify_clicked.connect(self.notify_supervisor)
        self.panel.missed_report_clicked.connect(self.open_missed_report)
        self._close_console = win.on_close
        win.on_close = self._on_close
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.on_tick)
        self._timer.start()

    # ---- the scenario's side ---------------------------------------------------------------------
    @Slot()
    def on_tick(self) -> None:
        for s in self.run.drain():
            self.show_stimulus(s)
        self.panel.set_time(self.run.now_s, self.run.finished)
        self.panel.missed_btn.setEnabled(self.run.pending_missed() is not None)
        if self.run.finished and not self.finished:
            self.finish()

    def show_stimulus(self, s) -> None:
        self.panel.add_line(s.t_s, s.kind, s.text)
        status = self.ctl.window.status
        if s.kind == "call":
            status.showMessage(f"9-1-1 CALL RECEIVED — {s.text[len('911 call from '):] if s.text.startswith('911 call from ') else s.text}"
                               "  → select its alert and press “Link citizen call…”", 15000)
        elif s.kind == "missed_found":
            status.showMessage(f"FIELD REPORT — {s.text}  → “Missed-incident report” in the training panel", 15000)
        elif s.kind.startswith("outage"):
            status.showMessage(s.text, 8000)

    # ---- actions only the scenario answers ---------------------------------------------------------
    @Slot()
    def notify_supervisor(self) -> None:
        ctl = self.ctl
        if not ctl.selected_id:
            ctl.window.status.showMessage("Select the alert to notify the supervisor about", 6000)
            return
        rec = ctl._do(ctl.dispatch.notify_supervisor, ctl.selected_id, ctl.user)
        if rec is not None:
            ctl.window.status.showMessage("Supervisor notified — the supervisor confirmed the alert", 6000)
            self.panel.add_line(self.run.now_s, "trainee", f"notified the supervisor about alert #{rec.store_id}")

    @Slot()
    def open_missed_report(self) -> None:
        try:
            words = self.ctl.dispatch.open_missed_report(self.ctl.user)
        except StoreError as exc:
            self.ctl.window.status.showMessage(str(exc), 8000)
            return
        self.ctl.window.status.showMessage(words, 6000)
        self.panel.add_line(self.run.now_s, "trainee", words)

    # ---- the end -----------------------------------------------------------------------------------
    def finish(self) -> list[Path]:
        """Write the after-action report; say where (panel, status bar, ``report_written``)."""
        self.finished = True
        try:
            paths = self.run.write_report()
        except Exception as exc:  # noqa: BLE001 - the trainee must hear that the report failed
            log.exception("after-action report failed")
            self.ctl.window.status.showMessage(f"After-action report failed: {exc}")
            return []
        text = f"Scenario finished at {mmss(self.run.now_s)} — {self.run.summary()}. " \
               f"After-action report: {paths[0]}"
        self.panel.set_result(text)
        self.ctl.window.status.showMessage(text)
        self.report_written.emit(paths)
        return paths

    def _on_close(self) -> None:
        self._timer.stop()
        if self._close_console is not None:
            self._close_console()     # the controller stops the worker: the scenario stops here
        if self.run.report_stale:
            self.finish()


def build_training_console(scenario, store, login: Session, *, speed: float = 1.0, out_dir: str | Path = ".",
                           with_map: bool = True, use_audio: bool | None = None, settings: QSettings | None = None,
                           poll_ms: int = 50, wall_s=None) -> TrainingMode:
    """The console in training mode for ``scenario`` on ``store`` (a new exercise database
    opened with a ``ManualClock``), signed in as ``login``.  Call ``mode.ctl.start()``.  ``wall_s``: the wall clock
    the scenario is paced by (tests pass their own)."""
    from app.console_services.site import ConsoleSite, demo_site, grid_streets
    from app.training import TrainingSession
    from app.ui.console_controller import ConsoleController

    session = TrainingSession(scenario, store, trainee=login.user.id)
    run = TrainingRun(session, speed=speed, out_dir=out_dir, **({} if wall_s is None else {"wall_s": wall_s}))
    if scenario.site == "port-tocsin":
        site = demo_site()
        site.agency = session.agency
    else:
        site = ConsoleSite("Training grid", session.frame, list(session.sensors),
                           [("streets", grid_streets(session.frame))], session.agency, session.locator,
                           short_name="TRN")
    dispatch = TrainingDispatch(run, frame=site.frame, address_locator=site.locator)
    ctl = ConsoleController(site=site, dispatch=dispatch, session=login, clock=store.clock,
                            source_factory=training_source_factory(run), with_map=with_map, use_audio=use_audio,
                            settings=settings, training=True, poll_ms=poll_ms)
    return TrainingMode(ctl, run)
