"""CAD entry drafts pre-filled from an incident and the agency profile, and rendered as a
"copy for CAD" block.  The draft and its checks are ``app.dispatch.cad_entry``'s."""
from __future__ import annotations

from app.console_services.alert_record import AlertRecord
from app.dispatch.agency import AgencyProfile
from app.dispatch.cad_entry import CadDraft
from app.console_services.readout import KIND_WORDS, clock_time, movement_words


def copy_text(d: CadDraft, cad_number: str | None = None) -> str:
    """The "copy for CAD" block of a draft."""
    lines = [
        f"CAD {cad_number}" if cad_number else "CAD (new)",
        f"TYPE: {d.type_code}   PRI: {d.priority}",
        f"LOC: {d.location}",
        f"LAT/LON: {d.lat_deg:.6f}, {d.lon_deg:.6f}",
        f"RPT: {clock_time(d.reported_ns)}",
        f"UNITS: {', '.join(d.units) or '-'}"
        + (f"  (SELF-DISP: {', '.join(d.self_dispatched)})" if d.self_dispatched else ""),
        f"EMS: {'YES' if d.ems_requested else 'NO'}",
        f"NARR: {d.narrative}",
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


def prefill(rec: AlertRecord, agency: AgencyProfile) -> CadDraft:
    loc = rec.location_words
    if rec.near_words:
        loc = f"{loc} ({rec.near_words})"
    return CadDraft(type_code=agency.type_code, priority=agency.priority, location=loc,
                    lat_deg=rec.lat_deg, lon_deg=rec.lon_deg, narrative=narrative_for(rec),
                    reported_ns=rec.reported_ns, units=rec.units)
