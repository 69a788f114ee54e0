"""The audio verdict in the store: gunfire probability and review label on the incident row
and on every revision; a reclassification by the engine adds a revision that says so."""
from __future__ import annotations

import dataclasses
import sqlite3

import pytest

from app.store import ManualClock, Store, ValidationError
from app.store.samples import FRAME, sample_incident
from app.store.schema import SCHEMA_VERSION, migrate


def test_fireworks_incident_is_stored_with_its_label_and_reclassification_adds_a_revision(store):
    fw = dataclasses.replace(sample_incident("E9", rounds=12), kind="possible_gunfire", gunfire_p=0.07,
                             review_label="probable_fireworks")
    r1 = store.record_incident(fw, FRAME)
    row = store.get_incident_row(r1.incident_id)
    assert (row.kind, row.gunfire_p, row.review_label) == ("possible_gunfire", 0.07, "probable_fireworks")
    store.clock.advance(2)
    gun = dataclasses.replace(sample_incident("E9", revision=1, rounds=12), gunfire_p=0.91)
    r2 = store.record_incident(gun, FRAME)
    d = store.get_incident(r1.incident_id)
    assert r2.revision == 2 and d.incident.review_label is None and d.incident.gunfire_p == pytest.approx(0.91)
    assert [(r.kind, r.review_label) for r in d.revisions] == [("possible_gunfire", "probable_fireworks"),
                                                                ("multiple_gunshots", None)]
    assert d.revisions[1].reason.startswith("engine reclassified: possible gunfire, probable fireworks — review")
    assert d.revisions[0].gunfire_p == pytest.approx(0.07)
    back = store.engine_incident(r1.incident_id)
    assert back.gunfire_p == pytest.approx(0.91) and back.review_label is None
    # an update that does not change the verdict is a plain engine update
    r3 = store.record_incident(dataclasses.replace(gun, revision=2, gunfire_p=0.93), FRAME)
    assert store.get_incident(r3.incident_id).revisions[-1].reason == "engine update (engine revision 2)"


def test_incident_without_audio_has_no_verdict(store):
    row = store.get_incident_row(store.record_incident(sample_incident("E1"), FRAME).incident_id)
    assert row.gunfire_p is None and row.review_label is None


@pytest.mark.parametrize("change, match", [({"gunfire_p": 1.5}, "gunfire_p must be between 0 and 1"),
                                           ({"review_label": "balloon"}, "review_label must be one of")])
def test_bad_verdict_is_refused(store, change, match):
    with pytest.raises(ValidationError, match=match):
        store.record_incident(dataclasses.replace(sample_incident("E2"), **change), FRAME)


def test_version_2_database_migrates_keeping_its_incidents(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, now_ns=1, target=2)
    conn.close()
    s = Store.open(path, clock=ManualClock())
    try:
        assert s.schema_version() == SCHEMA_VERSION >= 3
        iid = s.record_incident(dataclasses.replace(sample_incident("E3"), gunfire_p=0.3), FRAME).incident_id
        assert s.get_incident_row(iid).gunfire_p == pytest.approx(0.3)
    finally:
        s.close_all()
