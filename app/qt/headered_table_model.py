"""The part every flat table model of the console shares: no child rows, one column per
header label, and the labels as horizontal header text.  A subclass names its labels
(``headers``) and says how many rows it has (``row_total``); cells stay its own."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt


class HeaderedTableModel(QAbstractTableModel):
    #: one label per column, in column order
    headers: tuple[str, ...] = ()

    def row_total(self) -> int:
        """How many rows the table has now."""
        raise NotImplementedError(f"{type(self).__name__} must say how many rows it has")

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self.row_total()

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.headers):
            return self.headers[section]
        return None
