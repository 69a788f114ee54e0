"""Bulk reads of incidents: equal to reading them one by one, a fixed number of queries
however many incidents, one consistent snapshot, and the engine's incident summarised
without its shots (the shots of exactly the summarised revision added on demand)."""
from __future__ import annotations

import contextlib
import json
from typing import Iterator

import pytest

from app.dispatch import Retention, default_agency
from app.store import IncidentQuery, IncidentSummary, NotFoundError, ShotOutline, Store
from app.store.samples import FRAME, T0_NS, sample_incident
from tests.store_fixtures import give_incident_ids_again_from, varied_records


def test_bulk_details_equal_one_by_one_for_every_filter_and_page(store):
    varied_records(store)
    for query, kw in ((None, {"limit": 1000}), (IncidentQuery(exercise=True), {"limit": 1000}),
                      (IncidentQuery(status="new"), {"limit": 5, "offset": 3}),
                      (None, {"limit": 7, "before": (T0_NS + 12 * 10**9, 10**9)})):
        rows = store.list_incidents(query, **kw)
        bulk = store.incident_details(query, **kw)
        assert bulk == [store.get_incident(r.id) for r in rows]
        assert [d.incident for d in bulk] == rows
    details = store.incident_details(limit=1000)
    assert len(details) == 26
    conn = store.conn
    for d in details:     # against plain per-incident SQL, the way one incident was always read
        iid = d.incident.id
        assert [(r.revision, r.created_ns, r.kind, r.rounds, r.address, r.payload_json) for r in d.revisions] == [
            tuple(r) for r in conn.execute("SELECT revision, created_ns, kind, rounds, address, payload FROM "
                                           "incident_revisions WHERE incident_id = ? ORDER BY revision", (iid,))]
        assert d.revisions[-1].kind == d.incident.kind and d.revisions[-1].rounds == d.incident.rounds
        assert list(d.units) == [dict(r) for r in conn.execute(
            "SELECT unit, assigned_ns, self_dispatched, user_id FROM unit_assignments WHERE incident_id = ? "
            "ORDER BY id", (iid,))]
        assert list(d.status_events) == [dict(r) for r in conn.execute(
            "SELECT from_status, to_status, t_ns, user_id, note FROM status_events WHERE incident_id = ? "
            "ORDER BY id", (iid,))]
    # the fixture reached every kind of record, so the comparison above covered them
    for name in ("acknowledgments", "units", "cad_entries", "citizen_calls", "ems_requests", "dispositions",
                 "status_events"):
        assert any(getattr(d, name) for d in details), name
    assert any(d.escalation for d in details) and any(len(d.revisions) == 3 for d in details)
    assert store.incident_details(IncidentQuery(text="no such street")) == []


def test_revision_payload_is_decoded_on_access_as_written(store):
    iid = store.record_incident(sample_incident("E1"), FRAME).incident_id
    store.revise_incident(iid, actor="sup", reason="moved", x_m=1.0, y_m=2.0)
    first, second = store.get_incident(iid).revisions
    assert second.payload == {"changes": {"x_m": 1.0, "y_m": 2.0}}
    assert first.payload["engine_id"] == "E1" and len(first.payload["shots"]) == 2
    assert json.loads(first.payload_json) == first.payload
    first.payload["shots"].clear()                      # a copy: the record stays as stored
    assert len(first.payload["shots"]) == 2


@contextlib.contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements this thread's connection runs meanwhile."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        store.conn.set_trace_callback(None)


def test_bulk_reads_cost_a_fixed_number_of_queries(store):
    varied_records(store)
    counts = []
    for limit in (3, 26):
        with _statements(store) as statements:
            details = store.incident_details(limit=limit)
            store.incident_summaries(d.incident.id for d in details)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert not store.conn.in_transaction         # the read snapshot was closed


def test_summaries_describe_the_engine_incident_without_its_shots(store):
    ids = varied_records(store)
    summaries = store.incident_summaries(ids + [9999])
    assert sorted(summaries) == sorted(ids)            # imported incidents (no shots) and unknown ids left out
    for iid in ids:
        inc = store.engine_incident(iid)
        assert summaries[iid] == IncidentSummary.of(inc)
        assert store.engine_incident(iid, summary=summaries[iid]) == inc
    mobile = summaries[ids[1]]
    assert mobile.notes == ("audio: probable fireworks “crackle”", 'quote " and \\ backslash')
    assert (mobile.speed_mps, mobile.heading_deg, mobile.review_label) == (11.5, 271.25, "probable_fireworks")
    assert summaries[ids[3]].kind == "multiple_gunshots"      # the person's reclassification is the current kind
    assert summaries[ids[3]].rounds == 5                       # …but the rounds are the located shots (engine rev 1)
    imported = store.list_incidents(IncidentQuery(source="import"))[0].id
    with pytest.raises(NotFoundError, match="no located shots"):
        store.engine_incident(imported)
    with pytest.raises(NotFoundError, match="no incident #9999"):
        store.engine_incident(9999)


def test_summary_gets_the_shots_of_its_own_revision_after_the_engine_revised(store):
    iid = store.record_incident(sample_incident("E1", rounds=2), FRAME).incident_id
    old = store.incident_summaries([iid])[iid]
    store.record_incident(sample_incident("E1", revision=1, rounds=5), FRAME)
    then = store.engine_incident(iid, summary=old)
    assert (then.revision, then.rounds) == (0, 2) and IncidentSummary.of(then) == old
    now = store.engine_incident(iid)
    assert (now.revision, now.rounds) == (1, 5)


def test_bulk_read_sees_one_snapshot_while_another_connection_writes(store, tmp_path):
    store.record_incident(sample_incident("E1"), FRAME)
    other = Store.open(store.path, clock=store.clock)
    try:
        with store.read_snapshot():
            before = store.incident_details()
            other.record_incident(sample_incident("E2"), FRAME)      # committed by the other connection
            assert store.incident_details() == before                # not seen inside the snapshot
            assert store.incident_summaries(d.incident.id for d in before).keys() == {before[0].incident.id}
        assert len(store.incident_details()) == 2                  # seen after it
        with store.transaction():                                  # and writing still works on this connection
            store.record_incident(sample_incident("E3"), FRAME)
    finally:
        other.close_all()


def test_shot_outlines_are_the_shots_each_summary_describes_in_one_query(store):
    ids = varied_records(store)
    summaries = store.incident_summaries(ids)
    with _statements(store) as statements:
        outlines = store.shot_outlines(summaries)
    assert len(statements) == 1
    assert outlines.keys() == summaries.keys()
    for iid, summary in summaries.items():
        inc = store.engine_incident(iid, summary=summary)
        assert outlines[iid] == ShotOutline.of(inc)
        assert [(o.x_m, o.y_m, o.ellipse, o.shooter) for o in outlines[iid]] == \
            [(s.x_m, s.y_m, s.ellipse, k) for s, k in zip(inc.shots, inc.shooter_of_shot)]
    old = summaries[ids[1]]
    store.record_incident(sample_incident("E01", revision=7, rounds=6), FRAME)   # the engine revises E01
    assert len(store.shot_outlines({ids[1]: old})[ids[1]]) == old.rounds       # the summary's own revision
    assert len(store.shot_outlines(store.incident_summaries([ids[1]]))[ids[1]]) == 6
    assert store.shot_outlines({9999: old}) == {} and store.shot_outlines({}) == {}


def test_readers_of_a_purged_incident_say_it_is_gone(store):
    store.clock.advance(8 * 365.25 * 86400)
    kept = store.record_incident(sample_incident("NEW", t0_ns=store.clock.now_ns()), FRAME).incident_id
    gone = store.record_incident(sample_incident("OLD", t0_ns=T0_NS), FRAME).incident_id   # the largest id
    summary = store.incident_summaries([gone])[gone]                          # read before the purge
    assert Retention(store, default_agency()).purge(actor="admin").incident_ids == (gone,)
    purged = rf"no incident #{gone} \(never recorded, or purged\)"
    with pytest.raises(NotFoundError, match=purged):
        store.engine_incident(gone, summary=summary)
    with pytest.raises(NotFoundError, match=purged):
        store.engine_incident(gone)
    with pytest.raises(NotFoundError, match=purged):
        store.get_incident(gone)
    with pytest.raises(NotFoundError, match=purged):
        store.get_incident_row(gone)
    with pytest.raises(NotFoundError, match=r"no incident with id 'OLD' \(never recorded, or purged\)"):
        store.incident_id_for("OLD")
    assert store.incident_summaries([gone, kept]).keys() == {kept}
    assert store.incident_uids([gone, kept, 9999]) == {kept: "NEW"}
    assert store.shot_outlines({gone: summary, kept: store.incident_summaries([kept])[kept]}).keys() == {kept}
    # The store never gives the purged id again; had it been (an older copy of the database
    # restored, say), the old summary would still find nothing: the readers check the uid too
    give_incident_ids_again_from(store, gone)
    reused = store.record_incident(sample_incident("NEWER", t0_ns=store.clock.now_ns()), FRAME).incident_id
    assert reused == gone
    assert store.incident_uids([gone, kept]) == {kept: "NEW", gone: "NEWER"}
    with pytest.raises(NotFoundError, match=rf"no incident 'OLD' at #{gone} any more \(purged\)"):
        store.engine_incident(gone, summary=summary)
    assert store.shot_outlines({gone: summary}) == {}
