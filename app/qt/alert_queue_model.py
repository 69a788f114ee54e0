"""The alert queue as a Qt table model (Picard-style: model + proxy + roles + delegate).

Rows are ``AlertRecord`` views kept by ``ConsoleDispatch`` (refreshed from the store).  Cells, sort keys and
filters read only a view's ``summary`` (kind, tags, rounds, revision …), never its full incident, so history
loaded in bulk stays undecoded until an alert is selected.  Display order is kept by
the model itself: new alerts arrive at the top (row 0) and a header click sorts with one
Python ``sorted`` over plain keys, so 50,000 rows sort in milliseconds instead of paying
for a Python ``lessThan`` per comparison.  Ages are computed when painted; the view
repaints once a second instead of the model emitting 50,000 ``dataChanged`` rows.
Each row's lowercase search text (``search_text``) is kept beside its record and refreshed
by ``add_or_update`` / ``record_changed`` / ``load``, so the filter proxy matches a text in
one pass over plain strings.  ``remove`` takes out alerts whose incident was purged.
"""
from __future__ import annotations

from enum import IntEnum
from typing import Callable, Iterable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.console_services.alert_record import STATE_WORDS, STATES, AlertRecord, search_text
from app.console_services.readout import clock_time, format_age, kind_short, tag_words
from app.qt.headered_table_model import HeaderedTableModel


class Col(IntEnum):
    TIME = 0
    AGE = 1
    LOCATION = 2
    TYPE = 3
    ROUNDS = 4
    TAGS = 5
    STATE = 6
    ACK = 7


HEADERS = ("Time", "Age", "Location", "Type", "Rounds", "Tags", "State", "Ack timer")


class Role(IntEnum):
    INCIDENT_ID = Qt.ItemDataRole.UserRole + 1
    RECORD = Qt.ItemDataRole.UserRole + 2
    SORT_KEY = Qt.ItemDataRole.UserRole + 3
    STATE = Qt.ItemDataRole.UserRole + 4
    KIND = Qt.ItemDataRole.UserRole + 5
    ESCALATED = Qt.ItemDataRole.UserRole + 6
    ACK_FRACTION = Qt.ItemDataRole.UserRole + 7


KIND_COLOURS = {"single_gunshot": "#ffb347", "multiple_gunshots": "#ff5c5c", "possible_gunfire": "#c9b6ff"}
STATE_COLOURS = {"new": "#ffcc00", "acknowledged": "#4fc3f7", "dispatched": "#66e08a", "on_scene": "#66e08a",
                 "closed": "#8a93a0"}
ESCALATED_COLOUR = "#ff2d55"

_SORT_KEYS: dict[int, Callable[[AlertRecord], object]] = {
    Col.TIME: lambda r: r.reported_ns,
    Col.AGE: lambda r: -r.reported_ns,
    Col.LOCATION: lambda r: r.location_words.lower(),
    Col.TYPE: lambda r: r.summary.kind,
    Col.ROUNDS: lambda r: r.summary.rounds,
    Col.TAGS: lambda r: r.summary.tags,
    Col.STATE: lambda r: STATES.index(r.state),
    Col.ACK: lambda r: (r.acknowledged_ns or 0) - r.reported_ns,
}


class AlertQueueModel(HeaderedTableModel):
    headers = HEADERS

    def __init__(self, clock, ack_timeout_s: float = 60.0, parent=None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.ack_timeout_s = ack_timeout_s
        # _items is stored bottom-up: display row r is _items[n - 1 - r], so a new alert at
        # the top is a cheap append.
        self._items: list[AlertRecord] = []
        self._keys: list[str] = []          # search_text(_items[i]), same storage order
        self._pos: dict[str, int] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    # ---- structure -------------------------------------------------------------------------
    def row_total(self) -> int:
        return len(self._items)

    def record_at(self, row: int) -> AlertRecord:
        return self._items[len(self._items) - 1 - row]

    def storage_index(self, row: int) -> int:
        """Where display row ``row`` is kept (``stored()`` order); stable while rows are
        added at the top, renumbered by ``load`` and ``sort`` (a reset / layout change)."""
        return len(self._items) - 1 - row

    def stored(self) -> tuple[list[AlertRecord], list[str]]:
        """Records and their lowercase search texts in storage order (display row r is
        index n - 1 - r).  Read-only views of the model's own lists."""
        return self._items, self._keys

    def row_of(self, incident_id: str) -> int:
        """Display row of an incident, or -1."""
        i = self._pos.get(incident_id)
        return -1 if i is None else len(self._items) - 1 - i

    def index_of(self, incident_id: str, column: int = 0) -> QModelIndex:
        row = self.row_of(incident_id)
        return self.index(row, column) if row >= 0 else QModelIndex()

    # ---- changes ---------------------------------------------------------------------------
    def add_or_update(self, rec: AlertRecord) -> bool:
        """Show a new record at the top, or refresh an existing one; True when new."""
        if rec.incident_id in self._pos:
            self.record_changed(rec.incident_id)
            return False
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._pos[rec.incident_id] = len(self._items)
        self._items.append(rec)
        self._keys.append(search_text(rec))
        self.endInsertRows()
        return True

    def load(self, records: list[AlertRecord]) -> None:
        """Replace everything (history load): one reset, oldest at the bottom."""
        self.beginResetModel()
        self._items = sorted(records, key=lambda r: r.reported_ns)
        self._keys = [search_text(r) for r in self._items]
        self._pos = {r.incident_id: i for i, r in enumerate(self._items)}
        self.endResetModel()

    def remove(self, incident_ids: Iterable[str]) -> int:
        """Take these alerts out (their incident was purged from the store); ids not in the
        queue are ignored.  Each run of adjacent rows goes in one row removal, so the other
        rows keep their place, selection and scroll position.  Returns how many went."""
        stored = sorted({self._pos[i] for i in incident_ids if i in self._pos}, reverse=True)
        runs: list[list[int]] = []                      # [lowest, highest] storage index, highest runs first
        for i in stored:
            if runs and runs[-1][0] == i + 1:
                runs[-1][0] = i
            else:
                runs.append([i, i])
        for lo, hi in runs:        # from the top of storage down: the runs still to go keep their indices
            n = len(self._items)
            self.beginRemoveRows(QModelIndex(), n - 1 - hi, n - 1 - lo)
            for rec in self._items[lo:hi + 1]:
                del self._pos[rec.incident_id]
            del self._items[lo:hi + 1]
            del self._keys[lo:hi + 1]
            self.endRemoveRows()
        if runs:                   # positions above the lowest run moved down: index them once
            for j in range(runs[-1][0], len(self._items)):
                self._pos[self._items[j].incident_id] = j
        return len(stored)

    def record_changed(self, incident_id: str) -> None:
        i = self._pos.get(incident_id)
        if i is not None:
            self._keys[i] = search_text(self._items[i])
            row = len(self._items) - 1 - i
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:  # noqa: D401 - Qt API
        key = _SORT_KEYS.get(column)
        if key is None:
            return
        self.layoutAboutToBeChanged.emit()
        old = {id(r): i for i, r in enumerate(self._items)}
        n = len(self._items)
        persistent = self.persistentIndexList()
        # Stored bottom-up, so ascending display order means descending storage order.
        self._items.sort(key=key, reverse=(order == Qt.SortOrder.AscendingOrder))
        keys = self._keys
        self._keys = [keys[old[id(r)]] for r in self._items]
        self._pos = {r.incident_id: i for i, r in enumerate(self._items)}
        new_rows = {}
        for i, r in enumerate(self._items):
            new_rows[n - 1 - old[id(r)]] = n - 1 - i
        self.changePersistentIndexList(
            persistent, [self.index(new_rows[p.row()], p.column()) if p.isValid() else QModelIndex() for p in persistent])
        self.layoutChanged.emit()

    # ---- data ------------------------------------------------------------------------------
    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._items)):
            return None
        rec = self._items[len(self._items) - 1 - index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(rec, col)
        if role == Role.INCIDENT_ID:
            return rec.incident_id
        if role == Role.RECORD:
            return rec
        if role == Role.STATE:
            return rec.state
        if role == Role.KIND:
            return rec.summary.kind
        if role == Role.ESCALATED:
            return rec.escalated
        if role == Role.SORT_KEY:
            key = _SORT_KEYS.get(col)
            return key(rec) if key and col != Col.TAGS else str(rec.summary.tags)
        if role == Role.ACK_FRACTION:
            return min(1.0, rec.ack_wait_s(self._clock.now_ns()) / max(self.ack_timeout_s, 1e-9))
        if role == Qt.ItemDataRole.ToolTipRole:
            near = f"\nnear {rec.near_words}" if rec.near_words else ""
            notes = "".join(f"\n{n}" for n in rec.summary.notes)  # the engine's: audio, height
            return f"{rec.incident_id} rev {rec.summary.revision}\n{rec.location_words}{near}{notes}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == Col.TYPE:
                return QColor(KIND_COLOURS.get(rec.summary.kind, "#ffffff"))
            if col == Col.STATE:
                return QColor(ESCALATED_COLOUR if rec.escalated else STATE_COLOURS.get(rec.state, "#ffffff"))
            if rec.state == "closed":
                return QColor("#8a93a0")
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            if rec.escalated:
                return QColor("#5a0b1c")
            if rec.state == "new":
                return QColor("#3a3000")
            return None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if rec.state == "new" else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (Col.ROUNDS,):
                return int(Qt.AlignmentFlag.AlignCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(rec, col)
        return None

    def _display(self, rec: AlertRecord, col: int):
        if col == Col.TIME:
            return clock_time(rec.reported_ns)
        if col == Col.AGE:
            return format_age((self._clock.now_ns() - rec.reported_ns) / 1e9)
        if col == Col.LOCATION:
            return rec.location_words
        if col == Col.TYPE:
            return kind_short(rec.summary)
        if col == Col.ROUNDS:
            return rec.summary.rounds
        if col == Col.TAGS:
            return tag_words(rec.summary)
        if col == Col.STATE:
            word = STATE_WORDS.get(rec.state, rec.state)
            return "ESCALATED" if rec.escalated else word
        if col == Col.ACK:
            wait = rec.ack_wait_s(self._clock.now_ns())
            return format_age(wait) if rec.acknowledged_ns is None else f"ack {format_age(wait)}"
        return None


def persistent(index) -> QPersistentModelIndex:
    return QPersistentModelIndex(index)
