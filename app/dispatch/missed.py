"""Missed-incident reports (Pasadena 317.5): officers who find evidence of gunfire in the
coverage area with no alert file a report, due within the agency's deadline (24 h)."""
from __future__ import annotations

from dataclasses import dataclass

from app.dispatch.agency import AgencyProfile
from app.dispatch.users import Users
from app.geo.polygon import point_in_polygon
from app.store import Store
from app.store.clock import NS_PER_S
from app.store.errors import NotFoundError, ValidationError

EVIDENCE = ("casings", "victim", "property_damage", "witness")


@dataclass(frozen=True, slots=True)
class MissedReport:
    id: int
    officer: str
    found_ns: int
    due_ns: int
    lat: float
    lon: float
    evidence: tuple[str, ...]
    filed_ns: int | None
    narrative: str | None


def _row(r) -> MissedReport:
    return MissedReport(r["id"], r["officer"], r["found_ns"], r["due_ns"], r["lat"], r["lon"],
                        tuple(e for e in r["evidence"].split(",") if e), r["filed_ns"], r["narrative"])


class MissedIncidents:
    def __init__(self, store: Store, agency: AgencyProfile) -> None:
        self.store = store
        self.agency = agency
        self.users = Users(store)

    def open(self, *, officer: str, found_ns: int, lat: float, lon: float, evidence: tuple[str, ...] | list[str],
             user_id: str) -> MissedReport:
        """Open a missed-incident report; it is due ``due_hours`` after ``found_ns``."""
        if not officer or not officer.strip():
            raise ValidationError("the finding officer must be named")
        evidence = tuple(dict.fromkeys(evidence))
        if not evidence or any(e not in EVIDENCE for e in evidence):
            raise ValidationError(f"evidence of gunfire is required: one or more of {', '.join(EVIDENCE)}")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError(f"latitude/longitude out of range: {lat}, {lon}")
        if self.agency.coverage and not point_in_polygon(lon, lat, self.agency.coverage):
            raise ValidationError("the location is outside the agency's coverage area; "
                                  "a missed-incident report applies only inside it")
        now = self.store.clock.now_ns()
        if found_ns > now + 60 * NS_PER_S:
            raise ValidationError("found_ns is in the future")
        due = int(found_ns + self.agency.missed_report_due_h * 3600 * NS_PER_S)
        with self.store.transaction() as conn:
            self.users.require(user_id, ("dispatcher", "supervisor", "analyst"), action="open missed-incident reports")
            cur = conn.execute("INSERT INTO missed_reports (opened_ns, found_ns, due_ns, officer, opened_by, lat, lon, evidence) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                               (now, int(found_ns), due, officer.strip(), user_id, lat, lon, ",".join(evidence)))
            rid = cur.lastrowid
            self.store.audit(conn, actor=user_id, action="missed.open", entity="missed_report", entity_id=rid,
                             details={"officer": officer.strip(), "due_ns": due, "evidence": list(evidence)}, t_ns=now)
        return self.get(rid)

    def file(self, report_id: int, *, narrative: str, user_id: str) -> MissedReport:
        if not narrative or len(narrative.strip()) < 10:
            raise ValidationError("the report needs a narrative (at least 10 characters)")
        now = self.store.clock.now_ns()
        with self.store.transaction() as conn:
            self.users.require(user_id, ("dispatcher", "supervisor", "analyst"), action="file missed-incident reports")
            r = conn.execute("SELECT filed_ns, due_ns FROM missed_reports WHERE id = ?", (report_id,)).fetchone()
            if r is None:
                raise NotFoundError(f"no missed-incident report #{report_id}")
            if r["filed_ns"] is not None:
                raise ValidationError(f"missed-incident report #{report_id} was already filed")
            conn.execute("UPDATE missed_reports SET filed_ns = ?, filed_by = ?, narrative = ? WHERE id = ?",
                         (now, user_id, narrative.strip(), report_id))
            self.store.audit(conn, actor=user_id, action="missed.file", entity="missed_report", entity_id=report_id,
                             details={"late": now > r["due_ns"]}, t_ns=now)
        return self.get(report_id)

    def get(self, report_id: int) -> MissedReport:
        r = self.store.conn.execute("SELECT * FROM missed_reports WHERE id = ?", (report_id,)).fetchone()
        if r is None:
            raise NotFoundError(f"no missed-incident report #{report_id}")
        return _row(r)

    def pending(self) -> list[MissedReport]:
        return [_row(r) for r in self.store.conn.execute(
            "SELECT * FROM missed_reports WHERE filed_ns IS NULL ORDER BY due_ns")]

    def overdue(self) -> list[MissedReport]:
        now = self.store.clock.now_ns()
        return [_row(r) for r in self.store.conn.execute(
            "SELECT * FROM missed_reports WHERE filed_ns IS NULL AND due_ns < ? ORDER BY due_ns", (now,))]
