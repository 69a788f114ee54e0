"""The database schema as an ordered list of migrations.

``PRAGMA user_version`` holds the applied version; each migration runs in one
transaction together with its ``schema_migrations`` row, so a crash mid-migration
leaves the previous version intact.  Never edit a released migration: append one.

Immutability is enforced in the database itself, not only in Python:
``audit_log`` rows can never be updated or deleted, ``incident_revisions`` and
``shots`` can never be updated and are deleted only inside the retention purge
(which raises ``maintenance.purging`` inside its own transaction).

Ids shown to people or named in other records and the audit log are never given twice,
even after the purge has deleted the newest ones (AUTOINCREMENT, since version 4).
"""
from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from typing import Callable, Iterator

from app.store.errors import SchemaError
from app.store.table_rebuild import with_autoincrement
from localization.types import REVIEW_LABELS

ROLES: tuple[str, ...] = ("dispatcher", "supervisor", "analyst", "trainer", "admin")
STATUSES: tuple[str, ...] = ("new", "acknowledged", "dispatched", "on_scene", "closed")
DISPOSITIONS: tuple[str, ...] = ("founded", "unfounded", "other_source")
SENSOR_STATUSES: tuple[str, ...] = ("online", "degraded", "offline", "maintenance")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _immutable(table: str, *, deletable_in_purge: bool) -> str:
    delete_rule = (
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "WHEN (SELECT purging FROM maintenance WHERE id = 1) IS NOT 1 "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are deleted only by the retention purge'); END;"
        if deletable_in_purge
        else f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
    )
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable'); END;\n" + delete_rule
    )


_V1_RECORDS = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE maintenance (id INTEGER PRIMARY KEY CHECK (id = 1), purging INTEGER NOT NULL DEFAULT 0);
INSERT INTO maintenance (id, purging) VALUES (1, 0);

CREATE TABLE sensors (
    id TEXT PRIMARY KEY CHECK (length(id) > 0),
    x_m REAL NOT NULL, y_m REAL NOT NULL, z_m REAL NOT NULL DEFAULT 0,
    lat REAL, lon REAL,
    status TEXT NOT NULL DEFAULT 'online' CHECK (status IN {_in(SENSOR_STATUSES)}),
    updated_ns INTEGER NOT NULL
);
CREATE TABLE sensor_status (
    id INTEGER PRIMARY KEY,
    sensor_id TEXT NOT NULL REFERENCES sensors(id) ON DELETE CASCADE,
    t_ns INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN {_in(SENSOR_STATUSES)}),
    detail TEXT
);
CREATE INDEX idx_sensor_status_sensor ON sensor_status (sensor_id, t_ns);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL CHECK (source IN ('engine', 'import', 'manual', 'exercise')),
    exercise INTEGER NOT NULL DEFAULT 0 CHECK (exercise IN (0, 1)),
    created_ns INTEGER NOT NULL,
    updated_ns INTEGER NOT NULL,
    current_revision INTEGER NOT NULL,
    engine_revision INTEGER,
    kind TEXT NOT NULL CHECK (kind IN ('single_gunshot', 'multiple_gunshots', 'possible_gunfire')),
    tags TEXT NOT NULL DEFAULT '',
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    rounds INTEGER NOT NULL CHECK (rounds >= 0),
    shooters INTEGER NOT NULL DEFAULT 1,
    x_m REAL, y_m REAL, lat REAL, lon REAL,
    err95_m REAL,
    address TEXT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN {_in(STATUSES)}),
    disposition TEXT CHECK (disposition IS NULL OR disposition IN {_in(DISPOSITIONS)}),
    legal_hold INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1))
);
CREATE INDEX idx_incidents_start ON incidents (start_ns DESC, id DESC);
CREATE INDEX idx_incidents_status_start ON incidents (status, start_ns DESC);
CREATE INDEX idx_incidents_kind_start ON incidents (kind, start_ns DESC);
CREATE INDEX idx_incidents_lat_lon ON incidents (lat, lon);

CREATE TABLE incident_revisions (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL CHECK (revision >= 1),
    engine_revision INTEGER,
    created_ns INTEGER NOT NULL,
    actor TEXT NOT NULL CHECK (length(actor) > 0),
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    kind TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    rounds INTEGER NOT NULL,
    shooters INTEGER NOT NULL,
    x_m REAL, y_m REAL, lat REAL, lon REAL,
    err95_m REAL,
    speed_mps REAL, heading_deg REAL,
    address TEXT,
    payload TEXT NOT NULL DEFAULT '{{}}',
    UNIQUE (incident_id, revision)
);
{_immutable('incident_revisions', deletable_in_purge=True)}

CREATE TABLE shots (
    id INTEGER PRIMARY KEY,
    revision_id INTEGER NOT NULL REFERENCES incident_revisions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    t_ns INTEGER NOT NULL,
    x_m REAL NOT NULL, y_m REAL NOT NULL, lat REAL, lon REAL,
    err95_m REAL NOT NULL,
    semi_major_m REAL, semi_minor_m REAL, orientation_deg REAL,
    shooter INTEGER NOT NULL DEFAULT 0,
    sensors TEXT NOT NULL, pulse_ids TEXT NOT NULL, residuals_ms TEXT NOT NULL,
    rms_ms REAL, low_confidence INTEGER NOT NULL DEFAULT 0,
    UNIQUE (revision_id, idx)
);
{_immutable('shots', deletable_in_purge=True)}

CREATE TABLE pulses (
    id INTEGER PRIMARY KEY,
    pulse_id TEXT,
    sensor_id TEXT NOT NULL,
    t_ns INTEGER NOT NULL,
    snr_db REAL, peak_db REAL,
    features TEXT NOT NULL DEFAULT '[]',
    received_ns INTEGER NOT NULL
);
CREATE INDEX idx_pulses_t ON pulses (t_ns);
CREATE INDEX idx_pulses_pulse_id ON pulses (pulse_id);

CREATE TABLE audio_clips (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    sensor_id TEXT,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    start_ns INTEGER, duration_s REAL,
    added_ns INTEGER NOT NULL
);
CREATE INDEX idx_audio_incident ON audio_clips (incident_id);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    t_ns INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
{_immutable('audit_log', deletable_in_purge=False)}
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
"""

_V2_WORKFLOW = f"""
CREATE TABLE users (
    id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 2 AND 64),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN {_in(ROLES)}),
    pw_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_ns INTEGER NOT NULL,
    password_changed_ns INTEGER NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    login_ns INTEGER NOT NULL,
    last_activity_ns INTEGER NOT NULL,
    logout_ns INTEGER,
    monitoring INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX idx_sessions_open ON sessions (logout_ns);

CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    created_ns INTEGER NOT NULL
);
CREATE INDEX idx_alerts_incident ON alerts (incident_id);
CREATE TABLE acknowledgments (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('dispatcher', 'supervisor')),
    t_ns INTEGER NOT NULL,
    delay_s REAL NOT NULL,
    UNIQUE (incident_id, kind)
);
CREATE TABLE status_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL, to_status TEXT NOT NULL,
    t_ns INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    note TEXT
);
CREATE INDEX idx_status_events_incident ON status_events (incident_id);
CREATE TABLE escalations (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL UNIQUE REFERENCES incidents(id) ON DELETE CASCADE,
    t_ns INTEGER NOT NULL,
    delay_s REAL NOT NULL,
    to_role TEXT NOT NULL
);
CREATE TABLE cad_entries (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    cad_number TEXT NOT NULL UNIQUE,
    type_code TEXT NOT NULL,
    priority INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    user_id TEXT NOT NULL
);
CREATE TABLE unit_assignments (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    unit TEXT NOT NULL,
    assigned_ns INTEGER NOT NULL,
    self_dispatched INTEGER NOT NULL DEFAULT 0,
    user_id TEXT NOT NULL,
    UNIQUE (incident_id, unit)
);
CREATE TABLE citizen_calls (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    received_ns INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    victim_confirmed INTEGER NOT NULL DEFAULT 0,
    subject_description TEXT, vehicle_description TEXT, discarded_weapon TEXT
);
CREATE TABLE ems_requests (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    call_id INTEGER REFERENCES citizen_calls(id) ON DELETE CASCADE,
    t_ns INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE dispositions (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    t_ns INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    disposition TEXT NOT NULL CHECK (disposition IN {_in(DISPOSITIONS)}),
    evidence TEXT NOT NULL DEFAULT '',
    other_source TEXT,
    notes TEXT
);
CREATE TABLE missed_reports (
    id INTEGER PRIMARY KEY,
    opened_ns INTEGER NOT NULL,
    found_ns INTEGER NOT NULL,
    due_ns INTEGER NOT NULL,
    officer TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    lat REAL, lon REAL, x_m REAL, y_m REAL,
    evidence TEXT NOT NULL,
    narrative TEXT,
    filed_ns INTEGER,
    filed_by TEXT
);
CREATE INDEX idx_missed_due ON missed_reports (filed_ns, due_ns);
CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER,
    t_ns INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    public INTEGER NOT NULL,
    include_audio INTEGER NOT NULL,
    format TEXT NOT NULL
);
CREATE TABLE legal_holds (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    placed_ns INTEGER NOT NULL,
    placed_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    released_ns INTEGER,
    released_by TEXT
);
"""


_V3_AUDIO_VERDICT = f"""
ALTER TABLE incidents ADD COLUMN gunfire_p REAL CHECK (gunfire_p IS NULL OR (gunfire_p >= 0 AND gunfire_p <= 1));
ALTER TABLE incidents ADD COLUMN review_label TEXT CHECK (review_label IS NULL OR review_label IN {_in(REVIEW_LABELS)});
ALTER TABLE incident_revisions ADD COLUMN gunfire_p REAL;
ALTER TABLE incident_revisions ADD COLUMN review_label TEXT;
"""


#: Ids that name a record outside its own row — an incident's "#N" in the console, reports,
#: CAD records, ``tocsin report ils N`` and the audit log; a missed-incident report's "#N"; the
#: citizen call and EMS request ids in audit entries — in tables whose rows the retention purge
#: deletes.  Without AUTOINCREMENT SQLite gives a new row the largest id + 1, so purging the
#: rows with the largest ids handed those ids to the next records.  Each table comes with the
#: query for the largest of its ids that anything kept still names (the audit log is never
#: purged), so that ids purged before this migration are not given out again either.
#: Revision and shot ids are not here: nothing but their own incident's rows, which the purge
#: deletes with them, ever names one.
_V4_IDS_NEVER_REUSED: tuple[tuple[str, str], ...] = (
    ("incidents", """
        SELECT max(used) FROM (
            SELECT CAST(entity_id AS INTEGER) AS used FROM audit_log WHERE entity = 'incident'
            UNION ALL SELECT CAST(j.value AS INTEGER) FROM audit_log a, json_each(a.details, '$.incident_ids') j
                      WHERE a.action = 'retention.purge'
            UNION ALL SELECT incident_id FROM releases)"""),
    ("citizen_calls", """
        SELECT max(CAST(json_extract(details, '$.call_id') AS INTEGER)) FROM audit_log
        WHERE action IN ('call.link_duplicate', 'ems.request')"""),
    ("ems_requests", """
        SELECT max(CAST(json_extract(details, '$.ems_request_id') AS INTEGER)) FROM audit_log
        WHERE action = 'ems.request'"""),
    ("missed_reports", "SELECT max(CAST(entity_id AS INTEGER)) FROM audit_log WHERE entity = 'missed_report'"),
)


def _v4_ids_never_reused(conn: sqlite3.Connection) -> None:
    for table, ids_used_sql in _V4_IDS_NEVER_REUSED:
        with_autoincrement(conn, table, ids_used_sql=ids_used_sql)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sql: str = ""
    #: run after ``sql``, in the same transaction: a change SQL alone cannot make (a table rebuild)
    step: Callable[[sqlite3.Connection], None] | None = None
    #: the migration rebuilds tables other tables reference: foreign-key enforcement is off
    #: while it runs (dropping a referenced table would cascade) and on again afterwards
    rebuilds_tables: bool = False


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "records: sensors, pulses, incidents with immutable revisions, shots, audio, audit log", _V1_RECORDS),
    Migration(2, "dispatch workflow: users, sessions, alerts, acknowledgments, CAD, units, calls, EMS, "
                 "dispositions, missed reports, releases, legal holds", _V2_WORKFLOW),
    Migration(3, "audio verdict on incidents and revisions: gunfire probability and review label", _V3_AUDIO_VERDICT),
    Migration(4, "ids never reused after a purge: incidents, citizen calls, EMS requests and missed-incident "
                 "reports get AUTOINCREMENT ids (tables rebuilt keeping every row, index and trigger), each "
                 "sequence above every id the audit log names", step=_v4_ids_never_reused, rebuilds_tables=True),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, *, now_ns: int, target: int = SCHEMA_VERSION) -> list[int]:
    """Bring the database up to ``target``; returns the versions applied (maybe none)."""
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema version {version} is newer than this Tocsin understands ({SCHEMA_VERSION}); upgrade Tocsin"
        )
    if version == 0:
        foreign = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        if foreign:
            raise SchemaError(f"not a Tocsin database: it already holds tables {sorted(r[0] for r in foreign)[:5]}")
    applied = []
    for m in MIGRATIONS:
        if m.version <= version or m.version > target:
            continue
        with _foreign_keys_off(conn, m.rebuilds_tables):
            if not _apply(conn, m, now_ns):
                continue
        applied.append(m.version)
    return applied


def _apply(conn: sqlite3.Connection, m: Migration, now_ns: int) -> bool:
    """One migration in one transaction; False when another connection applied it first."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-check inside the write lock: another process may have migrated meanwhile.
        if current_version(conn) >= m.version:
            conn.execute("ROLLBACK")
            return False
        for statement in _split(m.sql):
            conn.execute(statement)
        if m.step is not None:
            m.step(conn)
        if m.version == 1:
            conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ns INTEGER NOT NULL, description TEXT NOT NULL)")
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (m.version, now_ns, m.description))
        conn.execute(f"PRAGMA user_version = {m.version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


@contextlib.contextmanager
def _foreign_keys_off(conn: sqlite3.Connection, off: bool) -> Iterator[None]:
    """Foreign-key enforcement off on this connection meanwhile (when ``off``), then as it was.
    Set outside any transaction: inside one SQLite ignores the pragma."""
    was_on = off and bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    if was_on:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        if was_on:
            conn.execute("PRAGMA foreign_keys = ON")


def _split(sql: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies (``BEGIN … END;``) whole."""
    out, buf = [], []
    for line in sql.strip().splitlines():
        if not line.strip():
            continue
        buf.append(line)
        text = "\n".join(buf)
        if sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if buf:
        raise ValueError("incomplete SQL statement in migration: " + "\n".join(buf))
    return out
