"""Sensor health in the console: the Qt-free board, the Qt models (qtmodeltester), the
Sensors dock for supervisors/admins only, the status-bar count, and the demo source
delivering statuses, alerts and last-heard times through the worker."""
from __future__ import annotations

import sys

import pytest

from app.console_services.sensor_board import LastHeard, SensorBoard
from app.dispatch import can
from app.feeds.events import OperationalAlert, SensorStatus

T0 = 1_700_000_000_000_000_000


def st(sensor, state, trusted=True, detail="", t=T0):
    return SensorStatus(sensor, state, trusted, t, t, detail)


def al(sensor, kind, active=True, t=T0, sev="critical"):
    return OperationalAlert(sensor, kind, sev, t, f"{sensor} {kind}", active)


def test_board_folds_statuses_alerts_and_last_heard():
    b = SensorBoard(["A", "B", "C"])
    assert b.summary() == "Sensors: 3 not heard yet of 3"
    changed, new = b.apply([st("A", "ok"), st("B", "ok"), st("C", "gps_lost", detail="GPS lock lost"),
                            al("C", "gps_lost", sev="warning"), LastHeard({"A": T0 + 5, "B": T0 - 5})])
    assert changed == {"A", "B", "C"} and [a.kind for a in new] == ["gps_lost"]
    assert b.row("A").last_heard_ns == T0 + 5 and b.row("B").last_heard_ns == T0   # never goes back
    assert b.summary() == "Sensors: 1 degraded of 3"
    assert [a.sensor for a in b.active_alerts()] == ["C"]
    b.apply([st("C", "ok", t=T0 + 10), al("C", "gps_lost", active=False, t=T0 + 10)])
    assert b.active_alerts() == [] and b.summary() == "Sensors: all 3 online"
    assert [a.active for a in b.alerts()] == [False, True]          # newest first
    b.apply([st("X9", "offline", trusted=False)])                  # keyed but not on the map
    assert b.sensor_ids()[-1] == "X9" and b.summary() == "Sensors: 1 degraded of 4"


def test_board_keeps_at_most_max_alerts():
    b = SensorBoard(["A"], max_alerts=3)
    b.apply([al("A", "offline", t=T0 + i) for i in range(5)])
    assert [a.t_ns for a in b.alerts()] == [T0 + 4, T0 + 3, T0 + 2]


def test_only_supervisors_and_admins_see_sensor_health():
    assert [r for r in ("dispatcher", "supervisor", "analyst", "trainer", "admin") if can(r, "sensor_health")] == \
        ["supervisor", "admin"]


class _Clock:
    def now_ns(self):
        return T0 + 65 * 10**9


def test_models_pass_the_model_tester_and_show_state_and_age(qtbot, qtmodeltester):
    from PySide6.QtCore import Qt

    from app.qt.sensor_status_model import SensorCol, SensorStatusModel

    m = SensorStatusModel(SensorBoard(["A", "B"]), _Clock())
    with qtbot.waitSignal(m.counts_changed) as sig:
        m.apply([st("A", "clock_untrusted", trusted=False, detail="clock error bound 5000 µs > 1000 µs"),
                 al("A", "clock_untrusted"), LastHeard({"A": T0})])
    assert sig.args == [1, 1, 2]
    qtmodeltester.check(m)
    qtmodeltester.check(m.alerts)
    assert m.data(m.index(0, SensorCol.STATE)) == "clock untrusted"
    assert m.data(m.index(0, SensorCol.TIMING)) == "NOT used"
    assert m.data(m.index(0, SensorCol.LAST_HEARD)) == "1 m 05 s ago"
    assert m.data(m.index(1, SensorCol.LAST_HEARD)) == "never"
    assert "5000 µs" in m.data(m.index(0, SensorCol.DETAIL))
    assert m.alerts.rowCount() == 1 and m.alerts.data(m.alerts.index(0, 2)) == "critical"
    assert m.data(m.index(0, SensorCol.STATE), Qt.ItemDataRole.ForegroundRole).name() == "#ff8c42"
    m.apply([st("B", "ok"), st("C", "ok")])                         # a sensor the site did not list: a new row
    assert m.rowCount() == 3
    qtmodeltester.check(m)


def test_emitting_signals_does_not_use_up_true():
    """PySide6 6.12 takes a reference from True on every Python emit; app.qt pins it."""
    import app.qt  # noqa: F401 - applies the pin
    from PySide6.QtCore import QObject, Signal

    class O(QObject):
        s = Signal(int)

    o = O()
    for _ in range(20_000):
        o.s.emit(1)
    assert sys.getrefcount(True) > 1 << 30 or sys.version_info >= (3, 12)


@pytest.mark.parametrize(("user", "shown"), [("disp1", False), ("sup1", True), ("admin", True), ("analyst1", False)])
def test_sensors_dock_follows_the_role_and_the_status_bar_counts(qtbot, user, shown, tmp_path):
    from tests.console_fixtures import build_controller

    ctl, clock = build_controller(qtbot, user, tmp_path=tmp_path)
    sh = ctl.sensor_health
    assert sh.dock.toggleViewAction().isVisible() is shown
    ctl.window.show()
    assert sh.dock.isVisibleTo(ctl.window) is shown
    ids = [s.id for s in ctl.site.sensors]
    sh.on_updates([st(i, "ok") for i in ids] + [st(ids[2], "offline", trusted=False), al(ids[2], "offline")])
    assert sh.count_label.text() == f"Sensors: 1 degraded of {len(ids)}"
    assert sh.panel.summary.text() == sh.count_label.text()
    top = sh.panel.proxy.index(0, 0)
    assert top.data() == ids[2]                                        # worst first
    ctl.shutdown()


def test_the_demo_source_delivers_sensor_health_through_the_worker(qtbot, tmp_path):
    """A scripted feed's status and alert reach the Sensors panel across the worker thread."""
    from app.console_services.engine_source import SimulatedEngineSource
    from tests.console_fixtures import build_controller
    from tests.test_console_engine_source import ScriptedFeed
    from app.qt.incident_worker import IncidentWorker, WorkerHost

    ctl, clock = build_controller(qtbot, "sup1", tmp_path=tmp_path)
    feed = ScriptedFeed(ctl.site.sensors)
    sid = ctl.site.sensors[0].id
    worker = IncidentWorker(lambda: SimulatedEngineSource(ctl.site, feed=feed), interval_ms=20)
    host = WorkerHost(worker)
    ctl.sensor_health.connect_worker(worker)
    host.start()
    qtbot.waitUntil(lambda: feed.listener is not None, timeout=5000)
    feed.listener.on_status(st(sid, "gps_lost", trusted=False, detail="GPS lock lost; holdover over 60 s"))
    feed.listener.on_alert(al(sid, "gps_lost"))
    qtbot.waitUntil(lambda: ctl.sensor_health.model.board.row(sid).state == "gps_lost", timeout=5000)
    assert ctl.sensor_health.model.alerts.rowCount() == 1
    assert host.shutdown()
    ctl.shutdown()
