"""The Sensors dock: sensor health for supervisors and administrators.

``SensorPanel`` is the widget (a summary line, the sensor table worst-first, the
operational alerts newest-first).  ``SensorHealth`` wires it into a console window: a
dock tabbed with the supervisor view, a View-menu entry, a status-bar count of degraded
sensors, and the worker's ``sensors_updated`` signal (queued onto the GUI thread) into
the model.  Whether the dock is offered follows the ``sensor_health`` permission.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt, Slot
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QHeaderView, QLabel, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from app.console_services.sensor_board import SensorBoard
from app.qt.sensor_status_model import SORT_ROLE, AlertCol, SensorCol, SensorStatusModel

DEGRADED_STYLE = "color: #ffcc00; padding: 0 8px;"
OK_STYLE = "color: #8a93a0; padding: 0 8px;"


def _table(model, *, stretch: int) -> QTableView:
    t = QTableView()
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(22)
    t.setWordWrap(False)
    h = t.horizontalHeader()
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return t


class SensorPanel(QWidget):
    def __init__(self, model: SensorStatusModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.summary = QLabel()
        self.summary.setObjectName("sensor_summary")
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self.table = _table(self.proxy, stretch=SensorCol.DETAIL)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(SensorCol.STATE, Qt.SortOrder.AscendingOrder)   # worst first
        self.alerts = _table(model.alerts, stretch=AlertCol.ALERT)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(QLabel("Operational alerts"))
        lay.addWidget(self.alerts)
        split.addWidget(box)
        split.setSizes([300, 200])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.summary)
        outer.addWidget(split, 1)
        model.counts_changed.connect(self._counts)
        self._counts(len(model.board.problems()), len(model.board.not_heard()), model.rowCount())

    @Slot(int, int, int)
    def _counts(self, problems: int, quiet: int, total: int) -> None:
        self.summary.setText(self.model.board.summary())


class SensorHealth(QObject):
    """The Sensors dock and status-bar count of one console window."""

    def __init__(self, window, sensor_ids, clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.model = SensorStatusModel(SensorBoard(sensor_ids), clock, self)
        self.panel = SensorPanel(self.model)
        self.dock = QDockWidget("Sensors", window)
        self.dock.setObjectName("dock_sensors")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                              | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.supervisor_dock, self.dock)
        window.detail_dock.raise_()
        self.count_label = QLabel()
        self.count_label.setObjectName("sensor_count")
        self.count_label.setToolTip("Sensor health (details in View → Sensors for supervisors)")
        window.status.insertPermanentWidget(0, self.count_label)
        self.model.counts_changed.connect(self._counts)
        self._counts(len(self.model.board.problems()), len(self.model.board.not_heard()), self.model.rowCount())

    def connect_worker(self, worker) -> None:
        """``worker.sensors_updated`` → the model (queued: the worker lives on its thread)."""
        worker.sensors_updated.connect(self.on_updates)

    def add_menu_action(self, menu) -> None:
        menu.addAction(self.dock.toggleViewAction())

    def set_permissions(self, perms) -> None:
        allowed = "sensor_health" in perms
        self.dock.toggleViewAction().setVisible(allowed)
        self.dock.setVisible(allowed)

    @Slot(object)
    def on_updates(self, updates) -> None:
        self.model.apply(updates)

    def tick(self) -> None:
        """Once a second: repaint the visible "last heard" ages."""
        if self.dock.isVisible():
            self.panel.table.viewport().update()

    @Slot(int, int, int)
    def _counts(self, problems: int, quiet: int, total: int) -> None:
        self.count_label.setText(self.model.board.summary())
        self.count_label.setStyleSheet(DEGRADED_STYLE if problems else OK_STYLE)
