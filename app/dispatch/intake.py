"""Intake: the one call the engine pipeline makes for each incident it emits.

    intake = Intake(store, frame, locator)            # locator optional
    result = intake.record(incident)                  # address in words filled in

It records the incident (a new one or a later revision of the same engine id) with the
location in words from the agency's GIS, in the engine's local frame.
"""
from __future__ import annotations

from app.geo.address import AddressLocator
from app.store import RecordResult, Store
from localization.geometry import LocalFrame
from localization.types import Incident


class Intake:
    def __init__(self, store: Store, frame: LocalFrame | None, locator: AddressLocator | None = None, *,
                 exercise: bool = False, actor: str = "engine") -> None:
        self.store = store
        self.frame = frame
        self.locator = locator
        self.exercise = exercise
        self.actor = actor

    def address_for(self, incident: Incident) -> str | None:
        if self.locator is None:
            return None
        return self.locator.describe(incident.x_m, incident.y_m).text

    def record(self, incident: Incident) -> RecordResult:
        return self.store.record_incident(incident, self.frame, address=self.address_for(incident),
                                          actor=self.actor, exercise=self.exercise)
