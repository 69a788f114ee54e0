"""``tocsin console`` — the dispatcher console (PySide6).

``open_demo_console`` is the entry the ``demo`` command calls: it opens the console on
the demo city with the live simulator and a training banner, or returns ``None`` when
there is no display so the caller can run the headless demo instead.
"""
from __future__ import annotations

import argparse
import heapq
import os
import sys
import time
from pathlib import Path
from typing import Callable

from app.cli import CliError

#: how many of the newest alerts the map shows at start-up
MAP_HISTORY = 150


def register(sub) -> None:
    p = sub.add_parser("console", help="open the dispatcher console (live map, alert queue, audio, CAD entry)",
                       description="Open the dispatcher console. With --demo (the default for now) it runs on the "
                                   "Port Tocsin demo city with the live simulator and a TRAINING banner.")
    p.add_argument("--screenshot", metavar="PATH", help="render the window offscreen after --after seconds, save "
                                                        "it as PATH (PNG) and exit")
    p.add_argument("--after", type=float, default=8.0, metavar="S", help="seconds of demo before the screenshot")
    p.add_argument("--user", default=None, help="sign in as this training user: disp1, sup1, "
                                                "analyst1, trainer1, admin")
    p.add_argument("--rate", type=float, default=0.15, help="simulated incidents per second (default 0.15)")
    p.add_argument("--history", type=int, default=40, help="earlier incidents to show in the queue")
    p.add_argument("--size", default="1600x1000", help="window size WxH for screenshots")
    p.add_argument("--live", action="store_true", help="a real deployment: the configured agency, database, GIS "
                                                       "layers and sensor socket (see `tocsin config`)")
    p.add_argument("--config", metavar="PATH", help="with --live: the configuration file (default: "
                                                    "$TOCSIN_CONFIG or the user config dir)")
    p.set_defaults(func=run)


def display_available() -> tuple[bool, str]:
    """(True, "") when a GUI can open, else (False, why)."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform.startswith(("offscreen", "minimal", "vnc")):
        return True, ""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False, "no display (DISPLAY/WAYLAND_DISPLAY unset)"
    try:
        import PySide6.QtWebEngineWidgets  # noqa: F401
    except ImportError as exc:
        return False, f"Qt WebEngine is not usable here ({exc})"
    return True, ""


def _prepare_env(offscreen: bool) -> None:
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if offscreen and "--disable-gpu" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --disable-gpu").strip()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    # Hardware video decoding probes (VA-API) are irrelevant to an audio-only console.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg=false")


def open_demo_console(*, screenshot: str | None = None, after_s: float = 8.0, user_id: str | None = "trainer1",
                      rate_per_s: float = 0.15, history: int = 40, size: str = "1600x1000") -> int | None:
    """Open the training console on the demo city.  Returns None (nothing opened) when there
    is no display and no screenshot was asked for; otherwise the exit status."""
    if screenshot is None:
        ok, why = display_available()
        if not ok:
            print(f"tocsin: cannot open the console: {why}. Running the headless demo instead.", file=sys.stderr)
            return None
    return _run_console(training=True, screenshot=screenshot, after_s=after_s, user_id=user_id,
                        rate_per_s=rate_per_s, history=history, size=size)


def run(args: argparse.Namespace) -> int:
    if args.live:
        from app.cli.live_console import run_live_console

        return run_live_console(args.config, screenshot=args.screenshot, after_s=args.after, user_id=args.user,
                                size=args.size)
    if args.config:
        raise CliError("--config goes with --live (the demo console needs no configuration)")
    if args.screenshot is None:
        ok, why = display_available()
        if not ok:
            raise CliError(f"cannot open the console: {why}; try `tocsin demo` for the headless demo, or "
                           "`tocsin console --screenshot out.png`")
    return _run_console(training=True, screenshot=args.screenshot, after_s=args.after, user_id=args.user,
                        rate_per_s=args.rate, history=args.history, size=args.size)


def qt_application():
    """The console's QApplication (created once): shared GL contexts for QtWebEngine,
    names for QSettings, and the dark theme."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from app.ui.theme import apply_theme

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tocsin")
    app.setOrganizationName("Tocsin")
    apply_theme(app)
    return app


def sign_in(users, user_id: str | None, password: Callable[[], str] | None = None, *, hint: str = "",
            training: bool = False):
    """The session a console opens with: ``user_id`` signed in with ``password()`` (a refused
    sign-in is a CliError), or with no ``user_id`` whoever signs in in the sign-in dialog
    (``hint`` under its fields) — None when the dialog is cancelled."""
    from app.store import StoreError

    if user_id is None:
        from PySide6.QtWidgets import QDialog

        from app.ui.login_dialog import LoginDialog

        dlg = LoginDialog(users, hint=hint)
        if dlg.exec() != QDialog.DialogCode.Accepted or dlg.session is None:
            return None
        return dlg.session
    try:
        return users.login(user_id, password())
    except StoreError as exc:
        raise CliError(f"cannot sign in as {'training user ' if training else ''}{user_id!r}: {exc}") from None


def load_history(ctl, dispatch, limit: int) -> None:
    """Start-up history: the newest ``limit`` stored alerts into the queue (one bulk read) and
    the newest ``MAP_HISTORY`` alerts the console holds onto the map."""
    ctl.model.load(dispatch.load_recent(limit))
    newest = heapq.nlargest(MAP_HISTORY, dispatch.records(), key=lambda r: r.reported_ns)
    ctl.push_records_to_map(newest[::-1])


def run_window(app, ctl, *, settings, size: str, t_start: float, screenshot: str | None, after_s: float,
               label: str = "console", select_newest: bool = True) -> int:
    """Show the console window (saved layout, or the default sizes), start its worker and
    run the event loop.  With ``screenshot``: after ``after_s`` seconds select the newest
    incident (unless ``select_newest`` is False), save the window as PNG and quit."""
    from PySide6.QtCore import QTimer

    w, h = (int(v) for v in size.lower().split("x"))
    ctl.window.resize(w, h)
    ctl.window.show()
    if settings is None or not ctl.window.restore_layout(settings):
        ctl.window.default_sizes()
    ctl.start()
    print(f"{label}: window shown {time.perf_counter() - t_start:.2f} s after start", file=sys.stderr)
    if screenshot is not None:
        def finish() -> None:
            out = Path(screenshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            ctl.window.grab().save(str(out))
            print(f"{label}: screenshot saved to {out}", file=sys.stderr)
            ctl.window.close()
            app.quit()

        def shoot() -> None:
            newest = max(ctl.dispatch.records(), key=lambda r: r.reported_ns, default=None)
            if newest is not None:
                ctl.select_incident(newest.incident_id)
            ctl.window.detail_dock.raise_()
            QTimer.singleShot(1500, finish)

        if select_newest:
            QTimer.singleShot(int(max(0.0, after_s - 1.5) * 1000), shoot)
        else:
            QTimer.singleShot(int(max(0.5, after_s) * 1000), finish)
    return int(app.exec())


def _run_console(*, training: bool, screenshot: str | None, after_s: float, user_id: str | None,
                 rate_per_s: float, history: int, size: str) -> int:
    t_start = time.perf_counter()
    _prepare_env(offscreen=screenshot is not None)
    from PySide6 import QtWebEngineWidgets  # noqa: F401 - must be imported before the QApplication exists
    from PySide6.QtCore import QSettings

    from app.console_services.console_dispatch import ConsoleDispatch
    from app.console_services.demo_seed import DEMO_PASSWORD, HINT, create_demo_users, seed_history, training_db_path
    from app.store import Store
    from app.console_services.site import demo_site
    from app.ui.console_controller import ConsoleController
    from app.ui.live_source import demo_source_factory

    app = qt_application()
    # Training runs on its own new database file, never the real records.
    db_path = training_db_path()
    store = Store.open(db_path)
    site = demo_site()
    dispatch = ConsoleDispatch(store, site.agency, frame=site.frame, address_locator=site.locator, exercise=training)
    create_demo_users(dispatch.users)
    print(f"console: training database {db_path}", file=sys.stderr)
    if screenshot is not None and user_id is None:
        user_id = "sup1"
    session = sign_in(dispatch.users, user_id, lambda: DEMO_PASSWORD, hint=HINT, training=True)
    if session is None:
        store.close_all()
        return 1
    seed_history(dispatch, history)
    clock = store.clock
    settings = None if screenshot else QSettings("Tocsin", "console")
    ctl = ConsoleController(site=site, dispatch=dispatch, session=session, clock=clock,
                            source_factory=demo_source_factory(site, rate_per_s=rate_per_s, store=store), settings=settings,
                            training=training)
    load_history(ctl, dispatch, history + 200)
    rc = run_window(app, ctl, settings=settings, size=size, t_start=t_start, screenshot=screenshot,
                    after_s=after_s)
    ctl.shutdown()
    store.close_all()
    return int(rc)
