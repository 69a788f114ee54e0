"""Wires the console together: worker → dispatch service → queue model + map bridge, the
user's actions → dispatch service, selection between queue ⇄ map ⇄ detail ⇄ audio, tones,
escalation, roles, idle lock and shortcuts.  No business rules here — they are in
``app.dispatch`` (reached through ``ConsoleDispatch``); this file only routes."""
from __future__ import annotations

import logging
import time
from typing import Callable

from PySide6.QtCore import QObject, QSettings, QTimer, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel

from app.console_services.clips import STAND_IN, clip_for, may_still_get_audio, recorded_clip
from app.console_services.console_dispatch import (ConsoleDispatch, IncidentPurged, purged_message,
                                                   unreadable_message)
from app.dispatch import Session, permissions_of
from app.dispatch.users import SESSION_IDLE_LOCK_S
from app.dispatch.dispositions import LABELS
from app.store import PermissionDenied, StoreError
from app.console_services.map_features import coverage_ring, incident_features, sensor_features
from app.console_services.readout import clock_time, format_age, readout
from app.console_services.site import ConsoleSite
from app.qt.alert_queue_model import AlertQueueModel
from app.qt.idle_watcher import IdleWatcher
from app.qt.incident_worker import IncidentWorker, WorkerHost
from app.qt.playback import PlaybackController
from app.qt.tones import TonePlayer
from app.ui.alert_queue_view import AlertQueueView
from app.ui.cad_form import CadForm
from app.ui.call_dialog import CallDialog
from app.ui.incident_detail import IncidentDetail
from app.ui.login_dialog import LockOverlay
from app.ui.report_menu import ReportMenu
from app.ui.sensor_panel import SensorHealth
from app.ui.main_window import ConsoleWindow
from app.ui.supervisor_view import SupervisorView
from app.ui.waveform_view import WaveformView

log = logging.getLogger(__name__)

SHORTCUTS: list[tuple[str, str, str]] = [
    # key, description, controller method
    ("A", "Acknowledge the selected alert", "acknowledge"),
    ("C", "Open the CAD entry form", "open_cad"),
    ("O", "Units on scene", "on_scene"),
    ("D", "Close with the chosen disposition", "close_selected"),
    ("S", "Supervisor confirmation", "supervisor_confirm"),
    ("N", "Next alert", "next_alert"),
    ("J", "Next alert", "next_alert"),
    ("K", "Previous alert", "previous_alert"),
    ("U", "Oldest unacknowledged alert", "next_unacknowledged"),
    ("Space", "Play / pause the clip", "toggle_play"),
    ("L", "Loop the clip on / off", "toggle_loop"),
    ("[", "Slower playback", "slower"),
    ("]", "Faster playback", "faster"),
    (",", "Back 0.5 s", "seek_back"),
    (".", "Forward 0.5 s", "seek_forward"),
    ("=", "Zoom in on the waveform", "zoom_in"),
    ("-", "Zoom out", "zoom_out"),
    ("0", "Whole clip", "zoom_fit"),
    ("M", "Mute / unmute tones (alerts still show)", "toggle_mute"),
    ("Ctrl+F", "Filter the queue", "focus_filter"),
    ("Ctrl+Shift+C", "Copy the read-out", "copy_readout"),
    ("F2", "Focus the alert queue", "focus_queue"),
    ("F3", "Focus the map", "focus_map"),
    ("F4", "Incident detail", "focus_detail"),
    ("F5", "Audio", "focus_audio"),
    ("F6", "Supervisor view", "focus_supervisor"),
    ("Ctrl+L", "Lock the session", "lock_now"),
    ("F1", "This help", "toggle_help"),
    ("?", "This help", "toggle_help"),
    ("Esc", "Close help", "close_help"),
]


class ConsoleController(QObject):
    def __init__(self, *, site: ConsoleSite, dispatch: ConsoleDispatch, session: Session,
                 clock, source_factory: Callable | None = None, with_map: bool = True,
                 use_audio: bool | None = None, settings: QSettings | None = None, training: bool = False,
                 poll_ms: int = 50, idle_lock_s: float | None = None) -> None:
        super().__init__()
        self.site = site
        self.dispatch = dispatch
        self.users = dispatch.users
        self.session = session
        self.user = session.user
        self._touched_ns = 0
        self.clock = clock
        self.settings = settings
        self.selected_id: str | None = None
        self._loaded_clip: tuple[str, int] | None = None
        self.latency_model_ms: list[float] = []
        self.latency_map_ms: list[float] = []
        self._emitted: dict[str, int] = {}
        self.idle_lock_s = SESSION_IDLE_LOCK_S if idle_lock_s is None else idle_lock_s
        self.idle = IdleWatcher(self)

        self.model = AlertQueueModel(clock, dispatch.agency.ack_timeout_s, self)
        self.queue = AlertQueueView(self.model)
        self.detail = IncidentDetail()
        self.detail.set_dispositions(LABELS)
        self.playback = PlaybackController(self, use_audio=use_audio)
        self.waveform = WaveformView(self.playback)
        self.supervisor = SupervisorView()
        self.tones = TonePlayer(self, use_audio=use_audio)
        if with_map:
            from app.ui.map_view import MapView

            self.map = MapView()
            self.map.load_base(center=site.center, zoom=site.zoom, city_layers=site.city_layers,
                               coverage=[[lat, lon] for lon, lat in site.coverage_lonlat]
                               or coverage_ring(site.sensors, site.frame), tile_url=site.tile_url)
            self.bridge = self.map.bridge
            map_widget = self.map
        else:
            self.map = None
            self.bridge = None
            map_widget = QLabel("Map disabled")
        self.window = ConsoleWindow(queue=self.queue, detail=self.detail, waveform=self.waveform,
                                    supervisor=self.supervisor, map_widget=map_widget, training=training,
                                    title=f"Tocsin — {site.agency.name}" + (" — TRAINING" if training else ""))
        self.window.on_close = self.shutdown
        self.window.lock_overlay = self.lock = LockOverlay(self.users, self.window)
        self.window.help.set_shortcuts([(k, d) for k, d, _ in SHORTCUTS if k not in ("J", "?", "Esc")])
        self.sensor_health = SensorHealth(self.window, [s.id for s in site.sensors], clock, self)
        self._build_toolbar()
        self._build_shortcuts()

        self.queue.incident_selected.connect(self.select_incident)
        self.supervisor.incident_activated.connect(self.select_incident)
        self.supervisor.confirm_requested.connect(self.supervisor_confirm_id)
        self.detail.acknowledge_clicked.connect(self.acknowledge)
        self.detail.cad_clicked.connect(self.open_cad)
        self.detail.on_scene_clicked.connect(self.on_scene)
        self.detail.close_clicked.connect(self.close_selected_with)
        self.detail.confirm_clicked.connect(self.supervisor_confirm)
        self.detail.call_clicked.connect(self.link_call)
        self.detail.copy_clicked.connect(self.copy_readout)
        self.playback.status_message.connect(self.window.audio_status.setText)
        self.window.audio_status.setText(self.playback.status_text())
        if self.bridge is not None:
            self.bridge.incident_clicked.connect(self.select_incident)
            self.bridge.rendered.connect(self._on_rendered)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.on_tick)
        self._tick.start()

        self.host: WorkerHost | None = None
        if source_factory is not None:
            worker = IncidentWorker(source_factory, recorder=dispatch.record, on_stop=dispatch.close_thread,
                                    interval_ms=poll_ms)
            self.host = WorkerHost(worker, self)
            worker.incidents_emitted.connect(self.on_incidents)
            worker.status_changed.connect(self.window.feed_status.setText)
            worker.failed.connect(self._on_feed_failed)
            self.sensor_health.connect_worker(worker)
        if self.map is not None:
            from app.ui.map_view import MapView

            self.idle.watch(self.window, skip=(MapView,))
            self.bridge.user_activity.connect(self.idle.touch)
        else:
            self.idle.watch(self.window)
        self.set_user(session)
        self.on_tick()

    # ---- start / stop ------------------------------------------------------------------------
    def start(self) -> None:
        if self.host is not None:
            self.host.start()

    def shutdown(self) -> None:
        if getattr(self, "_shut", False):
            return
        self._shut = True
        self.idle.unwatch_all()
        self._tick.stop()
        if self.settings is not None:
            self.window.save_layout(self.settings)
            self.settings.sync()
        if self.host is not None:
            self.host.shutdown()
        self.playback.close()

    # ---- roles ---------------------------------------------------------------------------------
    def perms(self) -> set[str]:
        return set(permissions_of(self.user.role, exercise=self.dispatch.exercise))

    def set_user(self, session: Session) -> None:
        """Show the console for a signed-in session (``Users.login``)."""
        self.session = session
        self.user = user = session.user
        perms = self.perms()
        self.detail.set_permissions(perms)
        self.report_menu.refresh(perms)
        self.window.user_label.setText(f"  {user.name} · {user.role}  ")
        sup = "view_supervisor" in perms
        self.window.supervisor_dock.toggleViewAction().setVisible(sup)
        self.window.supervisor_dock.setVisible(sup)
        self.sensor_health.set_permissions(perms)
        if self.bridge is not None:
            show = "view_sensors" in perms
            self.bridge.set_layers(sensors=show,
                                   sensor_list=sensor_features(self.site.sensors, self.site.frame) if show else [])
        self._refresh_supervisor()

    # ---- incidents in ----------------------------------------------------------------------------
    @Slot(object)
    def on_incidents(self, batch) -> None:
        """Incidents the worker has recorded (``ConsoleDispatch.record``): show them."""
        shown = []
        new_kinds = []
        for recorded in batch:
            inc, t_emit = recorded.incident, recorded.t_emit_ns
            try:
                rec, is_new = self.dispatch.accept(recorded)
            except StoreError as exc:
                log.error("recorded incident %s could not be read back: %s", inc.id, exc)
                continue
            self.model.add_or_update(rec)
            self.latency_model_ms.append((time.perf_counter_ns() - t_emit) / 1e6)
            self._emitted[inc.id] = t_emit
            shown.append(rec)
            if is_new:
                new_kinds.append(inc.kind)
            if inc.id == self.selected_id:
                self._show_detail(rec)
        self.push_records_to_map(shown)
        if new_kinds:
            order = ("multiple_gunshots", "single_gunshot", "possible_gunfire")
            self.tones.play(min(new_kinds, key=lambda k: order.index(k) if k in order else 9))
            self.window.status.showMessage(f"New alert: {len(new_kinds)} incident(s)", 4000)

    def push_records_to_map(self, recs) -> None:
        """Draw (or redraw) these alerts on the map; alerts whose incident has been purged
        from the store are left off and taken off the console (``_take_off_purged``)."""
        if self.bridge is None or not recs:
            return
        features, purged = incident_features(recs, self.site.frame, self.dispatch.shot_outlines(recs))
        if features:
            self.bridge.push_incidents(features)
        if purged:
            self._take_off_purged(purged)

    def _take_off_purged(self, found) -> bool:
        """Alerts a read or an action ``found`` purged from the store: every alert whose
        incident the retention purge removed (``ConsoleDispatch.forget_purged`` finds them all
        at once) leaves the queue, the map, the detail pane and the audio, and a removed
        selection passes to the alert shown in its place in the queue.  The status bar names
        them, the ones found first.  False when the store still holds them all (none removed)."""
        gone = self.dispatch.forget_purged()
        first = {v.incident_id for v in found}
        gone.sort(key=lambda v: v.incident_id not in first)
        message = purged_message(gone or found)
        log.info("taken off the console: %s", message)
        if gone:
            ids = [v.incident_id for v in gone]
            successor = self.queue.remove(ids)
            if self.bridge is not None:
                self.bridge.remove_incidents(ids)
            if self.selected_id in ids:
                self._show_nothing(message)
                if successor is not None:
                    self.select_incident(successor)
            self._refresh_supervisor()
        self.window.status.showMessage(message, 8000)
        return bool(gone)

    def _on_rendered(self, ids, t_ns) -> None:
        for iid in ids:
            t0 = self._emitted.pop(iid, None)
            if t0 is not None:
                self.latency_map_ms.append((t_ns - t0) / 1e6)

    @Slot(str)
    def _on_feed_failed(self, msg: str) -> None:
        self.window.feed_status.setText(msg)
        self.window.status.showMessage(msg, 10000)

    # ---- selection -------------------------------------------------------------------------------
    @Slot(str)
    def select_incident(self, incident_id: str) -> None:
        if not incident_id:
            return
        try:
            rec = self.dispatch.get(incident_id)
        except KeyError:
            return
        changed = incident_id != self.selected_id
        self.selected_id = incident_id
        self.queue.select(incident_id)
        if changed and self.bridge is not None:
            self.bridge.select(incident_id)
        self._show_detail(rec)

    def _show_detail(self, rec) -> None:
        now = self.clock.now_ns()
        try:
            rec.incident  # history views read their full incident on first use
        except LookupError as exc:  # e.g. purged by retention since the history was loaded
            if isinstance(exc, IncidentPurged) and self._take_off_purged([rec]):
                return
            message = unreadable_message(rec, exc)
            self.window.status.showMessage(message, 8000)
            self._show_nothing(message)
            return
        text = readout(rec.incident, location_words=rec.location_words, near_words=rec.near_words,
                       reported_ns=rec.reported_ns, now_ns=now)
        self.detail.set_record(rec, text, now)
        if "play_audio" not in self.perms():
            return
        key = (rec.incident_id, rec.incident.revision)
        if key != self._loaded_clip:
            self._loaded_clip = key
            clip = clip_for(rec.incident, self.dispatch.store)
        elif (self.waveform.clip is not None and self.waveform.clip.source == STAND_IN
              and self.dispatch.store is not None and may_still_get_audio(rec.incident, now)):
            # Live sensor audio is attached after the alert, without a new revision (within
            # the recorder's keeping time: an old alert's stand-in is not looked at again).
            clip = recorded_clip(rec.incident, self.dispatch.store)
            if clip is None:
                return
        else:
            return
        self.waveform.set_clip(clip)

    def _show_nothing(self, why: str) -> None:
        """Nothing is selected now: the pane says why instead of keeping the previous alert's
        read-out, its audio is unloaded (Space plays nothing), and the tick does not repeat it."""
        self.selected_id = None
        self.detail.set_record(None, why, self.clock.now_ns())
        self._loaded_clip = None
        self.waveform.set_clip(None)

    def selected_record(self):
        if self.selected_id is None:
            return None
        return self.dispatch.get(self.selected_id)

    # ---- actions -------------------------------------------------------------------------------
    def _do(self, fn, *args, **kwargs):
        """Run one user action through the services; their refusal is shown, not raised."""
        try:
            rec = fn(*args, **kwargs)
        except PermissionDenied as exc:
            self.window.status.showMessage(f"Not allowed: {exc}", 8000)
            return None
        except IncidentPurged as exc:
            self._take_off_purged([exc.view])
            return None
        except (StoreError, KeyError) as exc:
            self.window.status.showMessage(str(exc).strip("'\""), 8000)
            return None
        self._touch_session(force=True)
        self.model.record_changed(rec.incident_id)
        self.push_records_to_map([rec])
        if rec.incident_id == self.selected_id:
            self._show_detail(rec)
        self._refresh_supervisor()
        return rec

    def acknowledge(self) -> None:
        if self.selected_id:
            self._do(self.dispatch.acknowledge, self.selected_id, self.user)

    def open_cad(self) -> CadForm | None:
        rec = self.selected_record()
        if rec is None or "cad_entry" not in self.perms():
            return None
        try:
            draft = self.dispatch.cad_prefill(rec.incident_id)
        except IncidentPurged as exc:  # purged since the console read it
            self._take_off_purged([exc.view])
            return None
        except LookupError as exc:
            self.window.status.showMessage(unreadable_message(rec, exc), 8000)
            return None
        self._cad_incident_id = rec.incident_id    # the form's alert, whatever is selected meanwhile
        self.cad_form = CadForm(draft, self.dispatch.agency, self.site.units, self.window)
        self.cad_form.accepted.connect(self._cad_accepted)
        self.idle.watch(self.cad_form)
        self.cad_form.open()
        return self.cad_form

    @Slot()
    def _cad_accepted(self) -> None:
        form = self.cad_form
        if form.result_draft is None:
            return
        rec = self._do(self.dispatch.create_cad, self._cad_incident_id, self.user, form.result_draft)
        if rec is not None:
            self.window.status.showMessage(f"CAD record {rec.cad_number} created", 6000)

    def on_scene(self) -> None:
        if self.selected_id:
            self._do(self.dispatch.on_scene, self.selected_id, self.user)

    def close_selected(self) -> None:
        self.close_selected_with(self.detail.disposition.currentText())

    @Slot(str)
    def close_selected_with(self, disposition: str) -> None:
        if self.selected_id:
            self._do(self.dispatch.close, self.selected_id, self.user, disposition)

    def supervisor_confirm(self) -> None:
        if self.selected_id:
            self.supervisor_confirm_id(self.selected_id)

    @Slot(str)
    def supervisor_confirm_id(self, incident_id: str) -> None:
        self._do(self.dispatch.supervisor_confirm, incident_id, self.user)

    def link_call(self) -> None:
        if not self.selected_id:
            return
        self._call_incident_id = self.selected_id   # the dialog's alert, whatever is selected meanwhile
        dlg = CallDialog(self.window)
        dlg.set_values(self.dispatch.call_prefill(self.selected_id))
        dlg.accepted.connect(self._call_entered)
        self.call_dialog = dlg
        self.idle.watch(dlg)
        dlg.open()

    @Slot()
    def _call_entered(self) -> None:
        rec = self._do(self.dispatch.link_call, self._call_incident_id, self.user, **self.call_dialog.values())
        if rec is not None and rec.ems_requested:
            self.window.status.showMessage("Citizen call linked — EMS requested for the confirmed victim", 8000)

    def copy_readout(self) -> None:
        if self.detail.record is not None:
            QGuiApplication.clipboard().setText(self.detail.readout.text())
            self.window.status.showMessage("Read-out copied", 3000)

    # ---- escalation / ticking ----------------------------------------------------------------------
    @Slot()
    def on_tick(self) -> None:
        self.window.clock_label.setText(clock_time(self.clock.now_ns()))
        self.sensor_health.tick()
        try:
            escalated = self.dispatch.escalate_overdue()
        except StoreError as exc:
            log.error("escalation check failed: %s", exc)
            escalated = []
        for rec in escalated:
            self.model.record_changed(rec.incident_id)
        if escalated:
            self.push_records_to_map(escalated)
            self.tones.play("escalation")
            self.window.status.showMessage(
                f"ESCALATED: {len(escalated)} alert(s) unacknowledged past {self.dispatch.agency.ack_timeout_s:.0f} s"
                " — supervisors notified", 10000)
            if "view_supervisor" in self.perms():
                self.window.supervisor_dock.raise_()
        n_esc = sum(1 for r in self.dispatch.awaiting_supervisor() if r.escalated)
        self.window.escalation_label.setText(f"  {n_esc} ESCALATED  ")
        self.window.escalation_label.setVisible(n_esc > 0)
        rec = self.selected_record()
        if rec is not None:
            self._show_detail(rec)
        self._refresh_supervisor()
        if self.idle_lock_s and not self.lock.isVisible() and self.idle.idle_s() > self.idle_lock_s:
            self.lock_now(reason=f"idle for {format_age(self.idle_lock_s)}")
        elif not self.lock.isVisible() and self.idle.idle_s() < 2.0:
            self._touch_session()

    def _touch_session(self, *, force: bool = False) -> None:
        """Tell the store this session is active (at most once a minute unless forced), so
        the monitors-on-duty count and the session idle lock are the service's."""
        now = self.clock.now_ns()
        if force or now - self._touched_ns >= 60 * 10**9:
            self._touched_ns = now
            try:
                self.users.touch(self.session.id)
            except StoreError as exc:
                log.error("session activity not recorded: %s", exc)

    def _refresh_supervisor(self) -> None:
        if "view_supervisor" not in self.perms():
            return
        status = self.dispatch.monitoring_status()
        self.supervisor.set_staffing(len(status.on_duty), status.required)
        self.supervisor.set_records(self.dispatch.awaiting_supervisor()[:200], self.clock.now_ns())

    # ---- idle lock -------------------------------------------------------------------------------
    def lock_now(self, reason: str = "locked by user") -> None:
        self.lock.lock(self.session, reason)

    # ---- toolbar / shortcuts -----------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        tb = self.window.toolbar
        title = QLabel(f"  TOCSIN · {self.site.short_name}  ")
        title.setStyleSheet("font-size: 18px; font-weight: bold; color: #00e5ff;")
        tb.addWidget(title)
        tb.addWidget(self.window.clock_label)
        tb.addWidget(self.window.escalation_label)
        tb.addSeparator()
        self.mute_action = QAction("Tones on", self.window)
        self.mute_action.setCheckable(True)
        self.mute_action.toggled.connect(self._mute_toggled)
        tb.addAction(self.mute_action)
        help_action = QAction("Keys (F1)", self.window)
        help_action.triggered.connect(self.toggle_help)
        tb.addAction(help_action)
        lock_action = QAction("Lock (Ctrl+L)", self.window)
        lock_action.triggered.connect(self.lock_now)
        tb.addAction(lock_action)
        tb.addSeparator()
        tb.addWidget(self.window.user_label)
        menu = self.window.menuBar().addMenu("&View")
        for dock in (self.window.queue_dock, self.window.detail_dock, self.window.waveform_dock,
                     self.window.supervisor_dock):
            menu.addAction(dock.toggleViewAction())
        self.sensor_health.add_menu_action(menu)
        self.report_menu = ReportMenu(self)

    def _build_shortcuts(self) -> None:
        self.actions: dict[str, QAction] = {}
        for key, desc, method in SHORTCUTS:
            act = QAction(desc, self.window)
            act.setShortcut(QKeySequence(key))
            act.triggered.connect(getattr(self, method))
            self.window.addAction(act)
            self.actions[key] = act

    @Slot(bool)
    def _mute_toggled(self, muted: bool) -> None:
        self.tones.set_muted(muted)
        self.mute_action.setText("Tones MUTED" if muted else "Tones on")

    def toggle_mute(self) -> None:
        self.mute_action.toggle()

    def next_alert(self) -> None:
        self.queue.move(+1)

    def previous_alert(self) -> None:
        self.queue.move(-1)

    def next_unacknowledged(self) -> None:
        self.queue.next_unacknowledged()

    def toggle_play(self) -> None:
        self.playback.toggle()

    def toggle_loop(self) -> None:
        self.playback.set_loop(not self.playback.loop)

    def slower(self) -> None:
        self.playback.step_speed(-1)

    def faster(self) -> None:
        self.playback.step_speed(+1)

    def seek_back(self) -> None:
        self.waveform.seek_by(-0.5)

    def seek_forward(self) -> None:
        self.waveform.seek_by(0.5)

    def zoom_in(self) -> None:
        self.waveform.zoom_in()

    def zoom_out(self) -> None:
        self.waveform.zoom_out()

    def zoom_fit(self) -> None:
        self.waveform.fit()

    def focus_filter(self) -> None:
        self.window.queue_dock.raise_()
        self.queue.search.setFocus()

    def focus_queue(self) -> None:
        self.window.queue_dock.raise_()
        self.queue.table.setFocus()

    def focus_map(self) -> None:
        if self.map is not None:
            self.map.setFocus()

    def focus_detail(self) -> None:
        self.window.detail_dock.raise_()
        self.detail.ack_btn.setFocus()

    def focus_audio(self) -> None:
        self.window.waveform_dock.raise_()
        self.waveform.play_btn.setFocus()

    def focus_supervisor(self) -> None:
        if "view_supervisor" in self.perms():
            self.window.supervisor_dock.raise_()
            self.supervisor.list.setFocus()

    def toggle_help(self) -> None:
        self.window.help.toggle()

    def close_help(self) -> None:
        self.window.help.hide()
