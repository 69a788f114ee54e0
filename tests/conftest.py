"""Test-wide settings: Qt renders offscreen, QtWebEngine runs without a GPU or sandbox,
and the shared real data is located (tests that need it skip with a clear reason).

Every test also fails (napari/pyqtgraph style) when Qt logs a warning, critical or fatal
message that is not known environment noise (``QT_ENVIRONMENT_NOISE``), or when it leaves a
thread running: a ``QThread`` it started, a ``QThreadPool`` task, or a Python thread."""
from __future__ import annotations

import os
import re
import sys
import threading
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


@pytest.fixture
def store(tmp_path):
    """An empty store in a temporary directory on a manual clock (test files that need a
    prepared store define their own ``store``)."""
    from app.store import ManualClock, Store

    s = Store.open(tmp_path / "t.sqlite3", clock=ManualClock())
    yield s
    s.close_all()


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


# ---- Qt messages and leaked threads fail the test ---------------------------------------------
#: Qt messages the offscreen, GPU-less, bus-less, sound-less test machine produces whatever the
#: code does: (regex searched in the message, why it is allowed).  Keep it short and explicit;
#: a message caused by our code is fixed where it comes from, never added here.
QT_ENVIRONMENT_NOISE: tuple[tuple[str, str], ...] = (
    (r"^QRhiGles2: Failed to create (temporary )?context",
     "no OpenGL on the offscreen platform: QtWebEngine's compositor falls back to software"),
    (r"^Failed to create RHI for backend: OpenGL", "same: no OpenGL context offscreen"),
    (r"^This plugin does not support propagateSizeHints\(\)",
     "the offscreen platform plugin has no window manager to pass size hints to"),
    (r"^GPUInfo not initialized", "Chromium in QtWebEngine started with --disable-gpu"),
    (r"Failed to connect to the bus", "Chromium's D-Bus client: containers have no system bus"),
    (r"^Sandboxing disabled by user", "QTWEBENGINE_DISABLE_SANDBOX, set above when running as root"),
)
_NOISE = [re.compile(rx) for rx, _why in QT_ENVIRONMENT_NOISE]
_started_qthreads: list = []


@pytest.hookimpl(trylast=True)      # after pytest-qt's own pytest_configure registered it
def pytest_configure(config):
    """Our own handler decides about Qt messages; pytest-qt's capture handler (installed per
    test, not chaining to the previous one) would hide them from it."""
    if config.pluginmanager.has_plugin("_qt_logging"):
        config.pluginmanager.unregister(name="_qt_logging")


def _track_qthread_starts(QThread) -> None:  # noqa: N803 - the Qt class
    """Remember every QThread started from Python (QThread.start patched once)."""
    if getattr(QThread.start, "_tocsin_tracked", False):
        return
    original = QThread.start

    def start(self, *args, **kwargs):
        _started_qthreads.append(self)
        return original(self, *args, **kwargs)

    start._tocsin_tracked = True
    QThread.start = start


def _running_qthreads() -> list:
    import shiboken6

    running = []
    for th in _started_qthreads:
        try:
            if shiboken6.isValid(th) and th.isRunning() and not th.wait(2000):
                running.append(th)
        except RuntimeError:          # the C++ thread object is already gone
            continue
    return running


@pytest.fixture(autouse=True)
def _no_qt_warnings_or_leaked_threads(request):
    """Fail the test on Qt warnings/criticals/fatals (not environment noise) and on threads it
    leaves running.  Qt-free test runs (no PySide6 installed) only get the thread check."""
    try:
        from PySide6.QtCore import QThread, QThreadPool, QtMsgType, qInstallMessageHandler
    except ImportError:
        QThread = None  # noqa: N806
    threads_before = set(threading.enumerate())
    messages: list[str] = []
    if QThread is not None:
        _track_qthread_starts(QThread)
        _started_qthreads.clear()
        failing = {QtMsgType.QtWarningMsg: "warning", QtMsgType.QtCriticalMsg: "critical",
                   QtMsgType.QtFatalMsg: "fatal"}

        def handler(msg_type, context, message):
            if msg_type in failing:
                sys.stderr.write(f"Qt {failing[msg_type]}: {message}\n")
                if not any(rx.search(message) for rx in _NOISE):
                    where = f" ({context.category}; {context.file}:{context.line})" if context.file else \
                        f" ({context.category})"
                    messages.append(f"Qt {failing[msg_type]}: {message}{where}")

        previous = qInstallMessageHandler(handler)
    yield
    problems = []
    if QThread is not None:
        # After the window clean-up (that fixture depends on this one, so it tears down first).
        qInstallMessageHandler(previous)
        problems += messages
        for th in _running_qthreads():
            name = th.objectName() or type(th).__name__
            problems.append(f"QThread {name!r} started by the test is still running")
            th.quit()                 # so that it does not run into later tests
            th.wait(5000)
        _started_qthreads.clear()
        if not QThreadPool.globalInstance().waitForDone(2000):
            problems.append(f"{QThreadPool.globalInstance().activeThreadCount()} QThreadPool task(s) still running")
    for th in set(threading.enumerate()) - threads_before:
        if isinstance(th, threading._DummyThread):
            continue                  # a foreign (e.g. Qt) thread that ran Python code: checked above
        th.join(timeout=2.0)
        if th.is_alive():
            problems.append(f"Python thread {th.name!r} started by the test is still running")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _close_leftover_windows(_no_qt_warnings_or_leaked_threads):
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
