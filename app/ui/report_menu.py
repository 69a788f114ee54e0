"""The console's Reports menu: a program report for a month (analysts, supervisors,
admins — ``program_report`` permission), run off the GUI thread with a cancellable
progress dialog (``app.qt.report_progress``).  The report itself is
``app.reports.program_files``."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog

from app.qt.report_progress import ReportProgress
from app.reports.program_files import write_program_report


class ReportMenu(QObject):
    def __init__(self, ctl) -> None:
        super().__init__(ctl)
        self.ctl = ctl
        self.job: ReportProgress | None = None
        self.menu = ctl.window.menuBar().addMenu("&Reports")
        self.program_action = QAction("Program report for a month…", ctl.window)
        self.program_action.triggered.connect(self.ask_program_report)
        self.menu.addAction(self.program_action)

    def refresh(self, perms: set[str]) -> None:
        self.program_action.setEnabled("program_report" in perms)

    @Slot()
    def ask_program_report(self) -> None:
        win = self.ctl.window
        if "program_report" not in self.ctl.perms():
            win.status.showMessage("Not allowed: program reports are for analysts and supervisors", 6000)
            return
        now = dt.datetime.fromtimestamp(self.ctl.clock.now_ns() / 1e9, dt.timezone.utc)
        last = (now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        month, ok = QInputDialog.getText(win, "Program report", "Month (YYYY-MM) or year (YYYY):", text=last)
        if not ok or not month.strip():
            return
        out = QFileDialog.getExistingDirectory(win, "Write the report to", str(Path.home()))
        if out:
            self.program_report(month, Path(out))

    def program_report(self, when: str, out_dir: Path) -> ReportProgress | None:
        """Start the report run (the progress dialog shows after 0.3 s); None while one runs."""
        if self.job is not None and self.job.outcome is None:
            self.ctl.window.status.showMessage("A report is already being generated", 4000)
            return None
        d = self.ctl.dispatch
        store, agency, exercise = d.store, d.agency, d.exercise

        def run(progress):
            return write_program_report(store, when, agency=agency, out_dir=out_dir, exercise=exercise,
                                        progress=progress)

        self.job = ReportProgress(run, title=f"Program report {when}", parent_widget=self.ctl.window,
                                  on_thread_end=store.close)
        self.job.succeeded.connect(self._done)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.job.start()
        return self.job

    @Slot(object)
    def _done(self, paths) -> None:
        self.ctl.window.status.showMessage(f"Program report written: {', '.join(map(str, paths))}", 15000)

    @Slot(str)
    def _failed(self, message: str) -> None:
        self.ctl.window.status.showMessage(f"Program report failed: {message}", 15000)

    @Slot()
    def _cancelled(self) -> None:
        self.ctl.window.status.showMessage("Program report cancelled", 6000)
