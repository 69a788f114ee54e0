"""Incident records with immutable revisions (mixed into ``Store``).

An incident's ``incidents`` row is the *current view* used for fast listing; the truth
is ``incident_revisions``: every change — a later engine revision, a reclassification,
a moved location, a new round count — appends a revision with who, when and why.
An engine revision whose audio verdict (kind, ``gunfire_p`` band, ``review_label``)
differs from the previous one says so in its reason ("engine reclassified …").
"""
from __future__ import annotations

import json
import math
import sqlite3
from typing import TYPE_CHECKING, Iterable

from app.store.errors import NotFoundError, ValidationError
from app.store.records import ImportedIncident, RecordResult
from localization.audio.classify import GUNFIRE_THRESHOLD
from localization.geometry import LocalFrame
from localization.types import INCIDENT_KINDS, INCIDENT_TAGS, REVIEW_LABELS, Incident

if TYPE_CHECKING:  # pragma: no cover
    from app.store.store import Store

_CURRENT_COLS = ("kind", "tags", "start_ns", "end_ns", "rounds", "shooters", "x_m", "y_m", "lat", "lon",
                 "err95_m", "address", "gunfire_p", "review_label")


def _finite(name: str, v: float | None, *, allow_none: bool = False) -> None:
    if v is None and allow_none:
        return
    if v is None or not math.isfinite(float(v)):
        raise ValidationError(f"{name} must be a finite number, got {v!r}")


def _check_latlon(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationError("latitude and longitude must be given together")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError(f"latitude/longitude out of range: {lat}, {lon}")


def _incident_payload(inc: Incident) -> dict:
    return {
        "engine_id": inc.id, "engine_revision": inc.revision, "notes": list(inc.notes),
        "speed_mps": inc.speed_mps, "heading_deg": inc.heading_deg,
        "shooter_of_shot": list(inc.shooter_of_shot),
        "shots": [{"t_ns": s.t_ns, "x_m": s.x_m, "y_m": s.y_m, "err95_m": s.err95_m, "rms_ms": s.rms_ms,
                   "sensors": list(s.sensors), "low_confidence": s.low_confidence} for s in inc.shots],
    }


def _verdict_words(kind: str, review_label: str | None, gunfire_p: float | None) -> str:
    words = kind.replace("_", " ") + (f", {review_label.replace('_', ' ')} — review" if review_label else "")
    return words + (f" (gunfire probability {gunfire_p:.2f})" if gunfire_p is not None else "")


def _reclassified(row: sqlite3.Row, inc: Incident) -> str | None:
    """The reason of an engine revision that changes the audio verdict, else None."""
    was_gunfire = row["gunfire_p"] is not None and row["gunfire_p"] >= GUNFIRE_THRESHOLD
    is_gunfire = inc.gunfire_p is not None and inc.gunfire_p >= GUNFIRE_THRESHOLD
    if row["kind"] == inc.kind and row["review_label"] == inc.review_label and (
            row["gunfire_p"] is None) == (inc.gunfire_p is None) and was_gunfire == is_gunfire:
        return None
    return (f"engine reclassified: {_verdict_words(row['kind'], row['review_label'], row['gunfire_p'])} → "
            f"{_verdict_words(inc.kind, inc.review_label, inc.gunfire_p)} (engine revision {inc.revision})")


class IncidentRecords:
    """Incident methods of ``Store`` (kept apart so each file holds one concept)."""

    # ------------------------------------------------------------- validation
    @staticmethod
    def _validate_incident(inc: Incident) -> None:
        if not inc.id:
            raise ValidationError("incident id must not be empty")
        if inc.kind not in INCIDENT_KINDS:
            raise ValidationError(f"incident kind must be one of {', '.join(INCIDENT_KINDS)}, got {inc.kind!r}")
        bad = [t for t in inc.tags if t not in INCIDENT_TAGS]
        if bad:
            raise ValidationError(f"unknown incident tag {bad[0]!r}; expected one of {', '.join(INCIDENT_TAGS)}")
        if not inc.shots:
            raise ValidationError(f"incident {inc.id} has no shots; an incident needs at least one located shot")
        if len(inc.shooter_of_shot) != len(inc.shots):
            raise ValidationError(f"incident {inc.id}: shooter_of_shot has {len(inc.shooter_of_shot)} entries "
                                  f"for {len(inc.shots)} shots")
        for name in ("x_m", "y_m", "err95_m"):
            _finite(f"incident {name}", getattr(inc, name))
        if inc.err95_m < 0:
            raise ValidationError(f"incident err95_m must be ≥ 0, got {inc.err95_m}")
        if inc.gunfire_p is not None and not (math.isfinite(inc.gunfire_p) and 0.0 <= inc.gunfire_p <= 1.0):
            raise ValidationError(f"incident gunfire_p must be between 0 and 1, got {inc.gunfire_p!r}")
        if inc.review_label is not None and inc.review_label not in REVIEW_LABELS:
            raise ValidationError(f"incident review_label must be one of {', '.join(REVIEW_LABELS)} or None, "
                                  f"got {inc.review_label!r}")
        for i, s in enumerate(inc.shots):
            for name in ("x_m", "y_m", "err95_m"):
                _finite(f"shot {i} {name}", getattr(s, name))
            if not isinstance(s.t_ns, int):
                raise ValidationError(f"shot {i} t_ns must be integer nanoseconds")
        if any(b.t_ns < a.t_ns for a, b in zip(inc.shots, inc.shots[1:])):
            raise ValidationError(f"incident {inc.id}: shots must be in time order")

    def _require_incident(self: Store, conn: sqlite3.Connection, incident_id: int) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no incident #{incident_id} (never recorded, or purged)")
        return row

    # ---------------------------------------------------------------- writing
    def record_incident(self: Store, incident: Incident, frame: LocalFrame | None = None, *,
                        address: str | None = None, actor: str = "engine", reason: str | None = None,
                        exercise: bool = False) -> RecordResult:
        """Create the incident, or add a revision when the engine re-emits the same id with
        a higher ``revision``.  A repeated or older engine revision is ignored (``changed``
        False): stale results never overwrite newer ones."""
        self._validate_incident(incident)
        lat = lon = None
        if frame is not None:
            la, lo, _ = frame.to_geodetic(incident.x_m, incident.y_m)
            lat, lon = float(la), float(lo)
        uid = incident.id
        now = self.clock.now_ns()
        fields = {
            "kind": incident.kind, "tags": ",".join(incident.tags), "start_ns": incident.start_ns,
            "end_ns": incident.end_ns, "rounds": incident.rounds, "shooters": max(incident.shooters, 1),
            "x_m": float(incident.x_m), "y_m": float(incident.y_m), "lat": lat, "lon": lon,
            "err95_m": float(incident.err95_m), "address": address,
            "gunfire_p": None if incident.gunfire_p is None else float(incident.gunfire_p),
            "review_label": incident.review_label,
        }
        with self.transaction() as conn:
            row = conn.execute("SELECT id, current_revision, engine_revision, kind, review_label, gunfire_p "
                               "FROM incidents WHERE uid = ?", (uid,)).fetchone()
            if row is not None and row["engine_revision"] is not None and incident.revision <= row["engine_revision"]:
                return RecordResult(row["id"], row["current_revision"], created=False, changed=False)
            if row is None:
                source = "exercise" if exercise else "engine"
                cur = conn.execute(
                    "INSERT INTO incidents (uid, source, exercise, created_ns, updated_ns, current_revision, "
                    "engine_revision, " + ", ".join(_CURRENT_COLS) + ") VALUES (?, ?, ?, ?, ?, 1, ?, "
                    + ", ".join("?" * len(_CURRENT_COLS)) + ")",
                    (uid, source, int(exercise), now, now, incident.revision, *fields.values()),
                )
                incident_id, revision = cur.lastrowid, 1
                conn.execute("INSERT INTO alerts (incident_id, revision, created_ns) VALUES (?, 1, ?)", (incident_id, now))
            else:
                incident_id, revision = row["id"], row["current_revision"] + 1
                conn.execute(
                    "UPDATE incidents SET updated_ns = ?, current_revision = ?, engine_revision = ?, "
                    + ", ".join(f"{c} = ?" for c in _CURRENT_COLS) + " WHERE id = ?",
                    (now, revision, incident.revision, *fields.values(), incident_id),
                )
            why = reason or (f"engine located incident (engine revision {incident.revision})" if revision == 1
                             else _reclassified(row, incident) or f"engine update (engine revision {incident.revision})")
            rev_id = self._insert_revision(conn, incident_id, revision, incident.revision, now, actor, why, fields,
                                           _incident_payload(incident), incident.speed_mps, incident.heading_deg)
            self._insert_shots(conn, rev_id, incident, frame)
            self.audit(conn, actor=actor, action="incident.create" if revision == 1 else "incident.revise",
                       entity="incident", entity_id=incident_id, t_ns=now,
                       details={"uid": uid, "revision": revision, "reason": why, "kind": incident.kind,
                                "rounds": incident.rounds, "x_m": fields["x_m"], "y_m": fields["y_m"],
                                "gunfire_p": fields["gunfire_p"], "review_label": incident.review_label})
        return RecordResult(incident_id, revision, created=(revision == 1), changed=True)

    @staticmethod
    def _insert_revision(conn, incident_id, revision, engine_revision, now, actor, reason, fields, payload,
                         speed_mps=None, heading_deg=None) -> int:
        cur = conn.execute(
            "INSERT INTO incident_revisions (incident_id, revision, engine_revision, created_ns, actor, reason, "
            + ", ".join(_CURRENT_COLS) + ", speed_mps, heading_deg, payload) VALUES (?, ?, ?, ?, ?, ?, "
            + ", ".join("?" * len(_CURRENT_COLS)) + ", ?, ?, ?)",
            (incident_id, revision, engine_revision, now, actor, reason, *(fields[c] for c in _CURRENT_COLS),
             speed_mps, heading_deg, json.dumps(payload, separators=(",", ":"))),
        )
        return cur.lastrowid

    @staticmethod
    def _insert_shots(conn, rev_id: int, inc: Incident, frame: LocalFrame | None) -> None:
        rows = []
        for i, (s, shooter) in enumerate(zip(inc.shots, inc.shooter_of_shot)):
            lat = lon = None
            if frame is not None:
                la, lo, _ = frame.to_geodetic(s.x_m, s.y_m)
                lat, lon = float(la), float(lo)
            rows.append((rev_id, i, s.t_ns, s.x_m, s.y_m, lat, lon, s.err95_m, s.ellipse.semi_major_m,
                         s.ellipse.semi_minor_m, s.ellipse.orientation_deg, shooter, json.dumps(list(s.sensors)),
                         json.dumps(list(s.pulse_ids)), json.dumps(list(s.residuals_ms)), s.rms_ms, int(s.low_confidence)))
        conn.executemany(
            "INSERT INTO shots (revision_id, idx, t_ns, x_m, y_m, lat, lon, err95_m, semi_major_m, semi_minor_m, "
            "orientation_deg, shooter, sensors, pulse_ids, residuals_ms, rms_ms, low_confidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def revise_incident(self: Store, incident_id: int, *, actor: str, reason: str, kind: str | None = None,
                        rounds: int | None = None, x_m: float | None = None, y_m: float | None = None,
                        lat: float | None = None, lon: float | None = None, err95_m: float | None = None,
                        address: str | None = None, frame: LocalFrame | None = None) -> int:
        """A human revision (reclassify, move, recount).  ``reason`` is mandatory.  Returns the new revision."""
        if not reason or not reason.strip():
            raise ValidationError("a revision needs a reason (why the incident was changed)")
        if not actor:
            raise ValidationError("a revision needs an actor (who changed the incident)")
        if kind is not None and kind not in INCIDENT_KINDS:
            raise ValidationError(f"incident kind must be one of {', '.join(INCIDENT_KINDS)}, got {kind!r}")
        if rounds is not None and (not isinstance(rounds, int) or rounds < 0):
            raise ValidationError(f"rounds must be a non-negative integer, got {rounds!r}")
        if (x_m is None) != (y_m is None):
            raise ValidationError("x_m and y_m must be given together")
        for n, v in (("x_m", x_m), ("y_m", y_m), ("err95_m", err95_m)):
            _finite(n, v, allow_none=True)
        _check_latlon(lat, lon)
        if x_m is not None and frame is not None and lat is None:
            la, lo, _ = frame.to_geodetic(x_m, y_m)
            lat, lon = float(la), float(lo)
        with self.transaction() as conn:
            row = self._require_incident(conn, incident_id)
            fields = {c: row[c] for c in _CURRENT_COLS}
            changes = {k: v for k, v in (("kind", kind), ("rounds", rounds), ("x_m", x_m), ("y_m", y_m), ("lat", lat),
                                         ("lon", lon), ("err95_m", err95_m), ("address", address)) if v is not None}
            changes = {k: v for k, v in changes.items() if fields[k] != v}
            if not changes:
                raise ValidationError("the revision changes nothing; give at least one new value")
            fields.update(changes)
            revision = row["current_revision"] + 1
            now = self.clock.now_ns()
            self._insert_revision(conn, incident_id, revision, None, now, actor, reason.strip(), fields,
                                  {"changes": changes})
            conn.execute("UPDATE incidents SET updated_ns = ?, current_revision = ?, "
                         + ", ".join(f"{c} = ?" for c in _CURRENT_COLS) + " WHERE id = ?",
                         (now, revision, *(fields[c] for c in _CURRENT_COLS), incident_id))
            self.audit(conn, actor=actor, action="incident.revise", entity="incident", entity_id=incident_id, t_ns=now,
                       details={"revision": revision, "reason": reason.strip(),
                                "changes": {k: [row[k], v] for k, v in changes.items()}})
        return revision

    def import_incidents(self: Store, records: Iterable[ImportedIncident], *, actor: str, source_label: str,
                         batch: int = 5000) -> tuple[int, int]:
        """Bulk-insert historical incidents as closed records.  Existing uids are skipped.
        Returns (inserted, skipped).  One transaction per batch; one audit entry per batch."""
        inserted = skipped = 0
        buf: list[ImportedIncident] = []

        def flush() -> None:
            nonlocal inserted, skipped
            if not buf:
                return
            now = self.clock.now_ns()
            with self.transaction() as conn:
                n0 = inserted
                for r in buf:
                    fields = {"kind": r.kind, "tags": "", "start_ns": r.start_ns, "end_ns": r.start_ns,
                              "rounds": r.rounds, "shooters": 1, "x_m": None, "y_m": None, "lat": r.lat,
                              "lon": r.lon, "err95_m": None, "address": r.address, "gunfire_p": None,
                              "review_label": None}
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO incidents (uid, source, exercise, created_ns, updated_ns, current_revision, "
                        "status, disposition, " + ", ".join(_CURRENT_COLS) + ") VALUES (?, 'import', 0, ?, ?, 1, 'closed', ?, "
                        + ", ".join("?" * len(_CURRENT_COLS)) + ")",
                        (r.uid, now, now, r.disposition, *fields.values()))
                    if cur.rowcount == 0:
                        skipped += 1
                        continue
                    iid = cur.lastrowid
                    inserted += 1
                    self._insert_revision(conn, iid, 1, None, now, actor, f"imported from {source_label}", fields,
                                          {"extra": r.extra})
                    if r.disposition:
                        conn.execute("INSERT INTO dispositions (incident_id, t_ns, user_id, disposition, evidence, notes) "
                                     "VALUES (?, ?, ?, ?, ?, ?)",
                                     (iid, now, actor, r.disposition, ",".join(r.evidence), f"imported from {source_label}"))
                self.audit(conn, actor=actor, action="incident.import", entity="import", entity_id=source_label,
                           t_ns=now, details={"inserted": inserted - n0, "batch": len(buf)})
            buf.clear()

        for rec in records:
            _check_latlon(rec.lat, rec.lon)
            if rec.kind not in INCIDENT_KINDS:
                raise ValidationError(f"imported incident {rec.uid}: unknown kind {rec.kind!r}")
            buf.append(rec)
            if len(buf) >= batch:
                flush()
        flush()
        return inserted, skipped
