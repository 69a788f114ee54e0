"""``tocsin console --live``: the dispatcher console on a real deployment.

Everything comes from the deployment configuration (``app.config``): the agency profile,
the GIS layers (base map, sensor positions, addresses in words), the incident database
(real records — no TRAINING banner, nothing is an exercise) and the authenticated sensor
socket with the configured keys, TLS and listen address, feeding the engine and the store
on the console's worker thread.  Sign-in is with the database's own users
(``tocsin db init --admin ID`` creates the first).  The console refuses to open while
``tocsin config check`` reports an error.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from functools import partial

from app.cli import CliError
from app.cli.console_cmd import (_prepare_env, display_available, load_history, qt_application, run_window,
                                  sign_in)


@dataclass
class LiveConsole:
    ctl: object          # ConsoleController
    store: object        # Store

    def close(self) -> None:
        self.ctl.shutdown()
        self.store.close_all()


def load_checked_config(config_path: str | None):
    """(the configuration, its GIS directory as the check loaded it), refusing a
    configuration that ``tocsin config check`` would fail."""
    from app.config import ConfigError, check_and_load_gis, load_config

    try:
        cfg = load_config(config_path, missing_ok=False)
        cfg.require_live()
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    findings, gis = check_and_load_gis(cfg)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        raise CliError("the configuration is not ready for a live console: "
                       + "; ".join(f"{f.key}: {f.message}" for f in errors)
                       + f" (run `tocsin config check --config {cfg.path}`)")
    return cfg, gis


def open_live_console(cfg, session_for, *, gis, with_map: bool = True, settings=None,
                      use_audio: bool | None = None, history: int = 500) -> LiveConsole:
    """Build (not show) the live console.  ``session_for(users)`` signs a user in and
    returns the session (a dialog or a non-interactive password); None cancels.  ``gis``:
    the GIS directory ``load_checked_config`` loaded, so its layers are not parsed again."""
    from app.console_services.console_dispatch import ConsoleDispatch
    from app.console_services.site import agency_site
    from app.dispatch.agency import load_agency
    from app.store import Store, StoreError
    from app.ui.console_controller import ConsoleController
    from app.ui.live_source import socket_source_factory

    try:
        agency = load_agency(cfg.agency_profile)
        site = agency_site(gis, agency)
        store = Store.open(cfg.database, create=False)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    dispatch = ConsoleDispatch(store, agency, frame=site.frame, address_locator=site.locator, exercise=False)
    session = session_for(dispatch.users)
    if session is None:
        store.close_all()
        return None
    ctl = ConsoleController(site=site, dispatch=dispatch, session=session, clock=store.clock, with_map=with_map,
                            use_audio=use_audio, source_factory=socket_source_factory(site, cfg, store=store),
                            settings=settings, training=False)
    load_history(ctl, dispatch, history)
    return LiveConsole(ctl, store)


def password_session(user_id: str):
    """Sign in ``user_id`` with ``$TOCSIN_PASSWORD`` (for screenshots and service accounts)."""
    def password() -> str:
        pw = os.environ.get("TOCSIN_PASSWORD")
        if pw is None:
            raise CliError(f"--user {user_id} needs the password in $TOCSIN_PASSWORD (or sign in in the dialog)")
        return pw

    return partial(sign_in, user_id=user_id, password=password)


def dialog_session(users):
    """Whoever signs in in the sign-in dialog; None when it is cancelled."""
    return sign_in(users, None)


def run_live_console(config_path: str | None, *, screenshot: str | None, after_s: float, user_id: str | None,
                     size: str) -> int:
    cfg, gis = load_checked_config(config_path)
    if screenshot is None:
        ok, why = display_available()
        if not ok:
            raise CliError(f"cannot open the console: {why}")
    t_start = time.perf_counter()
    _prepare_env(offscreen=screenshot is not None)
    from PySide6 import QtWebEngineWidgets  # noqa: F401 - must be imported before the QApplication exists
    from PySide6.QtCore import QSettings

    app = qt_application()
    settings = None if screenshot else QSettings("Tocsin", "console")
    live = open_live_console(cfg, password_session(user_id) if user_id else dialog_session, gis=gis,
                             settings=settings)
    if live is None:
        return 1
    ctl = live.ctl
    print(f"console: LIVE on {cfg.database} — {ctl.site.agency.name}, {len(ctl.site.sensors)} sensors, "
          f"sensor socket {cfg.listen} ({'TLS' if cfg.tls_enabled else 'plain TCP'}); config {cfg.path}",
          file=sys.stderr)
    rc = run_window(app, ctl, settings=settings, size=size, t_start=t_start, screenshot=screenshot,
                    after_s=after_s, select_newest=False)
    live.close()
    return int(rc)
