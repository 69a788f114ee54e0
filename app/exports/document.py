"""One plain, format-neutral view of an incident for every export.

``public=True`` strips everything that could reveal sensor sites (sensor ids and
positions, per-shot sensor lists): sensor locations are never released to the public.
"""
from __future__ import annotations

import json

from app.store import Store
from app.store.clock import ns_to_iso
from app.store.records import IncidentDetail

APCO_TYPE = "SHOOT"  # APCO common incident type for shots fired


def incident_document(store: Store, detail: IncidentDetail, *, public: bool) -> dict:
    inc = detail.incident
    shots = []
    sensor_pos = {} if public else {s.id: s for s in store.sensors()}
    rev_row = store.conn.execute(
        "SELECT id FROM incident_revisions WHERE incident_id = ? AND revision = ?", (inc.id, inc.current_revision)).fetchone()
    if rev_row is not None:
        for s in store.conn.execute("SELECT * FROM shots WHERE revision_id = ? ORDER BY idx", (rev_row[0],)):
            shot = {"t": ns_to_iso(s["t_ns"]), "t_ns": s["t_ns"], "lat": s["lat"], "lon": s["lon"],
                    "err95_m": s["err95_m"], "semi_major_m": s["semi_major_m"], "semi_minor_m": s["semi_minor_m"],
                    "orientation_deg": s["orientation_deg"], "shooter": s["shooter"]}
            if not public:
                ids = json.loads(s["sensors"])
                shot["sensors"] = [{"id": i, "lat": getattr(sensor_pos.get(i), "lat", None),
                                    "lon": getattr(sensor_pos.get(i), "lon", None)} for i in ids]
            shots.append(shot)
    first = shots[0] if shots else {}
    return {
        "id": inc.id, "uid": inc.uid, "source": inc.source, "exercise": inc.exercise, "kind": inc.kind,
        "tags": list(inc.tags), "start": ns_to_iso(inc.start_ns), "start_ns": inc.start_ns,
        "end_ns": inc.end_ns, "rounds": inc.rounds, "shooters": inc.shooters, "lat": inc.lat, "lon": inc.lon,
        "err95_m": inc.err95_m, "address": inc.address, "status": inc.status, "disposition": inc.disposition,
        "gunfire_p": inc.gunfire_p, "review_label": inc.review_label,
        "revision": inc.current_revision, "revision_count": len(detail.revisions),
        "updated": ns_to_iso(inc.updated_ns), "created": ns_to_iso(inc.created_ns),
        "previous_revision_created": ns_to_iso(detail.revisions[-2].created_ns) if len(detail.revisions) > 1 else None,
        "semi_major_m": first.get("semi_major_m"), "semi_minor_m": first.get("semi_minor_m"),
        "orientation_deg": first.get("orientation_deg"),
        "cad_numbers": [c["cad_number"] for c in detail.cad_entries],
        "units": [u["unit"] for u in detail.units],
        "shots": shots, "public": public,
    }
