"""Reading incident records back (mixed into ``Store``): one incident, or thousands at once.

The bulk reads cost a fixed number of queries however many incidents they return — one per
table, never one per incident — and read every table inside one read transaction, so the
incidents, their revisions and their workflow records are one consistent state of the
database even while another connection writes (WAL: the writer is not blocked).  The
single-incident reads go through the same code, so an incident read alone and the same
incident read among 50,000 are equal.

Nothing is decoded that a listing does not need: a revision keeps its payload as stored
text (``Revision.payload`` decodes it on access), and ``incident_summaries`` describes the
engine's incident — rounds, shooters, revision, notes — without building a single shot;
``engine_incident(id, summary=...)`` adds the shots of exactly that revision when they are
wanted (revisions are immutable, so the summary and its shots always agree), and
``shot_outlines`` only where those shots were, for many summaries in one query (the map).
"""
from __future__ import annotations

import functools
import json
import sqlite3
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from app.store.errors import NotFoundError, ValidationError
from app.store.records import (
    INCIDENT_ROW_COLS,
    IncidentDetail,
    IncidentQuery,
    IncidentRow,
    IncidentSummary,
    Revision,
    ShotOutline,
    split_tags,
)
from localization.types import Ellipse, Incident, Shot

if TYPE_CHECKING:  # pragma: no cover
    from app.store.store import Store

_ROW_SQL = ", ".join(INCIDENT_ROW_COLS)
_REVISION_SQL = ("incident_id, revision, engine_revision, created_ns, actor, reason, kind, tags, start_ns, end_ns, "
                 "rounds, shooters, x_m, y_m, lat, lon, err95_m, address, payload, gunfire_p, review_label")
#: IncidentDetail field → (table, columns), each table's rows oldest first (by id).
_WORKFLOW: tuple[tuple[str, str, str], ...] = (
    ("status_events", "status_events", "from_status, to_status, t_ns, user_id, note"),
    ("acknowledgments", "acknowledgments", "user_id, kind, t_ns, delay_s"),
    ("units", "unit_assignments", "unit, assigned_ns, self_dispatched, user_id"),
    ("cad_entries", "cad_entries", "cad_number, type_code, priority, created_ns, user_id"),
    ("citizen_calls", "citizen_calls", "id, received_ns, user_id, victim_confirmed, subject_description, "
                                       "vehicle_description, discarded_weapon"),
    ("ems_requests", "ems_requests", "call_id, t_ns, user_id, reason"),
    ("dispositions", "dispositions", "t_ns, user_id, disposition, evidence, other_source, notes"),
    ("audio_clips", "audio_clips", "sensor_id, path, sha256, start_ns, duration_s"),
    ("escalation", "escalations", "t_ns, delay_s, to_role"),
)
#: incidents whose ids are the JSON array bound to the one parameter (any number of ids)
_IN_IDS = "IN (SELECT value FROM json_each(?))"
#: per incident: the newest revision that holds located shots (the engine's latest description)
_SHOT_REVISION = ("SELECT sr.id FROM incident_revisions sr WHERE sr.incident_id = i.id AND EXISTS "
                  "(SELECT 1 FROM shots ss WHERE ss.revision_id = sr.id) ORDER BY sr.revision DESC LIMIT 1")
#: the shots (alias ``f``) of the engine revisions that summaries describe, given as a JSON array
#: of [store id, engine revision, uid] (alias ``w``, from ``_summarised``): the newest stored
#: revision with shots carrying that engine revision — the one ``engine_incident(id, summary=...)``
#: rebuilds — provided the store id still names that uid (the store never gives an id twice, but an
#: older copy of the database restored from a backup counts ids from where that copy was)
_SHOTS_OF_SUMMARIES = """
FROM json_each(?) w JOIN shots f ON f.revision_id = (
    SELECT r.id FROM incidents i JOIN incident_revisions r ON r.incident_id = i.id
    WHERE i.id = json_extract(w.value, '$[0]') AND i.uid = json_extract(w.value, '$[2]')
    AND coalesce(r.engine_revision, 0) = json_extract(w.value, '$[1]')
    AND EXISTS (SELECT 1 FROM shots s WHERE s.revision_id = r.id) ORDER BY r.revision DESC LIMIT 1)
"""
_SUMMARY_SQL = f"""
SELECT i.id, i.uid, i.kind, i.tags, r.engine_revision, r.speed_mps, r.heading_deg,
       json_extract(r.payload, '$.notes'), i.gunfire_p, i.review_label, count(*), max(s.shooter),
       COALESCE(i.x_m, (SELECT f.x_m FROM shots f WHERE f.revision_id = r.id ORDER BY f.idx LIMIT 1)),
       COALESCE(i.y_m, (SELECT f.y_m FROM shots f WHERE f.revision_id = r.id ORDER BY f.idx LIMIT 1)),
       COALESCE(i.err95_m, (SELECT f.err95_m FROM shots f WHERE f.revision_id = r.id ORDER BY f.idx LIMIT 1))
FROM incidents i JOIN incident_revisions r ON r.id = ({_SHOT_REVISION}) JOIN shots s ON s.revision_id = r.id
WHERE i.id {_IN_IDS}
GROUP BY i.id
"""
@functools.lru_cache(maxsize=4096)
def _notes(text: str | None) -> tuple[str, ...]:
    """An engine revision's notes (JSON list; memoised like ``split_tags``)."""
    return tuple(json.loads(text)) if text is not None else ()


def _summarised(summaries: Mapping[int, IncidentSummary]) -> str:
    """The parameter of ``_SHOTS_OF_SUMMARIES`` for these summaries, by store id."""
    return json.dumps([[int(iid), s.revision, s.id] for iid, s in summaries.items()])


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor returning plain tuples (the connection's ``sqlite3.Row`` costs a lookup per column)."""
    cur = conn.cursor()
    cur.row_factory = None
    return cur


class IncidentReads:
    """Incident reading methods of ``Store``."""

    def incident_id_for(self: Store, uid: str) -> int:
        row = self.conn.execute("SELECT id FROM incidents WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            raise NotFoundError(f"no incident with id {uid!r} (never recorded, or purged)")
        return row[0]

    def incident_uids(self: Store, incident_ids: Iterable[int]) -> dict[int, str]:
        """The uid each of these store ids names now; ids no longer stored (purged) are left
        out.  One query for any number of ids."""
        return dict(_plain(self.conn).execute(f"SELECT id, uid FROM incidents WHERE id {_IN_IDS}",
                                              (json.dumps([int(i) for i in incident_ids]),)))

    def get_incident_row(self: Store, incident_id: int) -> IncidentRow:
        return IncidentRow.from_sql(self._require_incident(self.conn, incident_id))

    # ------------------------------------------------------------------ details
    def get_incident(self: Store, incident_id: int) -> IncidentDetail:
        """The incident with every revision (oldest first) and its workflow records."""
        with self.read_snapshot() as conn:
            row = _plain(conn).execute(f"SELECT {_ROW_SQL} FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no incident #{incident_id} (never recorded, or purged)")
            return self._details(conn, [row])[0]

    def incident_details(self: Store, query: IncidentQuery | None = None, *, limit: int = 100, offset: int = 0,
                         before: tuple[int, int] | None = None) -> list[IncidentDetail]:
        """``get_incident`` of every incident ``list_incidents`` would list (same filters,
        order and paging), in one query per table."""
        where, params = _selection(query, limit, offset, before)
        with self.read_snapshot() as conn:
            rows = _plain(conn).execute(f"SELECT {_ROW_SQL} FROM incidents WHERE {where}", params).fetchall()
            return self._details(conn, rows)

    @staticmethod
    def _details(conn: sqlite3.Connection, rows: list[tuple]) -> list[IncidentDetail]:
        if not rows:
            return []
        ids = json.dumps([r[0] for r in rows])
        cur = _plain(conn)
        revisions: dict[int, list[Revision]] = {}
        for (iid, revision, engine_revision, created_ns, actor, reason, kind, tags, start_ns, end_ns, rounds,
             shooters, x_m, y_m, lat, lon, err95_m, address, payload, gunfire_p, review_label) in cur.execute(
                f"SELECT {_REVISION_SQL} FROM incident_revisions WHERE incident_id {_IN_IDS} "
                "ORDER BY incident_id, revision", (ids,)):
            rev = Revision(revision, engine_revision, created_ns, actor, reason, kind, split_tags(tags), start_ns,
                           end_ns, rounds, shooters, x_m, y_m, lat, lon, err95_m, address, payload, gunfire_p,
                           review_label)
            got = revisions.get(iid)
            if got is None:
                revisions[iid] = [rev]
            else:
                got.append(rev)
        workflow: dict[str, dict[int, list[dict]]] = {}
        for name, table, cols in _WORKFLOW:
            cur = _plain(conn)
            cur.execute(f"SELECT incident_id, {cols} FROM {table} WHERE incident_id {_IN_IDS} ORDER BY incident_id, id",
                        (ids,))
            keys = [d[0] for d in cur.description[1:]]
            by_incident: dict[int, list[dict]] = {}
            for r in cur:
                by_incident.setdefault(r[0], []).append(dict(zip(keys, r[1:])))
            workflow[name] = by_incident
        busy = set().union(*workflow.values())      # incidents with any workflow record
        none: tuple = ()
        out = []
        for r in rows:
            iid = r[0]
            revs = tuple(revisions.get(iid, none))
            if iid not in busy:
                out.append(IncidentDetail(IncidentRow.from_tuple(r), revs))
                continue
            w = {name: tuple(by.get(iid, none)) for name, by in workflow.items()}
            esc = w.pop("escalation")
            out.append(IncidentDetail(incident=IncidentRow.from_tuple(r), revisions=revs,
                                      escalation=esc[0] if esc else None, **w))
        return out

    # ------------------------------------------------------------ engine view
    def incident_summaries(self: Store, incident_ids: Iterable[int]) -> dict[int, IncidentSummary]:
        """The engine's incident without its shots, by store id, for the given incidents that
        have located shots (imported incidents have none and are left out).  One query."""
        ids = json.dumps([int(i) for i in incident_ids])
        out = {}
        for (iid, uid, kind, tags, engine_revision, speed_mps, heading_deg, notes, gunfire_p, review_label, n_shots,
             max_shooter, x_m, y_m, err95_m) in _plain(self.conn).execute(_SUMMARY_SQL, (ids,)):
            out[iid] = IncidentSummary(uid, kind, split_tags(tags), n_shots, max_shooter + 1, x_m, y_m, err95_m,
                                       speed_mps, heading_deg, engine_revision or 0, _notes(notes), gunfire_p,
                                       review_label)
        return out

    def engine_incident(self: Store, incident_id: int, *, summary: IncidentSummary | None = None) -> Incident:
        """The incident as the engine last described it — shots with their ellipses, shooters,
        movement — rebuilt from the newest revision that holds shots, with the current kind,
        tags and position (a human revision may have changed those).

        With ``summary`` (from ``incident_summaries``), the shots of the revision that summary
        describes are added to it: the result is the incident as it was when the summary was
        read, even if the engine has revised it since."""
        with self.read_snapshot() as conn:
            if summary is None:
                summary = self.incident_summaries([incident_id]).get(incident_id)
                if summary is None:
                    self._require_incident(conn, incident_id)
                    raise NotFoundError(f"incident #{incident_id} has no located shots "
                                        "(imported or never engine-located)")
            rows = conn.execute(
                "SELECT f.t_ns, f.x_m, f.y_m, f.err95_m, f.semi_major_m, f.semi_minor_m, f.orientation_deg, f.sensors, "
                f"f.pulse_ids, f.residuals_ms, f.rms_ms, f.low_confidence, f.shooter {_SHOTS_OF_SUMMARIES} ORDER BY f.idx",
                (_summarised({incident_id: summary}),)).fetchall()
            if not rows:          # purged since the summary was read (or the id names another incident)
                if self._require_incident(conn, incident_id)["uid"] != summary.id:
                    raise NotFoundError(f"no incident {summary.id!r} at #{incident_id} any more (purged)")
                raise NotFoundError(f"incident #{incident_id}: engine revision {summary.revision} is no longer stored")
        shots = tuple(Shot(t_ns=s[0], x_m=s[1], y_m=s[2], err95_m=s[3], ellipse=Ellipse(s[4], s[5], s[6]),
                           sensors=tuple(json.loads(s[7])), pulse_ids=tuple(json.loads(s[8])),
                           residuals_ms=tuple(json.loads(s[9])), rms_ms=s[10], low_confidence=bool(s[11]))
                      for s in rows)
        return Incident(id=summary.id, kind=summary.kind, tags=summary.tags, shots=shots,
                        shooter_of_shot=tuple(int(s[12]) for s in rows), x_m=summary.x_m, y_m=summary.y_m,
                        err95_m=summary.err95_m, speed_mps=summary.speed_mps, heading_deg=summary.heading_deg,
                        revision=summary.revision, notes=summary.notes, gunfire_p=summary.gunfire_p,
                        review_label=summary.review_label)

    def shot_outlines(self: Store, summaries: Mapping[int, IncidentSummary]) -> dict[int, tuple[ShotOutline, ...]]:
        """Where each shot of the revision each summary describes was located, with its 95 %
        ellipse and shooter — what a map draws — by store id, in one query and without
        reading the rest of any shot.  Incidents no longer stored (purged), or whose store
        id names another incident, are left out."""
        out: dict[int, list[ShotOutline]] = {}
        for iid, x_m, y_m, semi_major_m, semi_minor_m, orientation_deg, shooter in _plain(self.conn).execute(
                "SELECT json_extract(w.value, '$[0]'), f.x_m, f.y_m, f.semi_major_m, f.semi_minor_m, "
                f"f.orientation_deg, f.shooter {_SHOTS_OF_SUMMARIES} ORDER BY w.key, f.idx", (_summarised(summaries),)):
            out.setdefault(iid, []).append(
                ShotOutline(x_m, y_m, Ellipse(semi_major_m, semi_minor_m, orientation_deg), int(shooter)))
        return {iid: tuple(shots) for iid, shots in out.items()}

    # ----------------------------------------------------------------- listing
    def list_incidents(self: Store, query: IncidentQuery | None = None, *, limit: int = 100, offset: int = 0,
                       before: tuple[int, int] | None = None) -> list[IncidentRow]:
        """Newest first.  Page with ``offset``, or faster with ``before=(start_ns, id)`` of the
        last row of the previous page (keyset paging)."""
        where, params = _selection(query, limit, offset, before)
        return [IncidentRow.from_tuple(r)
                for r in _plain(self.conn).execute(f"SELECT {_ROW_SQL} FROM incidents WHERE {where}", params)]

    def count_incidents(self: Store, query: IncidentQuery | None = None) -> int:
        try:
            where, params = (query or IncidentQuery()).where()
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return int(self.conn.execute(f"SELECT count(*) FROM incidents WHERE {where}", params).fetchone()[0])


def _selection(query: IncidentQuery | None, limit: int, offset: int,
               before: tuple[int, int] | None) -> tuple[str, Sequence]:
    """WHERE … ORDER BY … LIMIT … of a listing (newest first), with its parameters."""
    if limit < 0 or offset < 0:
        raise ValidationError("limit and offset must be ≥ 0")
    try:
        where, params = (query or IncidentQuery()).where()
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if before is not None:
        where += " AND (start_ns < ? OR (start_ns = ? AND id < ?))"
        params += [before[0], before[0], before[1]]
    return f"{where} ORDER BY start_ns DESC, id DESC LIMIT ? OFFSET ?", [*params, int(limit), int(offset)]
