"""Long report runs in the console: the progress dialog driven from a worker thread,
Cancel stopping the run at its next progress call, and the Reports menu (analysts)."""
from __future__ import annotations

import threading

from PySide6.QtWidgets import QPushButton

from app.qt.report_progress import ReportProgress
from tests.console_fixtures import build_controller


def test_progress_dialog_follows_the_run_and_returns_its_result(qtbot):
    seen = []

    def fn(progress):
        seen.append(threading.current_thread() is threading.main_thread())
        for i in range(3):
            progress(i, 3, f"month {i + 1}")
        progress(3, 3, "done")
        return "result"

    rp = ReportProgress(fn, title="Program report", min_duration_ms=0)
    with qtbot.waitSignal(rp.succeeded, timeout=10000) as sig:
        rp.start()
    assert sig.args == ["result"] and rp.outcome == "succeeded" and seen == [False]
    assert rp.dialog.maximum() >= 3 or not rp.dialog.isVisible()
    assert not rp.thread.isRunning()


def test_cancel_stops_the_run_at_its_next_progress_call(qtbot):
    started, calls = threading.Event(), []
    release = threading.Event()

    def fn(progress):
        progress(0, 12, "month 1")
        started.set()
        release.wait(5)
        for i in range(1, 12):
            calls.append(i)
            progress(i, 12, f"month {i + 1}")
        return "not reached"

    rp = ReportProgress(fn, title="Year report", min_duration_ms=0)
    rp.start()
    assert started.wait(5)
    with qtbot.waitSignal(rp.cancelled, timeout=10000):
        rp.dialog.findChild(QPushButton).click()      # the dialog's Cancel button
        release.set()
    assert rp.outcome == "cancelled" and calls == [1] and rp.result is None
    assert not rp.thread.isRunning()


def test_a_failing_run_is_reported(qtbot):
    def fn(progress):
        raise ValueError("month must look like 2014-07")

    rp = ReportProgress(fn, title="Program report")
    with qtbot.waitSignal(rp.failed, timeout=10000) as sig:
        rp.start()
    assert sig.args == ["month must look like 2014-07"] and rp.outcome == "failed"
    rp.wait()


def test_reports_menu_is_for_analysts_and_writes_the_program_report(qtbot, tmp_path):
    disp, _ = build_controller(qtbot, "disp1", tmp_path=tmp_path / "a")
    assert not disp.report_menu.program_action.isEnabled()
    ctl, _ = build_controller(qtbot, "analyst1", tmp_path=tmp_path / "b")
    assert ctl.report_menu.program_action.isEnabled()
    job = ctl.report_menu.program_report("2023-11", tmp_path / "reports")
    with qtbot.waitSignal(job.succeeded, timeout=30000) as sig:
        pass
    html = tmp_path / "reports" / "program-2023-11-exercise.html"
    assert sig.args[0][0] == html and html.is_file() and html.with_suffix(".pdf").is_file()
    assert str(html) in ctl.window.status.currentMessage()
