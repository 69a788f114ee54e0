"""Citizen calls about gunfire that already raised an alert (Sacramento 510.05 B.4).

A later call is linked to the original incident as a duplicate — no second incident —
and supplements it only with pertinent information: a confirmed victim, a subject
description, a vehicle description, a discarded weapon.  A confirmed victim triggers
an EMS request.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from app.dispatch.agency import AgencyProfile
from app.dispatch.roles import roles_for
from app.dispatch.users import Users
from app.store import Store
from app.store.clock import NS_PER_S
from app.store.errors import ValidationError

CALL_ROLES = roles_for("citizen_call")
_MAX_TEXT = 500
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class CallResult:
    call_id: int
    incident_id: int
    ems_request_id: int | None


def _text(name: str, v: str | None) -> str | None:
    if v is None:
        return None
    v = v.strip()
    if len(v) > _MAX_TEXT:
        raise ValidationError(f"{name} is longer than {_MAX_TEXT} characters")
    return v or None


def approx_distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance; exact enough at city scale (< 0.1 % within 10 km)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return EARTH_RADIUS_M * math.hypot(math.radians(lat2 - lat1), math.radians(lon2 - lon1) * k)


class CitizenCalls:
    def __init__(self, store: Store, agency: AgencyProfile) -> None:
        self.store = store
        self.agency = agency
        self.users = Users(store)

    def find_original(self, lat: float, lon: float, t_ns: int) -> int | None:
        """The incident a call at (lat, lon, t_ns) most likely duplicates: the nearest one
        within the agency's radius that started within its window before the call."""
        window = int(self.agency.duplicate_window_s * NS_PER_S)
        dlat = math.degrees(self.agency.duplicate_radius_m / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        best = None
        for r in self.store.conn.execute(
                "SELECT id, lat, lon FROM incidents WHERE start_ns BETWEEN ? AND ? AND lat BETWEEN ? AND ? "
                "AND lon BETWEEN ? AND ?", (t_ns - window, t_ns + 60 * NS_PER_S, lat - dlat, lat + dlat, lon - dlon, lon + dlon)):
            d = approx_distance_m(lat, lon, r["lat"], r["lon"])
            if d <= self.agency.duplicate_radius_m and (best is None or d < best[0]):
                best = (d, r["id"])
        return None if best is None else best[1]

    def link_call(self, incident_id: int, user_id: str, *, received_ns: int | None = None,
                  victim_confirmed: bool = False, subject_description: str | None = None,
                  vehicle_description: str | None = None, discarded_weapon: str | None = None) -> CallResult:
        subject = _text("subject_description", subject_description)
        vehicle = _text("vehicle_description", vehicle_description)
        weapon = _text("discarded_weapon", discarded_weapon)
        if not isinstance(victim_confirmed, bool):
            raise ValidationError("victim_confirmed must be true or false")
        now = self.store.clock.now_ns()
        received = now if received_ns is None else int(received_ns)
        with self.store.transaction() as conn:
            inc = self.store._require_incident(conn, incident_id)
            self.users.require(user_id, roles_for("citizen_call", exercise=bool(inc["exercise"])), action="record citizen calls")
            cur = conn.execute(
                "INSERT INTO citizen_calls (incident_id, received_ns, user_id, victim_confirmed, subject_description, "
                "vehicle_description, discarded_weapon) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (incident_id, received, user_id, int(victim_confirmed), subject, vehicle, weapon))
            call_id = cur.lastrowid
            pertinent = {k: v for k, v in (("victim_confirmed", victim_confirmed or None), ("subject", subject),
                                           ("vehicle", vehicle), ("discarded_weapon", weapon)) if v}
            self.store.audit(conn, actor=user_id, action="call.link_duplicate", entity="incident", entity_id=incident_id,
                             details={"call_id": call_id, "pertinent": pertinent}, t_ns=now)
            ems_id = None
            if victim_confirmed:
                cur = conn.execute("INSERT INTO ems_requests (incident_id, call_id, t_ns, user_id, reason) "
                                   "VALUES (?, ?, ?, ?, ?)", (incident_id, call_id, now, user_id,
                                                              "confirmed victim reported by caller"))
                ems_id = cur.lastrowid
                self.store.audit(conn, actor=user_id, action="ems.request", entity="incident", entity_id=incident_id,
                                 details={"ems_request_id": ems_id, "call_id": call_id}, t_ns=now)
        return CallResult(call_id, incident_id, ems_id)
