"""Sensor health as Qt table models over a ``SensorBoard`` (``app.console_services``).

``SensorStatusModel``: one row per sensor (Sensor, State, Timing, Last heard, Detail),
with a sort role that puts the worst first; ``SensorAlertModel``: operational alerts,
newest first (Time, Sensor, Severity, Alert).  ``apply(updates)`` is called on the GUI
thread with what the worker sent; the view repaints the ages (no per-second signals).
"""
from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from app.console_services.readout import clock_time, format_age
from app.console_services.sensor_board import SEVERITY_ORDER, AlertRow, SensorBoard, SensorRow
from app.qt.headered_table_model import HeaderedTableModel

STATE_COLOURS = {"ok": "#66e08a", "degraded": "#ffcc00", "gps_lost": "#ffb347", "clock_untrusted": "#ff8c42",
                 "offline": "#ff5c5c", "unknown": "#8a93a0"}
SEVERITY_COLOURS = {"critical": "#ff5c5c", "warning": "#ffcc00", "info": "#8a93a0"}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class SensorCol(IntEnum):
    SENSOR = 0
    STATE = 1
    TIMING = 2
    LAST_HEARD = 3
    DETAIL = 4


SENSOR_HEADERS = ("Sensor", "State", "Timing", "Last heard", "Detail")


class AlertCol(IntEnum):
    TIME = 0
    SENSOR = 1
    SEVERITY = 2
    ALERT = 3


ALERT_HEADERS = ("Time", "Sensor", "Severity", "Alert")


class SensorStatusModel(HeaderedTableModel):
    headers = SENSOR_HEADERS

    #: (sensors with a problem, sensors not heard yet, all sensors) after every change
    counts_changed = Signal(int, int, int)

    def __init__(self, board: SensorBoard, clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self.clock = clock
        self._ids = board.sensor_ids()
        self._pos = {s: i for i, s in enumerate(self._ids)}
        self.alerts = SensorAlertModel(board, self)
        self._counts = (len(board.problems()), len(board.not_heard()), len(self._ids))

    # ---- updates -------------------------------------------------------------------------------
    def apply(self, updates) -> None:
        changed, new_alerts = self.board.apply(updates)
        ids = self.board.sensor_ids()
        if len(ids) != len(self._ids):
            self.beginInsertRows(QModelIndex(), len(self._ids), len(ids) - 1)
            self._ids = ids
            self._pos = {s: i for i, s in enumerate(ids)}
            self.endInsertRows()
        if changed:   # one signal for the span (state changes are rare; ages repaint on the view's tick)
            rows = [self._pos[s] for s in changed]
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(SENSOR_HEADERS) - 1))
        if new_alerts:
            self.alerts.prepend(len(new_alerts))
        counts = (len(self.board.problems()), len(self.board.not_heard()), len(self._ids))
        if counts != self._counts:
            self._counts = counts
            self.counts_changed.emit(*counts)

    # ---- Qt model API --------------------------------------------------------------------------
    def row_total(self) -> int:
        return len(self._ids)

    def row_at(self, r: int) -> SensorRow:
        return self.board.row(self._ids[r])

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self.row_at(index.row())
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == SensorCol.STATE:
            return QColor(STATE_COLOURS.get(row.state, "#ffffff"))
        if role == Qt.ItemDataRole.ForegroundRole and col == SensorCol.TIMING and not row.timing_trusted:
            return QColor(STATE_COLOURS["offline"])
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.sensor}: {row.state_words}" + (f" — {row.detail}" if row.detail else "")
        if role == SORT_ROLE:
            if col == SensorCol.LAST_HEARD:
                return row.last_heard_ns or 0
            if col in (SensorCol.STATE, SensorCol.TIMING):   # worst first, then the site's order (plain ints:
                return SEVERITY_ORDER.get(row.state, 9) * 100_000 + index.row()   # no Python objects in QVariants)
            return self._text(row, col)
        return None

    def _text(self, row: SensorRow, col: int) -> str:
        if col == SensorCol.SENSOR:
            return row.sensor
        if col == SensorCol.STATE:
            return row.state_words
        if col == SensorCol.TIMING:
            return "trusted" if row.timing_trusted else "NOT used"
        if col == SensorCol.LAST_HEARD:
            if row.last_heard_ns is None:
                return "never"
            return f"{format_age((self.clock.now_ns() - row.last_heard_ns) / 1e9)} ago"
        if col == SensorCol.DETAIL:
            return "" if row.state == "ok" else row.detail
        return ""


class SensorAlertModel(HeaderedTableModel):
    """Operational alerts, newest first (the board keeps them)."""

    headers = ALERT_HEADERS

    def __init__(self, board: SensorBoard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board = board
        self._rows: list[AlertRow] = board.alerts()

    def prepend(self, n: int) -> None:
        rows = self.board.alerts()
        dropped = len(self._rows) + n - len(rows)
        if dropped > 0:
            self.beginRemoveRows(QModelIndex(), len(self._rows) - dropped, len(self._rows) - 1)
            self._rows = self._rows[:len(self._rows) - dropped]
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, n - 1)
        self._rows = rows
        self.endInsertRows()

    def row_total(self) -> int:
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        a = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == AlertCol.TIME:
                return clock_time(a.t_ns)
            if col == AlertCol.SENSOR:
                return a.sensor
            if col == AlertCol.SEVERITY:
                return a.severity if a.active else "cleared"
            if col == AlertCol.ALERT:
                return a.message
        if role == Qt.ItemDataRole.ForegroundRole and col == AlertCol.SEVERITY:
            return QColor(SEVERITY_COLOURS.get(a.severity if a.active else "info", "#ffffff"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return a.message
        return None
