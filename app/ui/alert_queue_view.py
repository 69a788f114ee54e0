"""The alert queue dock: filter bar + table on the model/proxy."""
from __future__ import annotations

from typing import Collection

from PySide6.QtCore import QItemSelectionModel, QTimer, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QMenu, QTableView, QVBoxLayout, QWidget)

from app.qt.alert_queue_model import HEADERS, AlertQueueModel, Col
from app.qt.alert_queue_proxy import AlertQueueProxy
from app.ui.alert_queue_delegate import AlertQueueDelegate


class AlertQueueView(QWidget):
    incident_selected = Signal(str)

    def __init__(self, model: AlertQueueModel, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("alert_queue")
        self.model = model
        self.proxy = AlertQueueProxy(self)
        self.proxy.setSourceModel(model)
        self._removing = False

        self.state_filter = QComboBox()
        self.state_filter.setObjectName("state_filter")
        for label, key in (("Open", "open"), ("Unacknowledged", "unacknowledged"), ("Escalated", "escalated"),
                           ("Closed", "closed"), ("All", "all")):
            self.state_filter.addItem(label, key)
        self.state_filter.setAccessibleName("Queue state filter")
        self.search = QLineEdit()
        self.search.setObjectName("queue_search")
        self.search.setPlaceholderText("Filter by street, incident or CAD number  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setObjectName("muted")

        self.table = QTableView()
        self.table.setObjectName("queue_table")
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(AlertQueueDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        # Sorting: header clicks go straight to the source model's fast sort (the proxy only filters).
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        self.table.setWordWrap(False)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(30)
        hh = self.table.horizontalHeader()
        hh.setStretchLastSection(False)
        for col, w in ((Col.TIME, 86), (Col.AGE, 98), (Col.LOCATION, 330), (Col.TYPE, 80), (Col.ROUNDS, 66),
                       (Col.TAGS, 170), (Col.STATE, 104), (Col.ACK, 100)):
            self.table.setColumnWidth(col, w)
        hh.setSectionResizeMode(Col.LOCATION, QHeaderView.ResizeMode.Stretch)
        # Tags and the ack timer are hidden by default (the detail read-out says the tags; the
        # row colour and State say unacknowledged / escalated); the header's context menu
        # shows them again.
        for col in self.HIDDEN_BY_DEFAULT:
            self.table.setColumnHidden(col, True)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)

        top = QHBoxLayout()
        top.addWidget(self.state_filter)
        top.addWidget(self.search, 1)
        top.addWidget(self.count_label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.table)

        self.state_filter.currentIndexChanged.connect(self._state_changed)
        # Typing restarts a short timer; the queue is filtered once the typing pauses (or on
        # Return), not on every keystroke.
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self._search_edited)
        self.search.returnPressed.connect(self.apply_search)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_requested)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.proxy.set_state_filter("open")
        # Live ages: repaint the visible rows once a second (no model-wide dataChanged).
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.table.viewport().update)
        self._tick.start()
        self._update_count()

    #: columns a dispatcher must read without cutting, and the location's minimum width
    ESSENTIAL = (Col.TIME, Col.AGE, Col.TYPE, Col.ROUNDS, Col.STATE)
    HIDDEN_BY_DEFAULT = (Col.TAGS, Col.ACK)
    MIN_LOCATION_PX = 280
    #: pause in typing before the queue is filtered
    SEARCH_DEBOUNCE_MS = 150

    def sizeHint(self):  # noqa: N802 - Qt API
        """Wide enough for every shown column, the location at its minimum width."""
        hint = super().sizeHint()
        need = sum(self.table.columnWidth(c) for c in Col
                   if c != Col.LOCATION and not self.table.isColumnHidden(c)) + self.MIN_LOCATION_PX
        need += self.table.verticalScrollBar().sizeHint().width() + 24
        hint.setWidth(max(hint.width(), need))
        return hint

    def _header_menu(self, pos) -> None:
        menu = QMenu(self)
        for col in Col:
            if col == Col.LOCATION:
                continue
            act = menu.addAction(HEADERS[col])
            act.setCheckable(True)
            act.setChecked(not self.table.isColumnHidden(col))
            act.setData(int(col))
        chosen = menu.exec(self.table.horizontalHeader().mapToGlobal(pos))
        if chosen is not None:
            self.table.setColumnHidden(int(chosen.data()), not chosen.isChecked())

    def _state_changed(self, _i: int) -> None:
        self.proxy.set_state_filter(self.state_filter.currentData())
        self._update_count()

    def _search_edited(self, _text: str) -> None:
        self._search_timer.start()

    def apply_search(self) -> None:
        """Filter by the search box's text now (the debounce timer's end, or Return)."""
        self._search_timer.stop()
        self.proxy.set_text(self.search.text())
        self._update_count()

    def _sort_requested(self, column: int, order) -> None:
        current = self.current_incident_id()
        self.model.sort(column, order)
        if current:
            self.select(current)

    def _update_count(self, *_a) -> None:
        self.count_label.setText(f"{self.proxy.rowCount():,} shown / {self.model.rowCount():,}")

    def _current_changed(self, current, _previous) -> None:
        if self._removing:
            return      # Qt moving the current row off rows being removed: not the user's choice
        if current.isValid():
            iid = self.proxy.incident_id_at(current.row())
            if iid:
                self.incident_selected.emit(iid)

    def current_incident_id(self) -> str | None:
        idx = self.table.currentIndex()
        return self.proxy.incident_id_at(idx.row()) if idx.isValid() else None

    def select(self, incident_id: str) -> bool:
        """Select a row without re-emitting when it is already current."""
        if self.current_incident_id() == incident_id:
            return True
        src = self.model.index_of(incident_id)
        idx = self.proxy.mapFromSource(src) if src.isValid() else src
        if not idx.isValid() and src.isValid():
            # Filtered out: show all so the selection is visible.
            self.state_filter.setCurrentIndex(self.state_filter.findData("all"))
            idx = self.proxy.mapFromSource(src)
        if not idx.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(idx)
        return True

    def remove(self, incident_ids: Collection[str]) -> str | None:
        """Take these alerts out of the queue (their incident was purged); the other alerts stay
        as they were.  When the current alert is among them, returns the alert shown in its place
        — the next one down the queue as filtered and sorted, else the nearest one above, else
        None — for the caller to select; the queue itself announces no selection meanwhile."""
        gone = set(incident_ids)
        current = self.table.currentIndex()
        successor = None
        if current.isValid() and self.proxy.incident_id_at(current.row()) in gone:
            rows = self.proxy.rowCount()
            below = (self.proxy.incident_id_at(r) for r in range(current.row() + 1, rows))
            above = (self.proxy.incident_id_at(r) for r in range(current.row() - 1, -1, -1))
            successor = next((i for i in below if i not in gone), None) or next(
                (i for i in above if i not in gone), None)
        self._removing = True
        try:
            self.model.remove(gone)
        finally:
            self._removing = False
        self._update_count()        # the proxy drops its rows before the model has: count again
        return successor

    def move(self, step: int) -> None:
        """Next (+1) / previous (-1) alert in the current order."""
        n = self.proxy.rowCount()
        if not n:
            return
        cur = self.table.currentIndex().row()
        row = 0 if cur < 0 else max(0, min(n - 1, cur + step))
        idx = self.proxy.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(idx)

    def next_unacknowledged(self) -> None:
        """Oldest unacknowledged alert first (the one waiting longest)."""
        best = None
        for row in range(self.proxy.rowCount()):
            rec = self.model.record_at(self.proxy.mapToSource(self.proxy.index(row, 0)).row())
            if rec.state == "new" and (best is None or rec.reported_ns < best.reported_ns):
                best = rec
        if best is not None:
            self.select(best.incident_id)
