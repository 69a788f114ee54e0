"""The console's main window: layout only (docks, toolbar, banner, status bar, overlays)
and the QSettings layout memory.  Wiring lives in ``console_controller``."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QToolBar, QVBoxLayout, QWidget

from app.ui.help_overlay import HelpOverlay

LAYOUT_VERSION = 4   # 4: queue on the left at full height, audio under the map


class ConsoleWindow(QMainWindow):
    def __init__(self, *, queue, detail, waveform, supervisor, map_widget, training: bool, title: str) -> None:
        super().__init__()
        self.setObjectName("console_window")
        self.setWindowTitle(title)
        self.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AnimatedDocks)
        self.banner = QLabel("TRAINING — simulated incidents only. Do not dispatch real units.")
        self.banner.setObjectName("banner")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)   # a narrow map wraps the banner instead of widening the window
        self.banner.setVisible(training)
        self.map_widget = map_widget
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(map_widget, 1)
        self.setCentralWidget(central)

        self.toolbar = QToolBar("Console")
        self.toolbar.setObjectName("toolbar")
        self.toolbar.setMovable(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.user_label = QLabel()
        self.clock_label = QLabel()
        self.clock_label.setStyleSheet("font-size: 18px; font-weight: bold; padding: 0 10px;")
        self.escalation_label = QLabel("")
        self.escalation_label.setObjectName("escalation")
        self.escalation_label.setVisible(False)

        # Fresh layout: the alert queue down the left edge at full height (wide enough for its
        # columns), the map in the middle over the audio strip, the incident detail down the
        # right edge at full height.  The side areas own all four corners.
        self.queue_dock = self._dock("Alert queue  (F2)", "dock_queue", queue, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.detail_dock = self._dock("Incident  (F4)", "dock_detail", detail, Qt.DockWidgetArea.RightDockWidgetArea)
        self.supervisor_dock = self._dock("Supervisor  (F6)", "dock_supervisor", supervisor,
                                          Qt.DockWidgetArea.RightDockWidgetArea)
        self.waveform_dock = self._dock("Audio  (F5)", "dock_waveform", waveform,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.detail_dock, self.supervisor_dock)
        self.detail_dock.raise_()
        for corner in (Qt.Corner.TopLeftCorner, Qt.Corner.BottomLeftCorner):
            self.setCorner(corner, Qt.DockWidgetArea.LeftDockWidgetArea)
        for corner in (Qt.Corner.TopRightCorner, Qt.Corner.BottomRightCorner):
            self.setCorner(corner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.help = HelpOverlay(self)
        self.lock_overlay = None
        self.status = self.statusBar()
        self.feed_status = QLabel("feed: starting")
        self.audio_status = QLabel("")
        self.status.addPermanentWidget(self.audio_status)
        self.status.addPermanentWidget(self.feed_status)

    def default_sizes(self) -> None:
        """Proportions for a fresh layout.  Applied now and once more after the first layout
        pass (right after ``show`` the dock areas do not have their final sizes yet)."""
        self._apply_default_sizes()
        QTimer.singleShot(0, self._apply_default_sizes)

    def _apply_default_sizes(self) -> None:
        w, h = self.width(), self.height()
        # The detail column gets what its buttons need (at least 26 %), the map and audio at
        # least what the audio controls need (at least 30 %), and the queue what its shown
        # columns need to be read without cutting, within 34–45 % and what is left.
        side_w = max(self.detail_dock.minimumSizeHint().width(), int(w * 0.26))
        centre_w = max(self.waveform_dock.minimumSizeHint().width(), int(w * 0.30))
        queue_w = min(max(self.queue_dock.widget().sizeHint().width(), int(w * 0.34)), int(w * 0.45),
                      w - side_w - centre_w - 16)
        self.resizeDocks([self.queue_dock, self.detail_dock], [queue_w, side_w], Qt.Orientation.Horizontal)
        self.resizeDocks([self.waveform_dock], [int(h * 0.36)], Qt.Orientation.Vertical)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    # ---- layout memory -----------------------------------------------------------------------
    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("layout/version", LAYOUT_VERSION)
        settings.setValue("layout/geometry", self.saveGeometry())
        settings.setValue("layout/state", self.saveState(LAYOUT_VERSION))

    def restore_layout(self, settings: QSettings) -> bool:
        if int(settings.value("layout/version", 0) or 0) != LAYOUT_VERSION:
            self.default_sizes()
            return False   # older layouts: start from the default arrangement
        geo = settings.value("layout/geometry")
        state = settings.value("layout/state")
        ok = True
        if isinstance(geo, QByteArray):
            ok &= self.restoreGeometry(geo)
        if isinstance(state, QByteArray):
            ok &= self.restoreState(state, LAYOUT_VERSION)
        return ok

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        for overlay in (self.help, self.lock_overlay):
            if overlay is not None and overlay.isVisible():
                overlay.setGeometry(self.rect())

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        handler = getattr(self, "on_close", None)
        if handler is not None:
            handler()
        super().closeEvent(event)
