"""``HeaderedTableModel``: the row/column counts and header labels the alert queue and the
two sensor tables share."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt

from app.qt.headered_table_model import HeaderedTableModel

H, V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
DISPLAY = Qt.ItemDataRole.DisplayRole


class _Fruit(HeaderedTableModel):
    headers = ("Name", "Colour")

    def __init__(self, rows) -> None:
        super().__init__()
        self.rows = list(rows)

    def row_total(self) -> int:
        return len(self.rows)

    def data(self, index, role=DISPLAY):
        if role == DISPLAY and index.isValid():
            return self.rows[index.row()][index.column()]
        return None


def _labels(model) -> list:
    return [model.headerData(c, H, DISPLAY) for c in range(model.columnCount())]


def test_counts_and_labels_come_from_the_subclass(qtmodeltester):
    m = _Fruit([("apple", "red"), ("lime", "green"), ("plum", "purple")])
    qtmodeltester.check(m, force_py=True)
    assert (m.rowCount(), m.columnCount()) == (3, 2)
    assert _labels(m) == ["Name", "Colour"]
    m.beginInsertRows(QModelIndex(), 3, 3)
    m.rows.append(("pear", "yellow"))
    m.endInsertRows()
    assert m.rowCount() == 4


def test_a_flat_table_has_no_children_and_only_horizontal_display_labels():
    m = _Fruit([("apple", "red")])
    cell = m.index(0, 0)
    assert m.rowCount(cell) == 0 and m.columnCount(cell) == 0
    assert m.headerData(0, V, DISPLAY) is None
    assert m.headerData(0, H, Qt.ItemDataRole.ToolTipRole) is None
    assert m.headerData(2, H, DISPLAY) is None and m.headerData(-1, H, DISPLAY) is None


def test_a_model_that_does_not_count_its_rows_says_so():
    class Uncounted(HeaderedTableModel):
        headers = ("A",)

    with pytest.raises(NotImplementedError, match="Uncounted must say how many rows it has"):
        Uncounted().row_total()


def test_the_console_tables_keep_their_header_labels():
    from app.console_services.sensor_board import SensorBoard
    from app.qt.alert_queue_model import AlertQueueModel
    from app.qt.sensor_status_model import SensorStatusModel
    from app.store import ManualClock

    queue = AlertQueueModel(ManualClock(), 60.0)
    assert _labels(queue) == ["Time", "Age", "Location", "Type", "Rounds", "Tags", "State", "Ack timer"]
    assert queue.rowCount() == 0
    sensors = SensorStatusModel(SensorBoard(["A", "B", "C"]), ManualClock())
    assert _labels(sensors) == ["Sensor", "State", "Timing", "Last heard", "Detail"] and sensors.rowCount() == 3
    assert _labels(sensors.alerts) == ["Time", "Sensor", "Severity", "Alert"] and sensors.alerts.rowCount() == 0
