"""Retention: incident data and audio are kept ``retention.years`` (7 by default), then
purged — except incidents under a legal hold.  The purge is one transaction with one
audit entry listing what went; the audit log itself is never purged."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.dispatch.agency import AgencyProfile
from app.dispatch.users import Users
from app.store import Store
from app.store.clock import NS_PER_DAY
from app.store.errors import NotFoundError, ValidationError

HOLD_ROLES = ("supervisor", "admin")


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff_ns: int
    incident_ids: tuple[int, ...]
    held_ids: tuple[int, ...]
    pulses: int
    missed_reports: int
    audio_files_removed: tuple[str, ...]
    audio_files_failed: tuple[str, ...]
    dry_run: bool


class Retention:
    def __init__(self, store: Store, agency: AgencyProfile) -> None:
        self.store = store
        self.agency = agency
        self.users = Users(store)

    def cutoff_ns(self, years: float | None = None) -> int:
        years = self.agency.retention_years if years is None else years
        return self.store.clock.now_ns() - int(years * 365.25 * NS_PER_DAY)

    def place_hold(self, incident_id: int, *, user_id: str, reason: str) -> None:
        if not reason or not reason.strip():
            raise ValidationError("a legal hold needs a reason (case number, court order …)")
        with self.store.transaction() as conn:
            self.users.require(user_id, HOLD_ROLES, action="place legal holds")
            inc = self.store._require_incident(conn, incident_id)
            if inc["legal_hold"]:
                raise ValidationError(f"incident #{incident_id} is already under a legal hold")
            conn.execute("UPDATE incidents SET legal_hold = 1 WHERE id = ?", (incident_id,))
            conn.execute("INSERT INTO legal_holds (incident_id, placed_ns, placed_by, reason) VALUES (?, ?, ?, ?)",
                         (incident_id, self.store.clock.now_ns(), user_id, reason.strip()))
            self.store.audit(conn, actor=user_id, action="hold.place", entity="incident", entity_id=incident_id,
                             details={"reason": reason.strip()})

    def release_hold(self, incident_id: int, *, user_id: str, reason: str) -> None:
        if not reason or not reason.strip():
            raise ValidationError("releasing a legal hold needs a reason")
        with self.store.transaction() as conn:
            self.users.require(user_id, HOLD_ROLES, action="release legal holds")
            if conn.execute("UPDATE legal_holds SET released_ns = ?, released_by = ? WHERE incident_id = ? "
                            "AND released_ns IS NULL", (self.store.clock.now_ns(), user_id, incident_id)).rowcount == 0:
                raise NotFoundError(f"incident #{incident_id} has no active legal hold")
            conn.execute("UPDATE incidents SET legal_hold = 0 WHERE id = ?", (incident_id,))
            self.store.audit(conn, actor=user_id, action="hold.release", entity="incident", entity_id=incident_id,
                             details={"reason": reason.strip()})

    def purge(self, *, actor: str, years: float | None = None, dry_run: bool = False) -> PurgeResult:
        """Delete incidents (with revisions, shots, workflow records, audio) that started
        before the cutoff and are not on hold; also old raw pulses and missed reports."""
        if years is not None and years < 1:
            raise ValidationError("retention must be at least 1 year")
        cutoff = self.cutoff_ns(years)
        with self.store.transaction() as conn:
            ids = tuple(r[0] for r in conn.execute(
                "SELECT id FROM incidents WHERE start_ns < ? AND legal_hold = 0 ORDER BY id", (cutoff,)))
            held = tuple(r[0] for r in conn.execute(
                "SELECT id FROM incidents WHERE start_ns < ? AND legal_hold = 1 ORDER BY id", (cutoff,)))
            audio = [r[0] for r in conn.execute(
                "SELECT a.path FROM audio_clips a JOIN incidents i ON i.id = a.incident_id "
                "WHERE i.start_ns < ? AND i.legal_hold = 0", (cutoff,))]
            pulses = conn.execute("SELECT count(*) FROM pulses WHERE t_ns < ?", (cutoff,)).fetchone()[0]
            missed = conn.execute("SELECT count(*) FROM missed_reports WHERE found_ns < ?", (cutoff,)).fetchone()[0]
            if not dry_run:
                conn.execute("UPDATE maintenance SET purging = 1 WHERE id = 1")
                conn.execute("CREATE TEMP TABLE IF NOT EXISTS purge_ids (id INTEGER PRIMARY KEY)")
                conn.execute("DELETE FROM temp.purge_ids")
                conn.executemany("INSERT INTO temp.purge_ids (id) VALUES (?)", [(i,) for i in ids])
                conn.execute("DELETE FROM legal_holds WHERE incident_id IN (SELECT id FROM temp.purge_ids)")
                conn.execute("DELETE FROM incidents WHERE id IN (SELECT id FROM temp.purge_ids)")
                conn.execute("DELETE FROM pulses WHERE t_ns < ?", (cutoff,))
                conn.execute("DELETE FROM missed_reports WHERE found_ns < ?", (cutoff,))
                conn.execute("UPDATE maintenance SET purging = 0 WHERE id = 1")
                self.store.audit(conn, actor=actor, action="retention.purge", entity="database",
                                 details={"cutoff_ns": cutoff, "incidents": len(ids), "incident_ids": list(ids[:1000]),
                                          "held": list(held), "pulses": pulses, "missed_reports": missed,
                                          "audio_files": len(audio)})
        removed, failed = [], []
        if not dry_run:
            for p in audio:  # files go only after the records are gone for good
                try:
                    Path(p).unlink(missing_ok=True)
                    removed.append(p)
                except OSError:
                    failed.append(p)
        return PurgeResult(cutoff, ids, held, pulses, missed, tuple(removed), tuple(failed), dry_run)
