"""The console through its UI: acknowledge → CAD entry → disposition, escalation with a
fake clock, roles, idle lock, shortcuts, and the worker thread."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QKeySequence

from app.console_services.demo_seed import DEMO_PASSWORD
from app.console_services.live_sources import SyntheticLiveSource
from app.store import PermissionDenied
from app.qt.alert_queue_model import Col
from app.qt.incident_worker import IncidentWorker, WorkerHost
from tests.console_fixtures import build_controller, incidents, recorded


def feed(ctl, clock, n=3, rounds=None):
    incs = incidents(n, clock, rounds=rounds)
    ctl.on_incidents(recorded(ctl, incs))
    return incs


def test_acknowledge_cad_and_disposition_through_the_ui(qtbot):
    ctl, clock = build_controller(qtbot, "disp1")
    ctl.window.show()
    incs = feed(ctl, clock, 3, rounds=5)
    assert ctl.tones.history[-1] == ("multiple_gunshots", False)   # asked for, no sound card here
    target = incs[1].id
    ctl.queue.select(target)
    assert ctl.selected_id == target
    text = ctl.detail.readout.text()
    assert text.startswith("Multiple gunshots, 5 rounds, ") and "(0 s ago)" in text
    qtbot.mouseClick(ctl.detail.ack_btn, Qt.MouseButton.LeftButton)
    assert ctl.dispatch.get(target).state == "acknowledged"
    assert ctl.model.index(ctl.model.row_of(target), Col.STATE).data() == "ACK"

    qtbot.mouseClick(ctl.detail.cad_btn, Qt.MouseButton.LeftButton)
    form = ctl.cad_form
    assert form.isVisible()
    assert form.type_code.text() == ctl.dispatch.agency.type_code
    assert "5 rounds" in form.narrative.toPlainText()
    form.location.setText("x")
    form.buttons.accepted.emit()                      # invalid: stays open with messages
    assert form.isVisible()
    assert "at least 5 characters" in form.errors["location"].text()
    assert "at least one unit" in form.errors["units"].text()
    form.location.setText(ctl.dispatch.get(target).location_words)
    form.units.item(0).setCheckState(Qt.CheckState.Checked)
    form.self_disp.setText("3c11")
    form.ems.setChecked(True)
    assert "UNITS: " + form.units.item(0).text() in form.copy_text.toPlainText()
    qtbot.mouseClick(form.create_btn, Qt.MouseButton.LeftButton)
    rec = ctl.dispatch.get(target)
    assert rec.state == "dispatched" and rec.cad_number and rec.ems_requested
    assert rec.units == (form.units.item(0).text(),)
    assert ctl.detail.cad_lbl.text() == rec.cad_number

    qtbot.mouseClick(ctl.detail.scene_btn, Qt.MouseButton.LeftButton)   # the workflow's on-scene step
    ctl.detail.disposition.setCurrentText("Unfounded – fireworks")
    qtbot.mouseClick(ctl.detail.close_btn, Qt.MouseButton.LeftButton)
    assert ctl.dispatch.get(target).state == "closed"
    assert ctl.dispatch.get(target).disposition == "Unfounded – fireworks"
    # The default "Open" filter hides the closed alert from the queue view.
    shown = {ctl.queue.proxy.incident_id_at(r) for r in range(ctl.queue.proxy.rowCount())}
    assert target not in shown and incs[0].id in shown


def test_keyboard_actions_acknowledge_next_alert_and_show_help(qtbot):
    # Offscreen windows never become active, so the key → action binding is checked
    # and the bound actions are triggered the way Qt's shortcut map would.
    ctl, clock = build_controller(qtbot, "disp1")
    ctl.window.show()
    feed(ctl, clock, 2)
    for key in ("A", "C", "D", "N", "Space", "F1", "Ctrl+L", "M"):
        assert ctl.actions[key].shortcut() == QKeySequence(key)
        assert ctl.actions[key] in ctl.window.actions()
    ctl.actions["N"].trigger()
    first = ctl.selected_id
    assert first is not None
    ctl.actions["A"].trigger()
    assert ctl.dispatch.get(first).state == "acknowledged"
    ctl.actions["F1"].trigger()
    assert ctl.window.help.isVisible() and "Acknowledge" in ctl.window.help.label.text()
    ctl.actions["Esc"].trigger()
    assert not ctl.window.help.isVisible()


def test_unacknowledged_alert_escalates_after_the_agency_timeout(qtbot):
    ctl, clock = build_controller(qtbot, "sup1")
    inc = feed(ctl, clock, 1)[0]
    clock.advance(ctl.dispatch.agency.ack_timeout_s - 1)
    ctl.on_tick()
    assert not ctl.dispatch.get(inc.id).escalated
    clock.advance(2)
    ctl.on_tick()
    assert ctl.dispatch.get(inc.id).escalated
    assert ctl.model.index(ctl.model.row_of(inc.id), Col.STATE).data() == "ESCALATED"
    assert ctl.tones.history[-1][0] == "escalation"
    assert "ESCALATED" in ctl.supervisor.list.item(0).text()
    assert not ctl.window.escalation_label.isHidden()
    ctl.on_tick()   # reported once only
    assert [t for t, _ in ctl.tones.history].count("escalation") == 1
    ctl.supervisor.list.setCurrentRow(0)
    qtbot.mouseClick(ctl.supervisor.confirm_btn, Qt.MouseButton.LeftButton)
    assert ctl.dispatch.get(inc.id).supervisor_confirmed_by == "sup1"


def test_muting_silences_tones_but_not_alerts(qtbot):
    ctl, clock = build_controller(qtbot, "disp1")
    ctl.toggle_mute()
    feed(ctl, clock, 1)
    assert ctl.model.rowCount() == 1
    assert ctl.tones.muted and ctl.mute_action.text() == "Tones MUTED"


def test_roles_are_enforced_in_the_service_and_reflected_in_the_ui(qtbot):
    ctl, clock = build_controller(qtbot, "analyst1")
    ctl.window.show()
    inc = feed(ctl, clock, 1)[0]
    ctl.select_incident(inc.id)
    assert not ctl.detail.ack_btn.isEnabled() and not ctl.detail.cad_btn.isEnabled()
    assert ctl.window.supervisor_dock.isHidden()
    ctl.acknowledge()                                  # the shortcut path still can't do it
    assert ctl.dispatch.get(inc.id).state == "new"
    assert "Not allowed" in ctl.window.status.currentMessage()
    with pytest.raises(PermissionDenied, match="analyst 'analyst1' may not acknowledge"):
        ctl.dispatch.acknowledge(inc.id, ctl.user)
    sup = ctl.users.login("sup1", DEMO_PASSWORD)
    ctl.set_user(sup)
    assert ctl.detail.ack_btn.isEnabled()
    assert not ctl.window.supervisor_dock.isHidden()


def test_idle_session_lock_and_unlock(qtbot):
    ctl, clock = build_controller(qtbot, "disp1", idle_lock_s=0.05)
    ctl.window.show()
    qtbot.wait(80)
    ctl.on_tick()
    assert ctl.lock.isVisible()
    ctl.lock.password.setText("wrong")
    assert not ctl.lock.try_unlock() and ctl.lock.isVisible()
    ctl.lock.password.setText(DEMO_PASSWORD)
    assert ctl.lock.try_unlock() and not ctl.lock.isVisible()


def test_worker_thread_delivers_to_gui_thread_and_stops(qtbot):
    ctl, clock = build_controller(qtbot, "disp1")
    seen_threads = []
    orig = ctl.on_incidents

    worker = IncidentWorker(lambda: SyntheticLiveSource(rate_per_s=40, first_after_s=0.0),
                            recorder=ctl.dispatch.record, on_stop=ctl.dispatch.close_thread, interval_ms=10)
    host = WorkerHost(worker)
    worker.incidents_emitted.connect(ctl.on_incidents)
    worker.incidents_emitted.connect(ctl.window.feed_status.clear)  # a bound method of a GUI object
    host.start()
    qtbot.waitUntil(lambda: ctl.model.rowCount() >= 5, timeout=5000)
    assert host.thread.isRunning()
    assert QThread.currentThread() == ctl.thread()
    assert host.shutdown()
    assert not host.thread.isRunning()
    assert ctl.latency_model_ms and max(ctl.latency_model_ms) < 5000
    del orig, seen_threads


def test_an_alert_whose_incident_can_no_longer_be_read_says_so(qtbot):
    """History views read their full incident on first use; if it has gone (purged by
    retention since the history was loaded) selecting it says so in the status bar."""
    from app.store import NotFoundError

    ctl, clock = build_controller(qtbot, "disp1")
    ctl.window.show()
    incs = feed(ctl, clock, 2)
    rec = ctl.dispatch.get(incs[0].id)

    def gone(_rec):
        raise NotFoundError(f"incident {_rec.incident_id} not found")

    rec.defer_incident(rec.summary, gone)
    ctl.queue.select(incs[0].id)
    assert "can no longer be read" in ctl.window.status.currentMessage()
    ctl.queue.select(incs[1].id)                      # the others still work
    assert ctl.detail.readout.text()


def test_sensor_audio_recorded_after_the_alert_replaces_the_stand_in(qtbot, tmp_path):
    """Live clips are attached a few seconds after the alert, without a new engine
    revision: the selected alert's stand-in gives way to the recorded audio on the next tick."""
    import numpy as np
    import soundfile as sf

    ctl, clock = build_controller(qtbot, "disp1")
    inc = feed(ctl, clock, 1)[0]
    ctl.select_incident(inc.id)
    assert ctl.waveform.clip.source == "synthetic stand-in"
    wav = tmp_path / f"{inc.id}.PT-01.wav"
    sf.write(str(wav), np.zeros(16000, dtype=np.float32), 16000)
    store = ctl.dispatch.store
    store.add_audio_clip(store.incident_id_for(inc.id), wav, actor="engine", sensor_id="PT-01",
                         start_ns=inc.start_ns - 10**9)
    ctl.on_tick()
    assert ctl.waveform.clip.source == "sensor audio (PT-01)"
