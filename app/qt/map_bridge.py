"""The map bridge (Anki-style): one QObject on a QWebChannel.

Python → JS goes through signals carrying JSON strings (never JS built by string
formatting); JS → Python through slots.  Commands are queued until the page says it is
ready.  JS console messages are forwarded to logging by ``MapPage``.
"""
from __future__ import annotations

import json
import logging
import time

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class MapBridge(QObject):
    # to JS
    incidents_pushed = Signal(str)     # JSON list of incident features
    incidents_removed = Signal(str)    # JSON list of incident ids to take off the map
    selection_changed = Signal(str)    # JSON {"id": ...} or {"id": null}
    layers_changed = Signal(str)       # JSON {"sensors": bool, ...}
    view_requested = Signal(str)       # JSON {"fit": "incident"|"city"}
    # to Python
    ready = Signal()
    incident_clicked = Signal(str)
    user_activity = Signal()           # mouse/keyboard on the map (for the idle lock)
    rendered = Signal(list, object)     # incident ids, perf_counter_ns when JS reported them drawn

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.is_ready = False
        self._pending: list[tuple[Signal, str]] = []
        self.rendered_count = 0

    # ---- Python side API -------------------------------------------------------------------
    def push_incidents(self, features: list[dict]) -> None:
        self._send(self.incidents_pushed, json.dumps(features, separators=(",", ":")))

    def remove_incidents(self, incident_ids: list[str]) -> None:
        """Take these alerts off the map (their incident was purged); a removed selection
        becomes no selection."""
        self._send(self.incidents_removed, json.dumps(list(incident_ids)))

    def select(self, incident_id: str | None) -> None:
        self._send(self.selection_changed, json.dumps({"id": incident_id}))

    def set_layers(self, **flags: bool) -> None:
        self._send(self.layers_changed, json.dumps(flags))

    def request_view(self, fit: str) -> None:
        self._send(self.view_requested, json.dumps({"fit": fit}))

    def _send(self, signal, payload: str) -> None:
        if self.is_ready:
            signal.emit(payload)
        else:
            self._pending.append((signal, payload))

    # ---- called from JS --------------------------------------------------------------------
    @Slot()
    def js_ready(self) -> None:
        self.is_ready = True
        pending, self._pending = self._pending, []
        for signal, payload in pending:
            signal.emit(payload)
        self.ready.emit()

    @Slot(str)
    def js_marker_clicked(self, incident_id: str) -> None:
        self.incident_clicked.emit(incident_id)

    @Slot(str)
    def js_rendered(self, ids_json: str) -> None:
        ids = json.loads(ids_json)
        self.rendered_count += len(ids)
        self.rendered.emit(ids, time.perf_counter_ns())

    @Slot()
    def js_activity(self) -> None:
        self.user_activity.emit()

    @Slot(str, str)
    def js_log(self, level: str, message: str) -> None:
        getattr(log, level if level in ("debug", "info", "warning", "error") else "info")("map: %s", message)
