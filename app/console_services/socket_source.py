"""The live console's incident source: the authenticated sensor socket → the engine.

``SocketEngineSource`` is ``FeedEngineSource`` over ``app.feeds.server.SocketFeed``,
built from the deployment configuration (``app.config``): the configured sensor keys,
TLS pair, listen address and intake journal; the engine on the GIS sensors layer at the
site's temperature.  Like the demo source it is created and polled on the console's
worker thread, so the socket's own thread hands events to it through the queue and the
store's writes use the worker's SQLite connection.  Real sensors start ``offline`` in
the store until they are heard.
"""
from __future__ import annotations

import logging

from localization.engine import EngineConfig

from app.config import DeploymentConfig
from app.console_services.engine_source import FeedEngineSource
from app.console_services.site import ConsoleSite
from app.store import Store

log = logging.getLogger(__name__)


class SocketEngineSource(FeedEngineSource):
    def __init__(self, site: ConsoleSite, cfg: DeploymentConfig, *, store: Store | None = None) -> None:
        from app.feeds.journal import SqliteJournal
        from app.feeds.keys import load_keys
        from app.feeds.server import ServerConfig, SocketFeed

        keys = load_keys(cfg.keys_file)
        ctx = None
        if cfg.tls_enabled:
            from app.feeds.tls import server_context

            ctx = server_context(cfg.tls_cert, cfg.tls_key)
        known = {s.id for s in site.sensors}
        unplaced = sorted(set(keys) - known)
        if unplaced:
            log.warning("%d keyed sensors have no position in the GIS layer; their pulses are stored, not located: %s",
                        len(unplaced), ", ".join(unplaced[:10]))
        feed = SocketFeed(keys, SqliteJournal(cfg.journal), sensors=site.sensors,
                          config=ServerConfig(host=cfg.listen_host, port=cfg.listen_port, ssl_context=ctx))
        super().__init__(site, feed, store=store, engine_config=EngineConfig(temperature_c=cfg.temperature_c),
                         initial_status="offline")
        addr = feed.address
        self.status_text = (f"sensor socket {addr[0]}:{addr[1]} ({'TLS' if ctx else 'plain TCP'}), "
                            f"{len(keys)} keys") if addr else "sensor socket"
        log.info("live feed: %s", self.status_text)
