"""Chooses the demo's incident source: the live pulse simulator → engine when both are
available, else the synthetic live stand-in.  Returns a factory the worker calls in its
own thread (so the engine is created and used on one thread)."""
from __future__ import annotations

import logging

from app.console_services.live_sources import SyntheticLiveSource
from app.console_services.site import ConsoleSite

log = logging.getLogger(__name__)


def demo_source_factory(site: ConsoleSite, *, rate_per_s: float = 0.15):
    def make():
        try:
            from app.console_services.engine_source import SimulatedEngineSource
        except ImportError:
            SimulatedEngineSource = None  # noqa: N806
        if SimulatedEngineSource is not None:
            try:
                return SimulatedEngineSource(site, rate_per_s=rate_per_s)
            except Exception as exc:  # noqa: BLE001 - fall back, but say so
                log.warning("live simulator/engine unavailable (%s); using synthetic incidents", exc)
        return SyntheticLiveSource(rate_per_s=rate_per_s)
    return make
