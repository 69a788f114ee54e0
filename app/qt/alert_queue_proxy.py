"""Filtering for the alert queue: by state, kind and free text.  Sorting is done by
the source model (see ``AlertQueueModel.sort``); the proxy keeps source order."""
from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel

from app.qt.alert_queue_model import AlertQueueModel

STATE_FILTERS = {
    "all": None,
    "open": frozenset({"new", "acknowledged", "dispatched", "on_scene"}),
    "unacknowledged": frozenset({"new"}),
    "closed": frozenset({"closed"}),
}


class AlertQueueProxy(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._states = None
        self._kinds: frozenset[str] | None = None
        self._text = ""
        self._escalated_only = False
        self.setDynamicSortFilter(True)  # re-filter changed rows; sortColumn stays -1

    def setSourceModel(self, model) -> None:  # noqa: N802 - Qt API
        assert isinstance(model, AlertQueueModel)
        super().setSourceModel(model)

    def set_state_filter(self, name: str) -> None:
        if name == "escalated":
            self._states, self._escalated_only = STATE_FILTERS["unacknowledged"], True
        else:
            self._states, self._escalated_only = STATE_FILTERS[name], False
        self._refilter()

    def set_kinds(self, kinds: frozenset[str] | None) -> None:
        self._kinds = kinds
        self._refilter()

    def set_text(self, text: str) -> None:
        self._text = text.strip().lower()
        self._refilter()

    def _refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:  # noqa: N802 - Qt API
        if self._states is None and self._kinds is None and not self._text:
            return True
        rec = self.sourceModel().record_at(source_row)
        if self._states is not None and rec.state not in self._states:
            return False
        if self._escalated_only and not rec.escalated:
            return False
        if self._kinds is not None and rec.incident.kind not in self._kinds:
            return False
        if self._text:
            hay = f"{rec.location_words} {rec.near_words or ''} {rec.incident_id} {rec.cad_number or ''}".lower()
            if self._text not in hay:
                return False
        return True

    def incident_id_at(self, proxy_row: int) -> str | None:
        idx = self.index(proxy_row, 0)
        if not idx.isValid():
            return None
        return self.sourceModel().record_at(self.mapToSource(idx).row()).incident_id
