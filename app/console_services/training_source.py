"""The console's incident source in training mode (polled on the worker thread like the
live ones: ``poll() -> list[Incident]``).

Each poll advances the ``TrainingRun`` with the elapsed wall-clock time; the training
session has already recorded the engine's incidents in the exercise database (with
``exercise=True``, CAP status Exercise), so this returns those incidents as the store now
holds them, and ``TrainingDispatch.record`` hands them on without recording them twice.
"""
from __future__ import annotations

from localization.types import Incident

from app.console_services.training_run import TrainingRun


class TrainingSource:
    def __init__(self, run: TrainingRun) -> None:
        self.run = run

    def poll(self) -> list[Incident]:
        new = self.run.advance()
        ids = dict.fromkeys(s.incident_id for s in new
                            if s.kind in ("alert", "alert_update") and s.incident_id is not None)
        store = self.run.session.store
        return [store.engine_incident(i) for i in ids]


def training_source_factory(run: TrainingRun):
    """A factory the worker calls in its own thread."""
    def make() -> TrainingSource:
        return TrainingSource(run)
    return make
