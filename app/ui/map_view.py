"""The live map widget: a QWebEngineView showing the folium base page, talking to Python
only through ``MapBridge`` on a QWebChannel (no page reloads after the first load)."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView

from app.qt.map_bridge import MapBridge
from app.ui.map_page import write_map_page

log = logging.getLogger(__name__)

_LEVELS = {
    QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel: logging.INFO,
    QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel: logging.WARNING,
    QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel: logging.ERROR,
}


class MapPage(QWebEnginePage):
    """Forwards the JS console to logging and blocks navigation away from the base page."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.base_url: QUrl | None = None
        self.js_errors: list[str] = []

    def javaScriptConsoleMessage(self, level, message, line, source):  # noqa: N802 - Qt API
        lvl = _LEVELS.get(level, logging.INFO)
        if lvl >= logging.ERROR:
            self.js_errors.append(f"{message} ({source}:{line})")
        log.log(lvl, "map js: %s (%s:%d)", message, source, line)

    def acceptNavigationRequest(self, url, nav_type, is_main_frame):  # noqa: N802 - Qt API
        if is_main_frame and self.base_url is not None and url != self.base_url:
            log.info("map: blocked navigation to %s", url.toString())
            return False
        return True


class MapView(QWebEngineView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("map_view")
        self.map_page = MapPage(self)
        self.setPage(self.map_page)
        s = self.map_page.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
        self.map_page.setBackgroundColor("#0b0f14")
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self)
        self.channel.registerObject("bridge", self.bridge)
        self.map_page.setWebChannel(self.channel)
        self._tmpdir = tempfile.TemporaryDirectory(prefix="tocsin-map-")

    def load_base(self, **page_kwargs) -> Path:
        """Build the folium page once and load it."""
        path = write_map_page(Path(self._tmpdir.name) / "map.html", **page_kwargs)
        url = QUrl.fromLocalFile(str(path))
        self.map_page.base_url = url
        self.load(url)
        return path

    def run_js(self, code: str, callback) -> None:
        """Test/diagnostic hook: evaluate JS and hand the result to ``callback``."""
        self.map_page.runJavaScript(code, 0, callback)
