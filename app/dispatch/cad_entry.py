"""A CAD entry as the dispatcher fills it in, and the checks it must pass before
``Workflow.dispatch`` records it.  The console's CAD form shows these messages next to
the fields; the console service refuses a draft that has any."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from app.dispatch.agency import AgencyProfile

UNIT_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,9}$")


@dataclass(frozen=True, slots=True)
class CadDraft:
    type_code: str
    priority: int
    location: str
    lat_deg: float
    lon_deg: float
    narrative: str
    reported_ns: int
    units: tuple[str, ...] = ()
    self_dispatched: tuple[str, ...] = ()
    ems_requested: bool = False
    extra: dict = field(default_factory=dict)

    def with_(self, **changes) -> "CadDraft":
        return replace(self, **changes)


def validate_cad(d: CadDraft, agency: AgencyProfile) -> dict[str, str]:
    """Field name → message; empty when the draft can be sent."""
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[A-Z0-9]{2,10}", d.type_code or ""):
        errors["type_code"] = "Type code must be 2–10 capital letters or digits (e.g. SHOTS)."
    if not 1 <= int(d.priority) <= 9:
        errors["priority"] = "Priority must be between 1 (highest) and 9."
    if len((d.location or "").strip()) < 5:
        errors["location"] = "Give the location in words (at least 5 characters)."
    if not (-90 <= d.lat_deg <= 90 and -180 <= d.lon_deg <= 180):
        errors["lat_lon"] = "Latitude/longitude are out of range."
    if len((d.narrative or "").strip()) < 10:
        errors["narrative"] = "Narrative is too short (at least 10 characters)."
    if len(d.narrative or "") > 2000:
        errors["narrative"] = "Narrative is too long for CAD (2000 characters at most)."
    if not d.units and not d.self_dispatched:
        errors["units"] = "Assign at least one unit (or record a self-dispatched unit)."
    every = (*d.units, *d.self_dispatched)
    bad = [u for u in every if not UNIT_RE.match(u)]
    if bad:
        errors["units"] = f"Unit ids look wrong: {', '.join(bad)} (capitals, digits and '-', 2–10 long)."
    elif len(set(every)) != len(every):
        errors["units"] = "A unit is listed twice."
    elif agency.units and any(u not in agency.units for u in every):
        off = [u for u in every if u not in agency.units]
        errors["units"] = f"Not on {agency.name}'s roster: {', '.join(off)}."
    return errors
