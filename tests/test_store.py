"""Incident store: schema, revisions, validation, queries, threads, processes, audit chain."""
from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import threading

import pytest

from app.fileutil import sha256_file
from app.store import IncidentQuery, NotFoundError, ReadOnlySnapshotError, SchemaError, Store, ValidationError
from app.store.samples import FRAME, T0_NS, sample_incident
from app.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from localization.types import Pulse, Sensor


def test_new_database_is_wal_with_foreign_keys_at_current_version(store):
    assert store.schema_version() == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    versions = [r[0] for r in store.conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in MIGRATIONS]


def test_migrates_a_version_1_database_to_current(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    migrate(conn, now_ns=1, target=1)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'users'").fetchone()
    conn.close()
    s = Store.open(path)
    assert s.schema_version() == SCHEMA_VERSION
    assert s.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'users'").fetchone()
    s.close_all()


def test_refuses_newer_schema_and_foreign_database(tmp_path):
    p = tmp_path / "new.sqlite3"
    c = sqlite3.connect(p)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.close()
    with pytest.raises(SchemaError, match="newer than this Tocsin"):
        Store.open(p)
    q = tmp_path / "other.sqlite3"
    c = sqlite3.connect(q)
    c.execute("CREATE TABLE customers (id)")
    c.close()
    with pytest.raises(SchemaError, match="not a Tocsin database"):
        Store.open(q)


def test_record_creates_then_adds_revisions_and_ignores_stale(store):
    r1 = store.record_incident(sample_incident("E7", rounds=1), FRAME, address="101 Alder St")
    assert (r1.revision, r1.created, r1.changed) == (1, True, True)
    store.clock.advance(3)
    r2 = store.record_incident(sample_incident("E7", revision=1, rounds=3), FRAME)
    assert (r2.incident_id, r2.revision, r2.created) == (r1.incident_id, 2, False)
    stale = store.record_incident(sample_incident("E7", revision=0, rounds=9), FRAME)
    assert stale.changed is False
    d = store.get_incident(r1.incident_id)
    assert [rv.rounds for rv in d.revisions] == [1, 3]
    assert d.revisions[0].address == "101 Alder St"
    assert d.revisions[1].created_ns - d.revisions[0].created_ns == 3_000_000_000
    assert d.incident.rounds == 3 and d.incident.kind == "multiple_gunshots" and d.incident.current_revision == 2
    assert d.incident.lat == pytest.approx(29.5, abs=0.01) and d.incident.lon == pytest.approx(-140.5, abs=0.01)
    n_shots = store.conn.execute("SELECT count(*) FROM shots").fetchone()[0]
    assert n_shots == 1 + 3


def test_human_revision_needs_reason_and_keeps_history(store):
    iid = store.record_incident(sample_incident("E1"), FRAME).incident_id
    with pytest.raises(ValidationError, match="needs a reason"):
        store.revise_incident(iid, actor="sup1", reason=" ", kind="possible_gunfire")
    with pytest.raises(ValidationError, match="changes nothing"):
        store.revise_incident(iid, actor="sup1", reason="recount", rounds=2)
    rev = store.revise_incident(iid, actor="sup1", reason="audio review: fireworks pattern", kind="possible_gunfire",
                                x_m=120.0, y_m=60.0, frame=FRAME)
    d = store.get_incident(iid)
    assert rev == 2 and d.incident.kind == "possible_gunfire" and d.incident.x_m == 120.0
    assert d.revisions[0].kind == "multiple_gunshots" and d.revisions[0].x_m == 100.0  # the original is intact
    assert d.revisions[1].actor == "sup1" and "fireworks" in d.revisions[1].reason
    entry = store.audit_entries(entity="incident", entity_id=iid)[-1]
    assert entry["action"] == "incident.revise" and entry["details"]["changes"]["kind"] == ["multiple_gunshots",
                                                                                             "possible_gunfire"]


def test_revisions_and_audit_rows_cannot_be_changed_in_sql(store):
    store.record_incident(sample_incident("E1"), FRAME)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        with store.transaction() as c:
            c.execute("UPDATE incident_revisions SET rounds = 99")
    with pytest.raises(sqlite3.IntegrityError, match="retention purge"):
        with store.transaction() as c:
            c.execute("DELETE FROM incident_revisions")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with store.transaction() as c:
            c.execute("DELETE FROM audit_log")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        with store.transaction() as c:
            c.execute("UPDATE shots SET x_m = 0")
    assert store.get_incident(1).revisions[0].rounds == 2


@pytest.mark.parametrize("change, match", [
    (dict(kind="rifle"), "kind must be one of"),
    (dict(tags=("loud",)), "unknown incident tag"),
    (dict(shots=()), "has no shots"),
    (dict(x_m=float("nan")), "x_m must be a finite number"),
    (dict(err95_m=-1.0), "err95_m must be ≥ 0"),
    (dict(id=""), "id must not be empty"),
    (dict(shooter_of_shot=(0,)), "shooter_of_shot has 1 entries"),
])
def test_invalid_incident_is_refused_without_partial_write(store, change, match):
    bad = dataclasses.replace(sample_incident("E9"), **change)
    with pytest.raises(ValidationError, match=match):
        store.record_incident(bad, FRAME)
    for table in ("incidents", "incident_revisions", "shots", "audit_log"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_failure_mid_transaction_rolls_back_everything(store, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_insert_shots", boom)
    with pytest.raises(RuntimeError):
        store.record_incident(sample_incident("E1"), FRAME)
    assert store.count_incidents() == 0
    assert store.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_list_filter_and_keyset_paging(store):
    for i in range(120):
        store.record_incident(sample_incident(f"E{i}", rounds=1 + i % 3, t0_ns=T0_NS + i * 10**9, x_m=i * 10.0),
                              FRAME, address=f"{100 + i} Alder St" if i % 2 else f"{100 + i} Birch St")
    assert store.count_incidents() == 120
    page1 = store.list_incidents(limit=50)
    assert [r.uid for r in page1[:2]] == ["E119", "E118"]
    page2 = store.list_incidents(limit=50, before=(page1[-1].start_ns, page1[-1].id))
    page3 = store.list_incidents(limit=50, before=(page2[-1].start_ns, page2[-1].id))
    uids = [r.uid for r in page1 + page2 + page3]
    assert len(uids) == 120 == len(set(uids))
    assert store.list_incidents(limit=50, offset=50) == page2
    singles = store.list_incidents(IncidentQuery(kind="single_gunshot"), limit=1000)
    assert len(singles) == 40 and all(r.rounds == 1 for r in singles)
    assert store.count_incidents(IncidentQuery(text="Birch")) == 60
    assert store.count_incidents(IncidentQuery(since_ns=T0_NS + 100 * 10**9)) == 20
    assert store.count_incidents(IncidentQuery(status="new")) == 120
    with pytest.raises(ValidationError, match="unknown status 'open'"):
        store.list_incidents(IncidentQuery(status="open"))


def test_each_thread_gets_its_own_connection_and_sees_commits(store):
    store.record_incident(sample_incident("E1"), FRAME)
    seen, conns = [], []

    def worker():
        conns.append(store.conn)
        store.record_incident(sample_incident("W1"), FRAME)
        seen.append(store.count_incidents())
        store.close()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert conns[0] is not store.conn
    assert seen == [2] and store.count_incidents() == 2
    assert store.verify_audit().ok


def test_second_process_sees_committed_change(store):
    store.record_incident(sample_incident("E1"), FRAME)
    code = (f"from app.store import Store; s = Store.open({str(store.path)!r}); "
            "print(s.count_incidents(), s.get_incident(1).incident.uid)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "E1"]


def test_audit_verify_detects_edits_and_deletions(store):
    for i in range(5):
        store.record_incident(sample_incident(f"E{i}"), FRAME)
    assert store.verify_audit().ok and store.verify_audit().entries == 5
    raw = sqlite3.connect(store.path)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3")
    raw.commit()
    report = store.verify_audit()
    assert not report.ok and any("entry 3 was altered" in p for p in report.problems)
    raw.execute("UPDATE audit_log SET actor = 'engine' WHERE seq = 3")
    raw.commit()
    assert store.verify_audit().ok
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("DELETE FROM audit_log WHERE seq = 2")
    raw.commit()
    assert any("missing" in p for p in store.verify_audit().problems)
    raw.close()


def test_deleting_the_last_audit_rows_is_detected(store):
    for i in range(3):
        store.record_incident(sample_incident(f"E{i}"), FRAME)
    raw = sqlite3.connect(store.path)
    raw.execute("DROP TRIGGER audit_log_no_delete")
    raw.execute("DELETE FROM audit_log WHERE seq = 3")
    raw.commit()
    raw.close()
    assert "deleted from the end" in str(store.verify_audit())


def test_sensors_with_status_history_and_pulses(store):
    store.upsert_sensor(Sensor("PT-01", 10.0, 20.0, 8.0), frame=FRAME)
    store.clock.advance(60)
    store.set_sensor_status("PT-01", "degraded", detail="low battery")
    with pytest.raises(NotFoundError):
        store.set_sensor_status("PT-99", "offline")
    with pytest.raises(ValidationError, match="sensor status must be one of"):
        store.set_sensor_status("PT-01", "sleepy")
    [s] = store.sensors()
    assert s.status == "degraded" and s.lat is not None
    assert [h["status"] for h in store.sensor_history("PT-01")] == ["online", "degraded"]
    n = store.record_pulses([Pulse("PT-01", T0_NS + k, snr_db=20.0, id=f"p{k}", features=(("rise_ms", 0.4),))
                             for k in range(10)])
    got = store.pulses_between(T0_NS, T0_NS + 5)
    assert n == 10 and [p.id for p in got] == ["p0", "p1", "p2", "p3", "p4"]
    assert got[0].features == (("rise_ms", 0.4),)


def test_audio_clip_hash_recorded_and_checked(store, tmp_path):
    iid = store.record_incident(sample_incident("E1"), FRAME).incident_id
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF....WAVEfake")
    digest = store.add_audio_clip(iid, clip, actor="engine", sensor_id="PT-01")
    assert len(digest) == 64 and store.verify_audio(iid) == [(str(clip), True)]
    clip.write_bytes(b"tampered")
    assert store.verify_audio(iid) == [(str(clip), False)]
    with pytest.raises(NotFoundError):
        store.add_audio_clip(999, clip, actor="engine")


def test_audio_clip_registered_with_the_writers_digest_is_not_read_again(store, tmp_path, monkeypatch):
    iid = store.record_incident(sample_incident("E1"), FRAME).incident_id
    clip = tmp_path / "clip.flac"
    clip.write_bytes(b"fLaC fake audio")
    known = sha256_file(clip)
    with monkeypatch.context() as m:
        m.setattr("app.store.store.sha256_file", lambda p: pytest.fail(f"{p} hashed again"))
        assert store.add_audio_clip(iid, clip, actor="engine", sha256=known) == known
    assert store.audio_clips(iid)[0]["sha256"] == known
    assert store.audit_entries(entity="incident")[-1]["details"]["sha256"] == known
    assert store.verify_audio(iid) == [(str(clip), True)]
    # without a digest the file is hashed, as before
    assert store.add_audio_clip(iid, clip, actor="engine") == known


@pytest.mark.parametrize("bad", ["", "abc", "A" * 64, "g" * 64, "0" * 63])
def test_audio_clip_digest_that_is_not_a_sha256_is_refused(store, tmp_path, bad):
    iid = store.record_incident(sample_incident("E1"), FRAME).incident_id
    clip = tmp_path / "clip.flac"
    clip.write_bytes(b"fLaC fake audio")
    with pytest.raises(ValidationError, match="sha256 must be 64 lowercase hex digits"):
        store.add_audio_clip(iid, clip, actor="engine", sha256=bad)
    assert store.audio_clips(iid) == []


def test_backup_is_a_consistent_copy(store, tmp_path):
    store.record_incident(sample_incident("E1"), FRAME)
    dest = store.backup(tmp_path / "b.sqlite3", actor="admin")
    copy = Store.open(dest)
    assert copy.count_incidents() == 1 and copy.verify_audit().ok and copy.integrity_check() == "ok"
    copy.close_all()
    with pytest.raises(ValidationError, match="already exists"):
        store.backup(dest)


def test_open_without_create_names_the_fix(tmp_path):
    with pytest.raises(NotFoundError, match="tocsin db init"):
        Store.open(tmp_path / "missing.sqlite3", create=False)


def test_stray_write_outside_transaction_is_not_silently_committed(store):
    store.conn.execute("INSERT INTO meta (key, value) VALUES ('stray', 'x')")   # implicit BEGIN, never committed
    with pytest.raises(RuntimeError, match="not started by Store.transaction"):
        store.record_incident(sample_incident("E1"), FRAME)
    assert store.get_meta("stray") is None
    store.record_incident(sample_incident("E1"), FRAME)                        # the store recovers
    assert store.count_incidents() == 1


def test_a_write_inside_a_read_snapshot_is_refused_clearly_and_the_snapshot_survives(store):
    store.record_incident(sample_incident("E1"), FRAME)
    other = Store.open(store.path, clock=store.clock)
    try:
        with store.read_snapshot() as conn:
            assert store.count_incidents() == 1
            other.record_incident(sample_incident("E2"), FRAME)           # another connection writes
            with pytest.raises(ReadOnlySnapshotError, match="snapshot is read-only"):
                store.set_meta("k", "v", actor="admin")                   # through the store's services
            with pytest.raises(ReadOnlySnapshotError, match="snapshot is read-only"):
                with store.read_snapshot():                               # a nested snapshot is the same one
                    store.record_incident(sample_incident("E3"), FRAME)
            assert store.count_incidents() == 1                           # still the snapshot's state
        assert store.count_incidents() == 2 and store.get_meta("k") is None
        with pytest.raises(ReadOnlySnapshotError, match="snapshot is read-only") as raised:
            with store.read_snapshot() as conn:                           # straight on the connection
                conn.execute("INSERT INTO meta (key, value) VALUES ('raw', 'x')")
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        assert store.get_meta("raw") is None
        store.set_meta("k", "v", actor="admin")                           # after the snapshot: writes work
        assert store.get_meta("k") == "v" and not store.conn.in_transaction
        with store.transaction():                                         # a snapshot inside a write joins it
            with store.read_snapshot():
                store.set_meta("k", "w", actor="admin")
        assert store.get_meta("k") == "w"
    finally:
        other.close_all()
