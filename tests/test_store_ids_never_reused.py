"""Ids the store hands out are never handed out again after the retention purge: an incident's
"#N" in a report, a CAD record, the audit log or ``tocsin report ils N`` names that incident
for good, and so do the ids of citizen calls, EMS requests and missed-incident reports.
Databases made before schema version 4 are migrated to that — every row, index and trigger
kept — without giving out the ids purged before the migration either."""
from __future__ import annotations

import sqlite3

import pytest

from app.dispatch import MissedIncidents, Retention, Users, default_agency
from app.dispatch.calls import CitizenCalls
from app.dispatch.release import Releases
from app.store import ManualClock, SchemaError, Store
from app.store import schema
from app.store.samples import FRAME, T0_NS, sample_incident
from app.store.schema import SCHEMA_VERSION, migrate
from app.store.table_rebuild import with_autoincrement
from localization.types import Pulse, Sensor
from tests.store_fixtures import PW, varied_records

YEAR_S = 365.25 * 86400
NEVER_REUSED = ("incidents", "citizen_calls", "ems_requests", "missed_reports")


def _largest_ids(store: Store) -> dict[str, int]:
    return {t: store.conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in NEVER_REUSED}


def _incident_with_a_call(store: Store, uid: str, *, years_ago: float = 0.0) -> tuple[int, int, int, int]:
    """An incident that started ``years_ago``, with a citizen call reporting a victim (so an EMS
    request) and a missed-incident report found at the same time: their four ids."""
    t0_ns = store.clock.now_ns() - int(years_ago * YEAR_S * 1e9)
    iid = store.record_incident(sample_incident(uid, t0_ns=t0_ns), FRAME).incident_id
    call = CitizenCalls(store, default_agency()).link_call(iid, "disp", victim_confirmed=True)
    missed = MissedIncidents(store, default_agency()).open(officer="Ofc. Reyes", found_ns=t0_ns, lat=29.5,
                                                           lon=-140.5, evidence=["casings"], user_id="disp")
    return iid, call.call_id, call.ems_request_id, missed.id


def _purge(store: Store):
    return Retention(store, default_agency()).purge(actor="admin")


def test_ids_the_purge_freed_are_never_given_again(store):
    varied_records(store, n=4)
    _incident_with_a_call(store, "KEPT")
    gone = _incident_with_a_call(store, "OLD", years_ago=8)      # the largest id of each table
    used = _largest_ids(store)
    assert tuple(used.values()) == gone
    assert _purge(store).incident_ids == (gone[0],)
    assert all(_largest_ids(store)[t] < used[t] for t in NEVER_REUSED)   # the purge freed the largest ids
    new = _incident_with_a_call(store, "NEW")
    assert dict(zip(NEVER_REUSED, new)) == {t: used[t] + 1 for t in NEVER_REUSED}
    # every audit entry naming the purged incident's id is still about that incident
    assert {e["details"].get("uid") for e in store.audit_entries(entity="incident", entity_id=gone[0])} == {"OLD", None}
    assert store.get_incident_row(new[0]).uid == "NEW"


def _v3_store(path, clock: ManualClock) -> Store:
    """A database as Tocsin made it before schema version 4 (its migrations 1–3, unchanged),
    worked through the same services on a store that does not migrate it further."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, now_ns=clock.now_ns(), target=3)
    conn.close()
    store = Store(path, clock=clock)
    assert store.schema_version() == 3
    return store


def _contents(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of every table, in rowid order, with its rowid."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT IN ('sqlite_sequence', 'schema_migrations')")]
    return {t: [tuple(r) for r in conn.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid")] for t in tables}


def _schema(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    return {(r[0], r[1]): r[2] for r in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT IN ('sqlite_sequence')")}


def _worked_v3_database(path) -> tuple[dict[str, int], ManualClock]:
    """A version 3 database holding every kind of record, whose purge freed the largest id of
    each table that names records (a held incident kept); the largest ids it ever used."""
    clock = ManualClock()
    store = _v3_store(path, clock)
    try:
        ids = varied_records(store, n=12)
        store.upsert_sensor(Sensor("PT-01", 10.0, 20.0, 3.0), frame=FRAME, actor="admin")
        store.set_sensor_status("PT-01", "degraded", detail="battery low")
        store.record_pulses([Pulse(sensor="PT-01", t_ns=T0_NS + 5, snr_db=21.5, id="p-1", features=(("crest", 3.25),))])
        clip = path.parent / "clip.flac"
        clip.write_bytes(b"fLaC not really audio")
        store.add_audio_clip(ids[0], clip, actor="admin", sensor_id="PT-01", start_ns=T0_NS, duration_s=2.0)
        store.set_meta("site", "Port Tocsin", actor="admin")
        Users(store).login("disp", PW)
        Releases(store, default_agency()).export([ids[2]], "csv", user_id="sup")
        _incident_with_a_call(store, "RECENT")
        held = _incident_with_a_call(store, "HELD", years_ago=9)[0]
        Retention(store, default_agency()).place_hold(held, user_id="sup", reason="case 24-118")
        _incident_with_a_call(store, "LATE", years_ago=8)       # recorded last, purged: the largest ids
        used = _largest_ids(store)
        purged = _purge(store)
        assert purged.incident_ids == (used["incidents"],) and purged.held_ids == (held,)
        # the old schema's flaw, seen on a copy: the next incident would get the purged id again
        copy = path.parent / "copy.sqlite3"
        store.backup(copy)
        old = Store(copy, clock=clock)
        assert old.record_incident(sample_incident("COPY", t0_ns=clock.now_ns()), FRAME).incident_id == used["incidents"]
        old.close_all()
    finally:
        store.close_all()
    return used, clock


def test_a_version_3_database_migrates_keeping_every_record_and_never_reuses_an_id(tmp_path):
    path = tmp_path / "tocsin.sqlite3"
    used, clock = _worked_v3_database(path)
    conn = sqlite3.connect(path)
    rows_before, schema_before = _contents(conn), _schema(conn)
    conn.close()
    assert [t for t, rows in rows_before.items() if not rows] == []       # every kind of record is there

    store = Store.open(path, clock=clock)
    try:
        assert store.schema_version() == SCHEMA_VERSION == 4
        assert _contents(store.conn) == rows_before                     # every row, every id, every value
        schema_after = _schema(store.conn)
        for key, sql in schema_before.items():                          # indexes, triggers, other tables
            if key[0] == "table" and key[1] in NEVER_REUSED:
                assert sql.replace("id INTEGER PRIMARY KEY,", "id INTEGER PRIMARY KEY AUTOINCREMENT,", 1) == \
                    schema_after[key].replace(f'CREATE TABLE "{key[1]}"', f"CREATE TABLE {key[1]}")
            else:
                assert schema_after[key] == sql, key
        assert set(schema_after) - set(schema_before) == {("table", "schema_migrations")} - set(schema_before)
        assert store.integrity_check() == "ok"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.verify_audit().ok

        # the ids the purge freed before the migration are not given out …
        new = _incident_with_a_call(store, "AFTER")
        assert dict(zip(NEVER_REUSED, new)) == {t: used[t] + 1 for t in NEVER_REUSED}
        # … nor those a purge after it frees
        late = _incident_with_a_call(store, "LATE-2", years_ago=8)
        assert late == tuple(i + 1 for i in new)
        assert _purge(store).incident_ids == (late[0],)
        assert _incident_with_a_call(store, "AFTER-2") == tuple(i + 1 for i in late)
        # and the cascades still run: the purged incident's call and EMS request went with it
        assert store.conn.execute("SELECT count(*) FROM citizen_calls WHERE id = ?", (late[1],)).fetchone()[0] == 0
        assert store.conn.execute("SELECT count(*) FROM ems_requests WHERE id = ?", (late[2],)).fetchone()[0] == 0
    finally:
        store.close_all()


def test_a_new_database_and_a_migrated_one_have_the_same_schema(tmp_path):
    fresh = Store.open(tmp_path / "new.sqlite3", clock=ManualClock())
    _v3_store(tmp_path / "old.sqlite3", ManualClock()).close_all()
    migrated = Store.open(tmp_path / "old.sqlite3", clock=ManualClock())
    try:
        assert _schema(fresh.conn) == _schema(migrated.conn)
        for table in NEVER_REUSED:
            assert "id INTEGER PRIMARY KEY AUTOINCREMENT," in _schema(fresh.conn)[("table", table)]
    finally:
        fresh.close_all()
        migrated.close_all()


def test_a_migration_that_fails_part_way_leaves_the_version_3_database_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "tocsin.sqlite3"
    _worked_v3_database(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    rows_before, schema_before = _contents(conn), _schema(conn)
    # the last table's step fails after the others were rebuilt
    monkeypatch.setattr(schema, "_V4_IDS_NEVER_REUSED",
                        (*schema._V4_IDS_NEVER_REUSED, ("releases", "SELECT no_such_column FROM audit_log")))
    with pytest.raises(sqlite3.OperationalError, match="no_such_column"):
        migrate(conn, now_ns=1)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert _contents(conn) == rows_before and _schema(conn) == schema_before
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE '%rebuilt%'").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1          # enforcement back on
    conn.close()


def test_a_table_is_rebuilt_only_with_foreign_keys_off_and_only_as_tocsin_made_it(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.sqlite3", isolation_level=None)
    conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) "
                 "ON DELETE CASCADE)")
    conn.execute("CREATE TABLE odd (key INTEGER PRIMARY KEY, id INTEGER)")
    conn.execute("INSERT INTO parent VALUES (7, 'a')")
    conn.execute("INSERT INTO child VALUES (1, 7)")
    conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(SchemaError, match="cannot rebuild table parent with foreign-key enforcement on"):
        with_autoincrement(conn, "parent", ids_used_sql="SELECT 9")
    conn.execute("PRAGMA foreign_keys = OFF")
    with pytest.raises(SchemaError, match="cannot rebuild table nowhere: the database has no such table"):
        with_autoincrement(conn, "nowhere", ids_used_sql="SELECT 9")
    with pytest.raises(SchemaError, match=r"cannot rebuild table odd: its definition is not one Tocsin made"):
        with_autoincrement(conn, "odd", ids_used_sql="SELECT 9")
    with_autoincrement(conn, "parent", ids_used_sql="SELECT 9")
    assert conn.execute("SELECT * FROM child").fetchall() == [(1, 7)]      # no cascade ran
    conn.execute("INSERT INTO parent (name) VALUES ('b')")
    assert conn.execute("SELECT max(id) FROM parent").fetchone()[0] == 10   # above the 9 named elsewhere
    conn.close()
