"""Trainer mode in the console: ``tocsin train SCENARIO`` opens the console on a new
exercise database with the scenario's banner; what the trainee does in the UI is scored
by the training session; the after-action report is written at the end.

The scenario is paced by a fake wall clock and the training source is polled by hand
(``poll`` then ``on_incidents``, as the worker would), except in the worker test."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.console_services.demo_seed import DEMO_PASSWORD, create_demo_users
from app.console_services.training_source import TrainingSource
from app.dispatch import Users
from app.feeds.scenario import DEFAULT_START_NS
from app.store import ManualClock, Store
from app.training import load_scenario

SCENARIO = "sacramento-duplicate-calls"    # alert ~28 s; calls at 70, 110, 160 s; 420 s long


class FakeWall:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def build(qtbot, tmp_path, *, user="disp1", speed=1.0, wall=None):
    from app.ui.training_mode import build_training_console

    store = Store.open(tmp_path / "exercise.sqlite3", clock=ManualClock(DEFAULT_START_NS))
    users = Users(store)
    create_demo_users(users)
    login = users.login(user, DEMO_PASSWORD)
    mode = build_training_console(load_scenario(SCENARIO), store, login, speed=speed, out_dir=tmp_path / "out",
                                  with_map=False, use_audio=False, wall_s=wall)
    qtbot.addWidget(mode.ctl.window)
    return mode


def started(qtbot, tmp_path, **kw):
    """Built, with the scenario's clock anchored at wall time 0 (the worker's first poll)."""
    wall = FakeWall()
    mode = build(qtbot, tmp_path, wall=wall, **kw)
    src = TrainingSource(mode.run)
    play_to(mode, src, wall, 0.0)
    return mode, src, wall


def play_to(mode, src: TrainingSource, wall: FakeWall, t_s: float) -> None:
    """What the worker does: poll the source at wall time ``t_s``, hand the GUI the result."""
    wall.t = t_s
    incs = src.poll()
    if incs:
        mode.ctl.on_incidents(mode.ctl.dispatch.record(incs, time.perf_counter_ns()))
    mode.on_tick()


def alert_uid(mode, event_id: str) -> str:
    sid = mode.run.session.incident_for(event_id)
    assert sid is not None, f"the scenario raised no alert for {event_id}"
    return mode.run.session.store.get_incident_row(sid).uid


def result_for(mode, action: str, ref: str):
    return next(r for r in mode.run.score().results if r.expectation.action == action and r.expectation.ref == ref)


def test_console_opens_in_training_mode_with_the_scenarios_banner(qtbot, tmp_path):
    mode = build(qtbot, tmp_path)
    win = mode.ctl.window
    win.show()
    sc = load_scenario(SCENARIO)
    assert win.banner.isVisible()
    assert sc.title in win.banner.text() and "TRAINING" in win.banner.text()
    assert sc.id in win.windowTitle()
    assert mode.ctl.dispatch.exercise and mode.ctl.dispatch.store.path == tmp_path / "exercise.sqlite3"
    assert mode.dock.isVisible() and sc.title in mode.panel.title.text()
    assert mode.ctl.clock.now_ns() == DEFAULT_START_NS          # the scenario's clock, not the wall's


def test_acknowledge_in_the_ui_is_scored_by_the_session(qtbot, tmp_path):
    mode, src, wall = started(qtbot, tmp_path)
    assert mode.ctl.model.rowCount() == 0
    play_to(mode, src, wall, 40.0)
    assert mode.ctl.model.rowCount() >= 1
    assert any("alert #" in line for line in mode.panel.lines())
    uid = alert_uid(mode, "shots")
    rec = mode.ctl.dispatch.get(uid)
    assert rec.training and rec.state == "new"           # recorded as an exercise incident
    mode.ctl.select_incident(uid)
    qtbot.mouseClick(mode.ctl.detail.ack_btn, Qt.MouseButton.LeftButton)
    assert mode.ctl.dispatch.get(uid).state != "new"
    acts = [a for a in mode.run.session.actions if a.action == "acknowledge"]
    assert len(acts) == 1 and acts[0].ok and acts[0].ref == "shots"
    assert acts[0].t_s == pytest.approx(40.0)
    r = result_for(mode, "acknowledge", "shots")
    assert r.status == "met" and r.done_s == pytest.approx(40.0)
    # a refused action (a dispatcher's supervisor confirmation, key S) is logged as refused and shown
    mode.ctl.supervisor_confirm()
    refused = [a for a in mode.run.session.actions if a.action == "supervisor_confirm"]
    assert len(refused) == 1 and not refused[0].ok and refused[0].ref == "shots"
    assert "Not allowed" in mode.ctl.window.status.currentMessage()


def test_scenario_call_is_announced_and_prefills_the_call_dialog(qtbot, tmp_path):
    mode, src, wall = started(qtbot, tmp_path)
    play_to(mode, src, wall, 40.0)
    uid = alert_uid(mode, "shots")
    mode.ctl.select_incident(uid)
    play_to(mode, src, wall, 75.0)
    assert any("Store clerk" in line for line in mode.panel.lines())
    assert "9-1-1 CALL RECEIVED" in mode.ctl.window.status.currentMessage()
    play_to(mode, src, wall, 115.0)                     # the second caller describes the suspect
    mode.ctl.link_call()
    dlg = mode.ctl.call_dialog
    assert "Store clerk" in dlg.caller.text()           # the oldest call not yet linked comes first
    dlg.accept()
    mode.ctl.link_call()
    dlg = mode.ctl.call_dialog
    assert "Bus driver" in dlg.caller.text() and dlg.subject.text() == "male, red hoodie, running north"
    dlg.accept()
    linked = [a for a in mode.run.session.actions if a.action == "link_call"]
    assert [(a.ref, a.ok) for a in linked] == [("heard-shots", True), ("suspect", True)]
    assert len(mode.ctl.dispatch.get(uid).calls) == 2
    assert result_for(mode, "link_call", "heard-shots").status == "met"
    assert result_for(mode, "link_call", "weapon").status == "missed"


def test_notify_supervisor_from_the_training_panel(qtbot, tmp_path):
    mode, src, wall = started(qtbot, tmp_path)
    play_to(mode, src, wall, 40.0)
    uid = alert_uid(mode, "shots")
    mode.ctl.select_incident(uid)
    qtbot.mouseClick(mode.panel.notify_btn, Qt.MouseButton.LeftButton)
    notes = [a for a in mode.run.session.actions if a.action == "notify_supervisor"]
    assert len(notes) == 1 and notes[0].ok and notes[0].ref == "shots"
    assert mode.ctl.dispatch.get(uid).supervisor_confirmed_by == "sup.trainer"


def test_after_action_report_is_written_when_the_scenario_finishes(qtbot, tmp_path):
    mode, src, wall = started(qtbot, tmp_path)
    written = []
    mode.report_written.connect(written.append)
    play_to(mode, src, wall, 40.0)
    mode.ctl.select_incident(alert_uid(mode, "shots"))
    qtbot.mouseClick(mode.ctl.detail.ack_btn, Qt.MouseButton.LeftButton)
    play_to(mode, src, wall, 419.0)
    assert not mode.finished and not written
    play_to(mode, src, wall, 421.0)
    html = tmp_path / "out" / f"after-action-{SCENARIO}.html"
    assert mode.finished and written == [[html, html.with_suffix(".pdf")]]
    text = html.read_text(encoding="utf-8")
    assert "After-action report" in text and "trainee disp1" in text and "acknowledged after" in text
    assert html.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    assert str(html) in mode.ctl.window.status.currentMessage()


def test_after_action_report_is_written_when_the_window_closes(qtbot, tmp_path):
    mode, src, wall = started(qtbot, tmp_path)
    play_to(mode, src, wall, 40.0)
    mode.ctl.window.show()
    mode.ctl.window.close()
    html = tmp_path / "out" / f"after-action-{SCENARIO}.html"
    assert html.is_file() and "alert #" in html.read_text(encoding="utf-8")
    assert not mode.run.report_stale


def test_worker_thread_plays_the_scenario_into_the_queue(qtbot, tmp_path):
    mode = build(qtbot, tmp_path, speed=40.0)
    mode.ctl.start()
    try:
        qtbot.waitUntil(lambda: mode.ctl.model.rowCount() > 0, timeout=15000)
    finally:
        mode.ctl.window.close()
    assert not mode.ctl.host.thread.isRunning()
    assert mode.run.session.incident_for("shots") is not None
    assert (tmp_path / "out" / f"after-action-{SCENARIO}.html").is_file()


def test_tocsin_train_screenshot_opens_the_console_and_writes_the_report(tmp_path):
    exe = Path(sys.executable).with_name("tocsin")
    if not exe.exists():
        pytest.skip(f"{exe} not installed (pip install -e .)")
    shot = tmp_path / "train.png"
    p = subprocess.run([str(exe), "train", SCENARIO, "--screenshot", str(shot), "--after", "4", "--speed", "20",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=150,
                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert p.returncode == 0, p.stderr[-2000:]
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert "after-action report written" in p.stdout
    assert (tmp_path / "out" / f"after-action-{SCENARIO}.html").is_file()
    assert "exercise database" in p.stderr
