"""The live map over QWebChannel: an incident pushed from Python is drawn in the page
(queried with runJavaScript), sensors follow the role, and a marker click selects the
incident in the queue.  The page loads no remote resources."""
from __future__ import annotations

import json
import time

import pytest

from app.console_services.demo_seed import DEMO_PASSWORD
from tests.console_fixtures import build_controller, incidents, purge, recorded

ENV_NOISE = ("QRhiGles2.*", "Failed to create RHI.*", ".*propagateSizeHints.*", "GPUInfo.*",
             ".*Failed to connect to the bus.*", "Sandboxing disabled.*")


def js(qtbot, view, code):
    out = []
    view.run_js(code, out.append)
    qtbot.waitUntil(lambda: len(out) > 0, timeout=5000)
    return out[0]


def _map_console(qtbot):
    """A supervisor's console with the live map page loaded and its bridge ready."""
    ctl, clock = build_controller(qtbot, "sup1", with_map=True)
    ctl.window.resize(1200, 800)
    ctl.window.show()
    qtbot.waitUntil(lambda: ctl.bridge.is_ready, timeout=20000)
    return ctl, clock


@pytest.mark.qt_log_ignore(*ENV_NOISE)
def test_map_bridge_renders_incident_sensors_by_role_and_click_selects(qtbot):
    ctl, clock = _map_console(qtbot)
    inc = incidents(1, clock, rounds=4)[0]
    ctl.on_incidents(recorded(ctl, [inc]))
    qtbot.waitUntil(lambda: ctl.bridge.rendered_count >= 1, timeout=5000)
    drawn = json.loads(js(qtbot, ctl.map, "JSON.stringify(Object.keys(window.tocsin.incidents))"))
    assert drawn == [inc.id]
    n_shots = js(qtbot, ctl.map, f"document.querySelectorAll('.shot-num').length")
    assert n_shots == 4
    assert js(qtbot, ctl.map, "window.tocsin.sensorsShown()") == len(ctl.site.sensors)
    assert ctl.latency_map_ms and ctl.latency_map_ms[0] > 0

    # Dispatchers do not see sensor sites.
    ctl.set_user(ctl.users.login("disp1", DEMO_PASSWORD))
    qtbot.wait(300)
    assert js(qtbot, ctl.map, "window.tocsin.sensorsShown()") == 0

    # Marker click in the page → selection in the queue, and the page highlights it.
    ctl.map.run_js(f"window.tocsin.incidents[{json.dumps(inc.id)}].group.fire('click'); null", lambda _r: None)
    qtbot.waitUntil(lambda: ctl.queue.current_incident_id() == inc.id, timeout=5000)
    qtbot.wait(300)
    assert js(qtbot, ctl.map, "window.tocsin.selected()") == inc.id

    # Offline: no http(s) resources in the page.
    remote = js(qtbot, ctl.map, "Array.from(document.querySelectorAll('script[src],link[href]'))"
                                ".map(e => e.src || e.href).filter(u => /^https?:/.test(u)).length")
    assert remote == 0
    assert ctl.map.map_page.js_errors == []
    ctl.shutdown()


@pytest.mark.qt_log_ignore(*ENV_NOISE)
def test_alerts_taken_off_the_console_leave_the_page_and_its_selection(qtbot):
    ctl, clock = _map_console(qtbot)
    old = incidents(2, clock, seed=21, rounds=2)
    ctl.on_incidents(recorded(ctl, old))
    clock.advance((ctl.dispatch.agency.retention_years + 1) * 365.25 * 86400)
    new = incidents(1, clock, seed=22, first=2, rounds=3)
    ctl.on_incidents(recorded(ctl, new))
    qtbot.waitUntil(lambda: ctl.bridge.rendered_count >= 3, timeout=5000)
    ctl.select_incident(old[0].id)
    qtbot.waitUntil(lambda: js(qtbot, ctl.map, "window.tocsin.selected()") == old[0].id, timeout=5000)
    assert js(qtbot, ctl.map, "document.querySelectorAll('.shot-num').length") == 2 + 2 + 3

    purge(ctl.dispatch)
    ctl.acknowledge()                                         # finds the alert purged: both old ones go
    drawn = "JSON.stringify(Object.keys(window.tocsin.incidents))"
    qtbot.waitUntil(lambda: json.loads(js(qtbot, ctl.map, drawn)) == [new[0].id], timeout=5000)
    qtbot.waitUntil(lambda: js(qtbot, ctl.map, "window.tocsin.selected()") == new[0].id, timeout=5000)
    assert js(qtbot, ctl.map, "document.querySelectorAll('.shot-num').length") == 3
    assert js(qtbot, ctl.map, "document.querySelectorAll('.inc-label.selected').length") == 1
    assert ctl.map.map_page.js_errors == []
    ctl.shutdown()
