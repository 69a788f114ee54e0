"""Test-wide settings: Qt renders offscreen, QtWebEngine runs without a GPU or sandbox,
and the shared real data is located (tests that need it skip with a clear reason)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TOCSIN_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; skips the test, saying why, when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set TOCSIN_SHARED_DATA); real-data test skipped")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pittsburgh_dir(shared_data: Path) -> Path:
    d = shared_data / "pittsburgh-live-fire" / "data" / "PittsburghPA_DQV_2018-12-18"
    if not d.is_dir():
        pytest.skip(f"Pittsburgh live-fire data not found at {d}; real-data test skipped")
    return d


def pytest_sessionfinish(session, exitstatus):
    session.config._tocsin_exitstatus = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """QtWebEngine can crash while the interpreter tears down Qt objects at exit (the
    profile outliving a page), *after* every result is final.  Leave with pytest's own
    status instead of the teardown's signal, so CI sees the real outcome."""
    import sys

    status = getattr(config, "_tocsin_exitstatus", None)
    if status is not None and "PySide6.QtWebEngineCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


@pytest.fixture(autouse=True)
def _close_leftover_windows():
    """After each test, close and delete every top-level window it left behind and run
    the deferred deletions, so that a later test's event processing never paints a
    widget whose Python side (e.g. a pyqtgraph item) is already gone."""
    yield
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for w in QApplication.topLevelWidgets():
        w.close()
        w.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
