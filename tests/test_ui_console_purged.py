"""The console after the retention purge removed alerts it had loaded as history: the map,
the detail pane, the CAD form and the actions say the incident was purged — in the status
bar, no traceback — and the other alerts keep working."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt

from app.qt.map_bridge import MapBridge
from tests.console_fixtures import aged_history, build_controller, purge

PURGED = "was purged under the retention policy: it can no longer be read or changed"


def _started(qtbot, n_old=3, n_new=3):
    """A supervisor's console that loaded its history at start-up, as ``tocsin console`` does,
    with the map's bridge (no web page: what the map is sent is recorded)."""
    ctl, clock = build_controller(qtbot, "sup1")
    ctl.bridge = MapBridge(ctl)
    sent: list[str] = []
    ctl.bridge.incidents_pushed.connect(sent.append)
    ctl.bridge.js_ready()
    old, new = aged_history(ctl.dispatch, clock, n_old, n_new)
    ctl.model.load(ctl.dispatch.load_recent(100))
    ctl.window.show()
    return ctl, [i.id for i in old], [i.id for i in new], sent


def test_map_detail_and_supervisor_list_after_a_purge(qtbot):
    ctl, old, new, sent = _started(qtbot)
    purge(ctl.dispatch)
    ctl.push_records_to_map(sorted(ctl.dispatch.records(), key=lambda r: r.reported_ns)[-150:])
    assert sorted(f["id"] for f in json.loads(sent[-1])) == new             # the map is sent the others
    message = ctl.window.status.currentMessage()
    assert message.startswith("Incidents ") and "were purged under the retention policy" in message
    assert all(uid in message for uid in old)

    ctl.queue.select(new[0])
    ctl.queue.select(old[0])                                                # the detail pane
    assert ctl.window.status.currentMessage().startswith(f"Incident {old[0]} (#")
    assert PURGED in ctl.window.status.currentMessage()
    assert PURGED in ctl.detail.readout.text() and ctl.detail.record is None   # not the previous alert
    assert ctl.waveform.clip is None and not ctl.detail.ack_btn.isEnabled()
    assert ctl.selected_id is None

    ctl.on_tick()                                                           # the rest keeps working
    ctl.queue.select(new[1])
    assert ctl.detail.record.incident_id == new[1] and ctl.detail.readout.text().startswith(
        ("Single gunshot", "Multiple gunshots", "Possible gunfire"))
    assert ctl.waveform.clip is not None
    listed = [ctl.supervisor.list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(ctl.supervisor.list.count())]
    assert sorted(listed) == sorted(new)
    ctl.acknowledge()
    assert ctl.dispatch.get(new[1]).state == "acknowledged"


def test_cad_form_and_actions_on_an_alert_purged_while_it_was_open(qtbot):
    ctl, old, new, sent = _started(qtbot)
    ctl.select_incident(old[0])
    form = ctl.open_cad()                                                   # filled before the purge
    assert "TRAINING; Acoustic alert" in form.narrative.toPlainText()
    form.units.item(0).setCheckState(Qt.CheckState.Checked)
    purge(ctl.dispatch)

    qtbot.mouseClick(form.create_btn, Qt.MouseButton.LeftButton)            # the CAD entry
    assert ctl.window.status.currentMessage() == (f"Incident {old[0]} (#{ctl.dispatch.get(old[0]).store_id}) "
                                                  f"{PURGED}")
    ctl.window.status.clearMessage()
    assert ctl.open_cad() is None                                          # the CAD narrative, again
    assert PURGED in ctl.window.status.currentMessage()
    ctl.window.status.clearMessage()
    ctl.acknowledge()
    assert PURGED in ctl.window.status.currentMessage()
    ctl.supervisor_confirm()
    assert PURGED in ctl.window.status.currentMessage()

    ctl.select_incident(new[0])                                             # the others keep working
    form = ctl.open_cad()
    form.units.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(form.create_btn, Qt.MouseButton.LeftButton)
    assert ctl.dispatch.get(new[0]).state == "dispatched"
    assert [f["id"] for f in json.loads(sent[-1])] == [new[0]]             # and redrawn on the map
