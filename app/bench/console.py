"""Console benchmark (figures, not assertions):

- start-up: process-level imports excluded; from building the console to a shown window,
  and to the map page's bridge reporting ready;
- latency at 10 alerts/s: engine-emitted incident (worker thread timestamp) → row in the
  queue model, and → drawn on the map (the page acknowledges after its next frame); p50/p95;
- 50,000 incidents: memory (tracemalloc) for the records + model, time to load, to filter
  and to sort the queue.
"""
from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc

import numpy as np


def _pct(xs, q):
    return round(float(np.percentile(xs, q)), 1) if xs else None


def run(args) -> dict:
    quick = bool(getattr(args, "quick", False))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")
    from PySide6 import QtWebEngineWidgets  # noqa: F401
    from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.console_services.access import demo_access
    from app.console_services.clock import SystemClock
    from app.console_services.console_dispatch import ConsoleDispatch
    from app.console_services.live_sources import SyntheticLiveSource
    from app.console_services.site import demo_site
    from app.console_services.synthetic import history
    from app.qt.alert_queue_model import AlertQueueModel, Col
    from app.qt.alert_queue_proxy import AlertQueueProxy
    from app.ui.console_controller import ConsoleController
    from app.ui.theme import apply_theme

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)

    def spin(seconds: float, until=None) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if until is not None and until():
                return
            time.sleep(0.002)

    # ---- start-up and live latency --------------------------------------------------------
    t0 = time.perf_counter()
    site = demo_site()
    access = demo_access()
    user = access.sign_in("sup1", "sup1")
    clock = SystemClock()
    dispatch = ConsoleDispatch(site.locator, clock, site.profile, training=True)
    rate = 10.0
    ctl = ConsoleController(site=site, dispatch=dispatch, access=access, user=user, clock=clock,
                            source_factory=lambda: SyntheticLiveSource(rate_per_s=rate, first_after_s=0.5,
                                                                       radius_m=1200),
                            use_audio=False, training=True, poll_ms=20)
    ctl.window.resize(1600, 1000)
    ctl.window.show()
    t_shown = time.perf_counter() - t0
    spin(20.0, until=lambda: ctl.bridge.is_ready)
    t_ready = time.perf_counter() - t0
    ctl.start()
    duration = 10.0 if quick else 30.0
    spin(duration)
    ctl.host.shutdown()
    spin(1.0)
    model_ms = list(ctl.latency_model_ms)
    map_ms = list(ctl.latency_map_ms)
    ctl.shutdown()
    ctl.window.close()

    # ---- 50,000 incidents ------------------------------------------------------------------
    n = 10_000 if quick else 50_000
    tracemalloc.start()
    t = time.perf_counter()
    d2 = ConsoleDispatch(site.locator, clock, site.profile)
    incs = history(n, end_ns=time.time_ns())
    for inc in incs:
        d2.ingest(inc, reported_ns=inc.start_ns)
    t_ingest = time.perf_counter() - t
    model = AlertQueueModel(clock, site.profile.ack_timeout_s)
    proxy = AlertQueueProxy()
    proxy.setSourceModel(model)
    t = time.perf_counter()
    model.load(d2.records())
    t_load = time.perf_counter() - t
    mem_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    t = time.perf_counter()
    proxy.set_text("elm")
    t_filter = time.perf_counter() - t
    shown = proxy.rowCount()
    proxy.set_text("")
    t = time.perf_counter()
    model.sort(Col.ROUNDS, Qt.SortOrder.DescendingOrder)
    t_sort = time.perf_counter() - t
    t = time.perf_counter()
    for r in range(0, 60):
        for c in range(8):
            model.index(r, c).data()
    t_page = time.perf_counter() - t

    res = {
        "startup_window_shown_s": round(t_shown, 2),
        "startup_map_ready_s": round(t_ready, 2),
        "alerts_per_s": rate,
        "live_seconds": duration,
        "incidents_received": len(model_ms),
        "queue_latency_ms_p50": _pct(model_ms, 50),
        "queue_latency_ms_p95": _pct(model_ms, 95),
        "map_latency_ms_p50": _pct(map_ms, 50),
        "map_latency_ms_p95": _pct(map_ms, 95),
        "history_incidents": n,
        "history_ingest_s": round(t_ingest, 2),
        "history_model_load_s": round(t_load, 3),
        "history_python_heap_mb": round(mem_mb, 1),
        "filter_text_ms": round(t_filter * 1e3, 1),
        "filter_rows_shown": shown,
        "sort_ms": round(t_sort * 1e3, 1),
        "one_screen_of_cells_ms": round(t_page * 1e3, 2),
    }
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(res))
    QTimer.singleShot(0, app.quit)
    return res
