"""CAD entry drafts: pre-filled from an incident and the agency profile, validated with
messages a dispatcher can act on, and rendered as a "copy for CAD" block."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from app.console_services.agency import ConsoleProfile
from app.console_services.alert_record import AlertRecord
from app.console_services.readout import KIND_WORDS, clock_time, movement_words

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

    def copy_text(self, cad_number: str | None = None) -> str:
        lines = [
            f"CAD {cad_number}" if cad_number else "CAD (new)",
            f"TYPE: {self.type_code}   PRI: {self.priority}",
            f"LOC: {self.location}",
            f"LAT/LON: {self.lat_deg:.6f}, {self.lon_deg:.6f}",
            f"RPT: {clock_time(self.reported_ns)}",
            f"UNITS: {', '.join(self.units) or '-'}"
            + (f"  (SELF-DISP: {', '.join(self.self_dispatched)})" if self.self_dispatched else ""),
            f"EMS: {'YES' if self.ems_requested else 'NO'}",
            f"NARR: {self.narrative}",
        ]
        return "\n".join(lines)


def narrative_for(rec: AlertRecord) -> str:
    inc = rec.incident
    bits = [f"Acoustic alert: {KIND_WORDS.get(inc.kind, inc.kind).lower()}, {inc.rounds} "
            + ("round" if inc.rounds == 1 else "rounds")]
    bits.append("single shooter" if inc.shooters <= 1 else f"{inc.shooters} shooters")
    move = movement_words(inc)
    if move:
        bits.append(f"shooter {move}")
    if "full_auto" in inc.tags:
        bits.append("possible full-auto fire")
    bits.append(f"location ±{inc.err95_m:.0f} m (95%)")
    if rec.training:
        bits.insert(0, "TRAINING")
    return "; ".join(bits) + "."


def prefill(rec: AlertRecord, profile: ConsoleProfile) -> CadDraft:
    loc = rec.location_words
    if rec.near_words:
        loc = f"{loc} ({rec.near_words})"
    return CadDraft(type_code=profile.cad_type_code, priority=profile.cad_priority, location=loc,
                    lat_deg=rec.lat_deg, lon_deg=rec.lon_deg, narrative=narrative_for(rec),
                    reported_ns=rec.reported_ns, units=rec.units)


def validate_cad(d: CadDraft, profile: ConsoleProfile) -> dict[str, str]:
    """Field name → message; empty when the draft can be sent."""
    errors: dict[str, str] = {}
    if not re.fullmatch(r"[A-Z0-9]{2,10}", d.type_code or ""):
        errors["type_code"] = "Type code must be 2–10 capital letters or digits (e.g. SHOTS)."
    if not 1 <= int(d.priority) <= 5:
        errors["priority"] = "Priority must be between 1 (highest) and 5."
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
    bad = [u for u in (*d.units, *d.self_dispatched) if not UNIT_RE.match(u)]
    if bad:
        errors["units"] = f"Unit ids look wrong: {', '.join(bad)} (capitals, digits and '-', 2–10 long)."
    return errors
