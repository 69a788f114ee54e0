"""Console benchmark (figures, not assertions):

- start-up: process-level imports excluded; from building the console to a shown window,
  and to the map page's bridge reporting ready;
- latency at 10 alerts/s: engine-emitted incident (worker thread timestamp) → row in the
  queue model, and → drawn on the map (the page acknowledges after its next frame); p50/p95;
- 50,000 incidents: written to a training database (Intake with the address lookup, batched
  commits), read back as the console's views, time to load, to filter (first and again) and to
  sort the queue, to read the selected alert's full incident, a full garbage-collector pass;
  then, apart from every timed step, the memory (tracemalloc) of the views + model.

tracemalloc is kept away from the timed steps: it slows every allocation several-fold (when
the views were read one incident at a time, 50,000 took ~12 s alone and 40-55 s under it), and
stopping it frees its millions of trace entries, which glibc consolidates on the next large
allocation — ~0.4 s of CPU that the first filter after the memory reading used to pay (it was
not the filter's own work: the same filter took ~45 ms just after).
"""
from __future__ import annotations

import gc
import json
import os
import shutil
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

    from app.console_services.console_dispatch import ConsoleDispatch
    from app.console_services.demo_seed import DEMO_PASSWORD, create_demo_users, training_db_path
    from app.console_services.live_sources import SyntheticLiveSource
    from app.console_services.site import demo_site
    from app.console_services.synthetic import history
    from app.qt.alert_queue_model import AlertQueueModel, Col, Role
    from app.qt.alert_queue_proxy import AlertQueueProxy
    from app.store import Store
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
    # As ``tocsin console`` builds it: a new training database, the demo accounts, a signed-in
    # supervisor; the worker records each incident through Intake on its own connection.
    t0 = time.perf_counter()
    site = demo_site()
    store = Store.open(training_db_path())
    dispatch = ConsoleDispatch(store, site.agency, frame=site.frame, address_locator=site.locator, exercise=True)
    create_demo_users(dispatch.users, ("sup1",))
    session = dispatch.users.login("sup1", DEMO_PASSWORD)
    rate = 10.0
    ctl = ConsoleController(site=site, dispatch=dispatch, session=session, clock=store.clock,
                            source_factory=lambda: SyntheticLiveSource(rate_per_s=rate, first_after_s=0.5,
                                                                       radius_m=1200),
                            use_audio=False, training=True, poll_ms=20)
    ctl.window.resize(1600, 1000)
    ctl.window.show()
    ctl.window.default_sizes()
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
    spin(0.2)
    store.close_all()

    # ---- 50,000 incidents ------------------------------------------------------------------
    # History goes into a second training database through the same Intake (address in words
    # from the demo city's locator), but committed 5,000 incidents per transaction (Store
    # transactions nest, so Intake.record joins the outer one) instead of one commit each.
    # The store's own bulk import (import_incidents) is not used: it writes closed records
    # without located shots, which the console cannot show as alerts.  The views are then
    # read back the way the console reads history at start-up (ConsoleDispatch.load_recent).
    n = 10_000 if quick else 50_000
    incs = history(n, end_ns=time.time_ns())
    hist_store = Store.open(training_db_path())
    d2 = ConsoleDispatch(hist_store, site.agency, frame=site.frame, address_locator=site.locator, exercise=True)
    t = time.perf_counter()
    addresses = [d2.intake.address_for(inc) for inc in incs]
    t_address = time.perf_counter() - t
    t = time.perf_counter()
    batch = 5000
    for i in range(0, n, batch):
        with hist_store.transaction():
            for inc, addr in zip(incs[i:i + batch], addresses[i:i + batch]):
                hist_store.record_incident(inc, site.frame, address=addr, exercise=True)
    t_write = time.perf_counter() - t
    del incs, addresses
    t = time.perf_counter()
    views = d2.load_recent(n)
    t_read = time.perf_counter() - t
    model = AlertQueueModel(store.clock, site.agency.ack_timeout_s)
    proxy = AlertQueueProxy()
    proxy.setSourceModel(model)
    t = time.perf_counter()
    model.load(views)
    t_load = time.perf_counter() - t
    # Timed to the proxy's row count: a proxy may rebuild its mapping lazily, on first use.
    t = time.perf_counter()
    proxy.set_text("elm")
    shown = proxy.rowCount()
    t_filter = time.perf_counter() - t
    t = time.perf_counter()
    proxy.set_text("")
    proxy.rowCount()
    t_unfilter = time.perf_counter() - t
    t = time.perf_counter()
    proxy.set_text("elm")
    proxy.rowCount()
    t_filter_again = time.perf_counter() - t
    proxy.set_text("")
    t = time.perf_counter()
    model.sort(Col.ROUNDS, Qt.SortOrder.DescendingOrder)
    t_sort = time.perf_counter() - t
    t = time.perf_counter()
    for r in range(0, 60):
        for c in range(8):
            model.index(r, c).data()
    t_page = time.perf_counter() - t
    # The selected alert's shots, ellipses and shooters: read from the store on first use.
    t = time.perf_counter()
    selected = model.index(0, 0).data(Role.RECORD).incident
    t_select = time.perf_counter() - t
    t = time.perf_counter()
    gc.collect()
    t_gc = time.perf_counter() - t
    # Memory of the views + model, read again (fresh views and caches) under tracemalloc.
    tracemalloc.start()
    d3 = ConsoleDispatch(hist_store, site.agency, frame=site.frame, address_locator=site.locator, exercise=True)
    model3 = AlertQueueModel(store.clock, site.agency.ack_timeout_s)
    model3.load(d3.load_recent(n))
    mem_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    del d3, model3
    db_mb = sum(f.stat().st_size for f in hist_store.path.parent.glob(hist_store.path.name + "*")) / 1e6
    hist_store.close_all()
    for s in (store, hist_store):
        shutil.rmtree(s.path.parent, ignore_errors=True)

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
        "history_rows_in_model": model.rowCount(),
        "history_address_lookup_s": round(t_address, 2),
        "history_store_write_s": round(t_write, 2),
        "history_db_mb": round(db_mb, 1),
        "history_read_views_s": round(t_read, 2),
        "history_model_load_s": round(t_load, 3),
        "history_python_heap_mb": round(mem_mb, 1),
        "filter_text_ms": round(t_filter * 1e3, 1),
        "filter_rows_shown": shown,
        "filter_text_cleared_ms": round(t_unfilter * 1e3, 1),
        "filter_text_again_ms": round(t_filter_again * 1e3, 1),
        "sort_ms": round(t_sort * 1e3, 1),
        "one_screen_of_cells_ms": round(t_page * 1e3, 2),
        "selected_alert_incident_ms": round(t_select * 1e3, 2),
        "selected_alert_rounds": selected.rounds,
        "gc_full_pass_ms": round(t_gc * 1e3, 1),
    }
    width = max(len(k) for k in res)
    for k, v in res.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(res))
    QTimer.singleShot(0, app.quit)
    return res
