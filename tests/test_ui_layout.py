"""The console's first-time layout: 1600 px wide stays 1600 px, and the alert queue shows
its essential columns uncut (queue down the left at full height)."""
from __future__ import annotations

from PySide6.QtCore import Qt

from app.qt.alert_queue_model import Col
from app.ui.resources import resource
from tests.console_fixtures import build_controller, incidents, recorded


def test_default_layout_fits_1600_px_and_the_queue_columns_are_readable(qtbot):
    ctl, clock = build_controller(qtbot, "sup1")
    # The console's style sheet (its sizes are what the layout is made for), on this window
    # only so no other test's widgets are re-styled.
    ctl.window.setStyleSheet(resource("ui", "dark.qss").read_text(encoding="utf-8"))
    ctl.on_incidents(recorded(ctl, incidents(5, clock)))
    win = ctl.window
    win.resize(1600, 1000)
    win.show()
    win.default_sizes()
    qtbot.wait(50)
    assert win.width() <= 1600
    assert win.dockWidgetArea(win.queue_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    table = ctl.queue.table
    assert table.isColumnHidden(Col.TAGS) and table.isColumnHidden(Col.ACK)
    shown = [c for c in Col if not table.isColumnHidden(c)]
    right_edge = max(table.columnViewportPosition(c) + table.columnWidth(c) for c in shown)
    assert right_edge <= table.viewport().width()          # no column cut off at the right
    assert table.columnWidth(Col.LOCATION) >= 150
    # A long fact in the detail panel wraps instead of widening its column.
    ctl.queue.select(ctl.model.record_at(0).incident_id)
    ctl.detail.state_lbl.setText("CLOSED · acknowledged by trainer1 after 39 s · confirmed by trainer1 " * 2)
    qtbot.wait(50)
    assert win.width() <= 1600
    assert right_edge <= table.viewport().width()
