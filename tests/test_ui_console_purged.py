"""The console after the retention purge removed alerts it had loaded: whichever read or
action finds one purged — the map, the detail pane, the CAD form, the actions — every alert
that purge removed leaves the queue, the map and the supervisor list, a removed selection
passes to the next alert in the queue (or the pane says why, its audio unloaded so Space
plays nothing), and the status bar names them — no traceback; the other alerts keep working."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from app.qt.map_bridge import MapBridge
from tests.console_fixtures import aged_history, build_controller, purge

PURGED = "was purged under the retention policy: it can no longer be read or changed"
PURGED_MANY = "incidents were purged under the retention policy and can no longer be read or changed: "


class MapSent:
    """What the console sends the map's bridge (no web page: the messages are recorded)."""

    def __init__(self, bridge: MapBridge) -> None:
        self.pushed: list[list[dict]] = []
        self.removed: list[list[str]] = []
        self.selected: list[str | None] = []
        bridge.incidents_pushed.connect(lambda j: self.pushed.append(json.loads(j)))
        bridge.incidents_removed.connect(lambda j: self.removed.append(json.loads(j)))
        bridge.selection_changed.connect(lambda j: self.selected.append(json.loads(j)["id"]))


def _started(qtbot, n_old=3, n_new=3):
    """A supervisor's console that loaded its history at start-up, as ``tocsin console`` does,
    with the map's bridge."""
    ctl, clock = build_controller(qtbot, "sup1")
    ctl.bridge = MapBridge(ctl)
    sent = MapSent(ctl.bridge)
    ctl.bridge.js_ready()
    old, new = aged_history(ctl.dispatch, clock, n_old, n_new)
    ctl.model.load(ctl.dispatch.load_recent(100))
    ctl.window.show()
    return ctl, [i.id for i in old], [i.id for i in new], sent


def _queued(ctl) -> list[str]:
    return [ctl.queue.proxy.incident_id_at(r) for r in range(ctl.queue.proxy.rowCount())]


def _supervisor_list(ctl) -> list[str]:
    return sorted(ctl.supervisor.list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(ctl.supervisor.list.count()))


def test_a_map_push_that_finds_purged_alerts_takes_them_off_the_console(qtbot):
    ctl, old, new, sent = _started(qtbot)
    ctl._refresh_supervisor()                                               # as the tick shows it
    assert _supervisor_list(ctl) == sorted(old + new)
    purge(ctl.dispatch)
    ctl.push_records_to_map(sorted(ctl.dispatch.records(), key=lambda r: r.reported_ns)[-150:])
    assert sorted(f["id"] for f in sent.pushed[-1]) == new                 # the map is sent the others
    assert sorted(sent.removed[-1]) == sorted(old)                          # and told to drop the purged
    message = ctl.window.status.currentMessage()
    assert message.split(" ", 1)[0].isdigit() and PURGED_MANY in message
    assert all(uid in message for uid in old)
    assert sorted(_queued(ctl)) == sorted(new) and ctl.model.rowCount() == 3   # the queue keeps the others
    assert sorted(r.incident_id for r in ctl.dispatch.records()) == sorted(new)
    assert _supervisor_list(ctl) == sorted(new)
    ctl.on_tick()                                                           # the rest keeps working
    ctl.queue.select(new[1])
    assert ctl.detail.record.incident_id == new[1] and ctl.waveform.clip is not None


def test_selecting_a_purged_alert_takes_it_off_and_selects_the_next_one(qtbot):
    ctl, old, new, sent = _started(qtbot)
    ctl.queue.select(new[0])
    shown = _queued(ctl)
    store_id = ctl.dispatch.get(old[0]).store_id
    purge(ctl.dispatch)
    ctl.queue.select(old[0])                                                # the detail pane finds it
    message = ctl.window.status.currentMessage()
    assert f"{PURGED_MANY}{old[0]} (#{store_id}), " in message       # the one selected named first
    assert PURGED_MANY in message and all(uid in message for uid in old)
    assert not set(old) & set(_queued(ctl)) and sorted(sent.removed[-1]) == sorted(old)
    below = shown[shown.index(old[0]) + 1:]
    above = shown[:shown.index(old[0])][::-1]
    successor = next(i for i in below + above if i not in old)
    assert ctl.selected_id == successor == ctl.queue.current_incident_id()  # the next alert in the queue
    assert ctl.detail.record.incident_id == successor and ctl.detail.readout.text().startswith(
        ("Single gunshot", "Multiple gunshots", "Possible gunfire"))
    assert ctl.waveform.clip is not None and ctl.playback.state == "stopped"   # its audio, ready to play
    assert sent.selected[-1] == successor
    assert _supervisor_list(ctl) == sorted(new)
    ctl.acknowledge()
    assert ctl.dispatch.get(successor).state == "acknowledged"


def test_an_alert_shown_with_its_audio_then_purged_leaves_nothing_to_play(qtbot):
    """The last alerts in the queue: nothing takes the removed one's place; the pane says why,
    and Space plays nothing (the audio of the alert that was shown is unloaded)."""
    ctl, old, new, sent = _started(qtbot, n_old=2, n_new=0)
    ctl.select_incident(old[0])                                            # read, its clip loaded
    assert ctl.waveform.clip is not None
    ctl.actions["Space"].trigger()
    assert ctl.playback.state == "playing"
    purge(ctl.dispatch)
    ctl.acknowledge()                                                      # the action finds it
    assert PURGED_MANY in ctl.window.status.currentMessage()
    assert f"{PURGED_MANY}{old[0]} (#" in ctl.window.status.currentMessage()
    assert _queued(ctl) == [] and ctl.model.rowCount() == 0 and sent.removed[-1] == [old[0], old[1]]
    assert ctl.selected_id is None and ctl.detail.record is None            # not the previous alert
    assert PURGED_MANY in ctl.detail.readout.text()
    assert ctl.waveform.clip is None and not ctl.detail.ack_btn.isEnabled()
    assert ctl.playback.state == "empty"
    ctl.actions["Space"].trigger()                                         # Space: nothing to play
    assert ctl.playback.state == "empty" and ctl.playback.position_s() == 0.0
    ctl.on_tick()
    assert ctl.selected_id is None and ctl.playback.state == "empty"


ACTIONS = {
    "cad entry": lambda ctl, qtbot, form: qtbot.mouseClick(form.create_btn, Qt.MouseButton.LeftButton),
    "cad narrative": lambda ctl, qtbot, form: ctl.open_cad(),
    "acknowledge": lambda ctl, qtbot, form: ctl.acknowledge(),
    "supervisor confirmation": lambda ctl, qtbot, form: ctl.supervisor_confirm(),
    "on scene": lambda ctl, qtbot, form: ctl.on_scene(),
    "close": lambda ctl, qtbot, form: ctl.close_selected(),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_on_an_alert_purged_while_it_was_shown_takes_it_off(qtbot, action):
    ctl, old, new, sent = _started(qtbot, n_old=1, n_new=2)
    ctl.select_incident(old[0])
    shown = _queued(ctl)
    form = ctl.open_cad()                                                  # filled before the purge
    assert "TRAINING; Acoustic alert" in form.narrative.toPlainText()
    form.units.item(0).setCheckState(Qt.CheckState.Checked)
    if action != "cad entry":
        form.reject()
    store_id = ctl.dispatch.get(old[0]).store_id
    purge(ctl.dispatch)
    audit_before = len(ctl.dispatch.store.audit_entries())

    ctl.window.status.clearMessage()
    ACTIONS[action](ctl, qtbot, form)
    assert ctl.window.status.currentMessage() == f"Incident {old[0]} (#{store_id}) {PURGED}"
    assert len(ctl.dispatch.store.audit_entries()) == audit_before        # nothing written for it
    assert old[0] not in _queued(ctl) and sent.removed[-1] == [old[0]]
    successor = shown[shown.index(old[0]) - 1]                              # the oldest: at the bottom
    assert ctl.selected_id == successor and ctl.detail.record.incident_id == successor
    assert sent.selected[-1] == successor and ctl.waveform.clip is not None

    form = ctl.open_cad()                                                  # the others keep working
    form.units.item(0).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(form.create_btn, Qt.MouseButton.LeftButton)
    assert ctl.dispatch.get(successor).state == "dispatched"
    assert [f["id"] for f in sent.pushed[-1]] == [successor]              # and redrawn on the map


@pytest.mark.parametrize("dialog", ["cad form", "call dialog"])
def test_a_dialog_still_names_its_alert_when_another_was_selected_meanwhile(qtbot, dialog):
    """A CAD form or call dialog open while its alert is taken off the console (another read
    found the purge) records nothing for the alert selected in its place."""
    ctl, old, new, sent = _started(qtbot, n_old=2, n_new=2)
    ctl.select_incident(old[0])
    if dialog == "cad form":
        form = ctl.open_cad()
        form.units.item(0).setCheckState(Qt.CheckState.Checked)
    else:
        ctl.link_call()
        ctl.call_dialog.set_values({"victim_confirmed": True})
    purge(ctl.dispatch)
    ctl.push_records_to_map([ctl.dispatch.get(old[1])])                  # finds both purged
    assert ctl.selected_id in new
    selected = ctl.selected_id
    if dialog == "cad form":
        qtbot.mouseClick(form.create_btn, Qt.MouseButton.LeftButton)
    else:
        ctl.call_dialog.accept()
    rec = ctl.dispatch.get(selected)
    assert (rec.state, rec.cad_number, rec.calls, rec.ems_requested) == ("new", None, (), False)
    assert ctl.window.status.currentMessage() == f"no incident with id {old[0]!r} (never recorded, or purged)"
