"""``tocsin train SCENARIO`` without ``--headless``: the dispatcher console in training
mode running the scenario (``app.ui.training_mode``), on a new exercise database.  The
after-action report is written when the scenario ends or the window closes; its path is
printed here and shown in the status bar."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from app.cli import CliError


def run_training_console(sc, *, db: Path, out_dir: Path, speed: float, user_id: str | None,
                         screenshot: str | None, after_s: float, size: str) -> int:
    from app.cli.console_cmd import _prepare_env, display_available, qt_application, run_window, sign_in

    if screenshot is None:
        ok, why = display_available()
        if not ok:
            raise CliError(f"cannot open the console: {why}; run the scenario with --headless, or take a "
                           "--screenshot")
    t_start = time.perf_counter()
    _prepare_env(offscreen=screenshot is not None)
    from PySide6 import QtWebEngineWidgets  # noqa: F401 - must be imported before the QApplication exists
    from PySide6.QtCore import QSettings

    from app.console_services.demo_seed import DEMO_PASSWORD, HINT, create_demo_users
    from app.dispatch import Users
    from app.feeds.scenario import DEFAULT_START_NS
    from app.store import ManualClock, Store
    from app.ui.training_mode import build_training_console

    app = qt_application()
    store = Store.open(db, clock=ManualClock(DEFAULT_START_NS))
    users = Users(store)
    create_demo_users(users)
    print(f"TRAINING — {sc.title} ({sc.id}); exercise database {db}; speed x{speed:g}", file=sys.stderr)
    if screenshot is not None and user_id is None:
        user_id = "disp1"
    login = sign_in(users, user_id, lambda: DEMO_PASSWORD, hint=HINT, training=True)
    if login is None:
        store.close_all()
        return 1
    settings = None if screenshot else QSettings("Tocsin", "console-training")
    mode = build_training_console(sc, store, login, speed=speed, out_dir=out_dir, settings=settings)
    ctl = mode.ctl
    mode.report_written.connect(_say_report)
    rc = run_window(app, ctl, settings=settings, size=size, t_start=t_start, screenshot=screenshot,
                    after_s=after_s, label="train")
    ctl.shutdown()
    if mode.run.report_stale:
        mode.finish()
    store.close_all()
    return int(rc)


def _say_report(paths: list) -> None:
    print(f"train: after-action report written: {', '.join(str(p) for p in paths)}", flush=True)
