"""Incident source factories for the console worker.  ``demo_source_factory`` chooses the
demo's source: the live pulse simulator → engine when both are available, else the
synthetic live stand-in; ``socket_source_factory`` is the live console's sensor socket.  Returns a factory the worker calls in its
own thread (so the engine is created and used on one thread, and the store's writes of
pulses and sensor statuses go through that thread's own SQLite connection)."""
from __future__ import annotations

import logging

from app.console_services.live_sources import SyntheticLiveSource
from app.console_services.site import ConsoleSite
from app.store import Store

log = logging.getLogger(__name__)


def demo_source_factory(site: ConsoleSite, *, rate_per_s: float = 0.15, store: Store | None = None):
    def make():
        try:
            from app.console_services.engine_source import SimulatedEngineSource
        except ImportError:
            SimulatedEngineSource = None  # noqa: N806
        if SimulatedEngineSource is not None:
            try:
                return SimulatedEngineSource(site, rate_per_s=rate_per_s, store=store)
            except Exception as exc:  # noqa: BLE001 - fall back, but say so
                log.warning("live simulator/engine unavailable (%s); using synthetic incidents", exc)
        return SyntheticLiveSource(rate_per_s=rate_per_s)
    return make


def socket_source_factory(site: ConsoleSite, cfg, *, store: Store | None = None):
    """The live console's source: the configured sensor socket → engine (``cfg``: an
    ``app.config.DeploymentConfig``).  Made on the worker thread; if the socket cannot
    start (port taken, bad key file) the worker reports it in the status bar."""
    def make():
        from app.console_services.socket_source import SocketEngineSource

        return SocketEngineSource(site, cfg, store=store)
    return make
