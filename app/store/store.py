"""``Store``: the one way into Tocsin's SQLite database.

* One connection per thread (``threading.local``); a connection is used only by the
  thread that opened it.  The console's GUI thread and its worker thread each get
  their own, and WAL lets readers run while a writer commits.
* Every write runs in ``transaction()`` — ``BEGIN IMMEDIATE`` … ``COMMIT`` — together
  with its audit entry, so a service either writes everything or nothing, and a change
  is durable (``synchronous=FULL``) before the call returns.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Iterator

import sqlite_utils

from app.fileutil import HEX64_RE, sha256_file
from app.store import audit
from app.store.clock import Clock, SystemClock
from app.store.errors import NotFoundError, ReadOnlySnapshotError, SchemaError, ValidationError
from app.store.incident_reads import IncidentReads
from app.store.incidents import IncidentRecords
from app.store.records import SensorRecord
from app.store.schema import SENSOR_STATUSES, current_version, migrate
from localization.geometry import LocalFrame
from localization.types import Pulse, Sensor


def default_db_path() -> Path:
    """``<user data dir>/tocsin/tocsin.sqlite3`` (platformdirs), or ``$TOCSIN_DB``."""
    env = os.environ.get("TOCSIN_DB")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("tocsin", appauthor=False)) / "tocsin.sqlite3"


_SNAPSHOT_READ_ONLY = ("the store is reading a snapshot (Store.read_snapshot) on this thread, and a snapshot is "
                       "read-only: write after the snapshot has ended")


class Store(IncidentRecords, IncidentReads):
    """Open with ``Store.open(path)``; share the object between threads freely."""

    def __init__(self, path: str | Path, *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock: Clock = clock or SystemClock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | Path, *, clock: Clock | None = None, create: bool = True) -> Store:
        """Open (creating and migrating when needed) the database at ``path``."""
        p = Path(path)
        if not create and not p.exists():
            raise NotFoundError(f"no database at {p}; create it with 'tocsin db init'")
        p.parent.mkdir(parents=True, exist_ok=True)
        store = cls(p, clock=clock)
        try:
            migrate(store.conn, now_ns=store.clock.now_ns())
        except sqlite3.DatabaseError as exc:
            store.close_all()
            raise SchemaError(f"{p} is not a usable SQLite database: {exc}") from exc
        except BaseException:
            store.close_all()
            raise
        return store

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so close_all() can close every thread's
        # connection at shutdown; each connection is otherwise used by one thread.
        conn = sqlite3.connect(str(self.path), timeout=30.0, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":  # pragma: no cover - e.g. a read-only medium
            raise SchemaError(f"could not switch {self.path} to WAL journaling (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 30000")
        with self._lock:
            self._all.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils ``Database``."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils.Database(self._connect())
            self._local.db = db
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            with self._lock:
                if db.conn in self._all:
                    self._all.remove(db.conn)
            db.conn.close()
            self._local.db = None

    def close_all(self) -> None:
        """Close every thread's connection (at shutdown, after workers have stopped)."""
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            with contextlib.suppress(sqlite3.Error):
                c.close()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close_all()

    # ------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one."""
        if getattr(self._local, "snapshot", False):
            raise ReadOnlySnapshotError(_SNAPSHOT_READ_ONLY)
        conn = self.conn
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            try:
                yield conn
            finally:
                self._local.depth = depth
            return
        if conn.in_transaction:
            # Someone wrote through store.conn outside transaction(); that open transaction
            # would otherwise swallow this one.  Refuse rather than commit unknown work.
            conn.execute("ROLLBACK")
            raise RuntimeError("this thread's connection had an open transaction not started by "
                               "Store.transaction(); write only inside Store.transaction()")
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            self._local.depth = 0

    @contextlib.contextmanager
    def read_snapshot(self) -> Iterator[sqlite3.Connection]:
        """Several reads that must see one state of the database: a deferred read transaction
        on this thread's connection (WAL: other connections keep writing meanwhile).  Inside
        a write transaction, or another snapshot, the reads simply join it.

        A snapshot only reads: while it is open, a write on this thread — through
        ``transaction()`` or straight on the connection — raises ``ReadOnlySnapshotError``
        and leaves the snapshot as it was."""
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN DEFERRED")
        conn.execute("PRAGMA query_only = ON")      # SQLite itself refuses writes on the connection
        self._local.snapshot = True
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if "readonly database" in str(exc):
                raise ReadOnlySnapshotError(f"{_SNAPSHOT_READ_ONLY} (SQLite: {exc})") from exc
            raise
        finally:
            self._local.snapshot = False
            conn.execute("PRAGMA query_only = OFF")
            if conn.in_transaction:
                conn.execute("COMMIT")

    def audit(self, conn: sqlite3.Connection, *, actor: str, action: str, entity: str,
              entity_id: object = None, details: dict | None = None, t_ns: int | None = None) -> int:
        return audit.append(conn, t_ns=self.clock.now_ns() if t_ns is None else t_ns, actor=actor,
                            action=action, entity=entity, entity_id=entity_id, details=details)

    # ------------------------------------------------------------- inspection
    def schema_version(self) -> int:
        return current_version(self.conn)

    def integrity_check(self) -> str:
        return "; ".join(r[0] for r in self.conn.execute("PRAGMA integrity_check"))

    def verify_audit(self) -> audit.AuditReport:
        return audit.verify(self.conn)

    def audit_entries(self, *, entity: str | None = None, entity_id: object = None, limit: int = 1000) -> list[dict]:
        sql, params = "SELECT * FROM audit_log", []
        if entity is not None:
            sql += " WHERE entity = ?"
            params.append(entity)
            if entity_id is not None:
                sql += " AND entity_id = ?"
                params.append(str(entity_id))
        sql += " ORDER BY seq DESC LIMIT ?"
        params.append(int(limit))
        rows = [dict(r) for r in self.conn.execute(sql, params)]
        for r in rows:
            r["details"] = json.loads(r["details"])
        return rows[::-1]

    def backup(self, dest: str | Path, *, actor: str = "system") -> Path:
        """A consistent online copy (SQLite backup API) written to ``dest``; audited."""
        dest = Path(dest)
        if dest.exists():
            raise ValidationError(f"backup target {dest} already exists; choose a new file name")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self.transaction() as conn:
            self.audit(conn, actor=actor, action="db.backup", entity="database", details={"dest": str(dest)})
        target = sqlite3.connect(str(dest))
        try:
            self.conn.backup(target)
        finally:
            target.close()
        return dest

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str, *, actor: str) -> None:
        with self.transaction() as conn:
            old = self.get_meta(key)
            conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         (key, value))
            self.audit(conn, actor=actor, action="meta.set", entity="meta", entity_id=key,
                       details={"old": old, "new": value})

    # ---------------------------------------------------------------- sensors
    def upsert_sensor(self, sensor: Sensor, *, frame: LocalFrame | None = None, status: str = "online",
                      actor: str = "system") -> None:
        if not sensor.id:
            raise ValidationError("sensor id must not be empty")
        if not all(math.isfinite(v) for v in (sensor.x_m, sensor.y_m, sensor.z_m)):
            raise ValidationError(f"sensor {sensor.id}: position must be finite metres")
        if status not in SENSOR_STATUSES:
            raise ValidationError(f"sensor status must be one of {', '.join(SENSOR_STATUSES)}, got {status!r}")
        lat = lon = None
        if frame is not None:
            la, lo, _ = frame.to_geodetic(sensor.x_m, sensor.y_m, sensor.z_m)
            lat, lon = float(la), float(lo)
        now = self.clock.now_ns()
        with self.transaction() as conn:
            existed = conn.execute("SELECT status FROM sensors WHERE id = ?", (sensor.id,)).fetchone()
            conn.execute(
                "INSERT INTO sensors (id, x_m, y_m, z_m, lat, lon, status, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET x_m = excluded.x_m, y_m = excluded.y_m, z_m = excluded.z_m, "
                "lat = excluded.lat, lon = excluded.lon, status = excluded.status, updated_ns = excluded.updated_ns",
                (sensor.id, sensor.x_m, sensor.y_m, sensor.z_m, lat, lon, status, now),
            )
            if existed is None or existed[0] != status:
                conn.execute("INSERT INTO sensor_status (sensor_id, t_ns, status, detail) VALUES (?, ?, ?, ?)",
                             (sensor.id, now, status, "registered" if existed is None else "updated"))
            self.audit(conn, actor=actor, action="sensor.upsert", entity="sensor", entity_id=sensor.id,
                       details={"x_m": sensor.x_m, "y_m": sensor.y_m, "z_m": sensor.z_m, "status": status})

    def set_sensor_status(self, sensor_id: str, status: str, *, detail: str | None = None, actor: str = "system") -> None:
        if status not in SENSOR_STATUSES:
            raise ValidationError(f"sensor status must be one of {', '.join(SENSOR_STATUSES)}, got {status!r}")
        now = self.clock.now_ns()
        with self.transaction() as conn:
            if conn.execute("UPDATE sensors SET status = ?, updated_ns = ? WHERE id = ?", (status, now, sensor_id)).rowcount == 0:
                raise NotFoundError(f"no sensor {sensor_id!r}")
            conn.execute("INSERT INTO sensor_status (sensor_id, t_ns, status, detail) VALUES (?, ?, ?, ?)",
                         (sensor_id, now, status, detail))
            self.audit(conn, actor=actor, action="sensor.status", entity="sensor", entity_id=sensor_id,
                       details={"status": status, "detail": detail})

    def sensors(self) -> list[SensorRecord]:
        return [SensorRecord(r["id"], r["x_m"], r["y_m"], r["z_m"], r["lat"], r["lon"], r["status"], r["updated_ns"])
                for r in self.conn.execute("SELECT * FROM sensors ORDER BY id")]

    def sensor_history(self, sensor_id: str) -> list[dict]:
        return [dict(r) for r in self.conn.execute(
            "SELECT t_ns, status, detail FROM sensor_status WHERE sensor_id = ? ORDER BY t_ns, id", (sensor_id,))]

    # ----------------------------------------------------------------- pulses
    def record_pulses(self, pulses: Iterable[Pulse], *, received_ns: int | None = None) -> int:
        """Store raw pulses as received (machine data: not audited one by one)."""
        now = self.clock.now_ns() if received_ns is None else int(received_ns)
        rows = []
        for p in pulses:
            if not p.sensor:
                raise ValidationError("pulse without a sensor id")
            if not isinstance(p.t_ns, int):
                raise ValidationError(f"pulse t_ns must be an integer nanosecond time, got {type(p.t_ns).__name__}")
            rows.append((p.id, p.sensor, p.t_ns, p.snr_db, p.peak_db, json.dumps(list(p.features)), now))
        with self.transaction() as conn:
            conn.executemany("INSERT INTO pulses (pulse_id, sensor_id, t_ns, snr_db, peak_db, features, received_ns) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def pulses_between(self, t0_ns: int, t1_ns: int, *, sensor: str | None = None) -> list[Pulse]:
        sql = "SELECT * FROM pulses WHERE t_ns >= ? AND t_ns < ?"
        params: list = [int(t0_ns), int(t1_ns)]
        if sensor is not None:
            sql += " AND sensor_id = ?"
            params.append(sensor)
        return [Pulse(sensor=r["sensor_id"], t_ns=r["t_ns"], snr_db=r["snr_db"], peak_db=r["peak_db"], id=r["pulse_id"],
                      features=tuple((str(k), float(v)) for k, v in json.loads(r["features"])))
                for r in self.conn.execute(sql + " ORDER BY t_ns, id", params)]

    # ------------------------------------------------------------------ audio
    def add_audio_clip(self, incident_id: int, path: str | Path, *, actor: str, sensor_id: str | None = None,
                       start_ns: int | None = None, duration_s: float | None = None,
                       sha256: str | None = None) -> str:
        """Register an audio clip file for an incident with its SHA-256: ``sha256`` when the
        caller has just hashed the file it wrote (``write_incident_clips`` does), else the
        file is hashed now.  Returns the digest stored."""
        p = Path(path)
        if not p.is_file():
            raise ValidationError(f"audio clip {p} does not exist")
        if sha256 is None:
            digest = sha256_file(p)
        elif HEX64_RE.fullmatch(sha256):
            digest = sha256
        else:
            raise ValidationError(f"audio clip {p}: sha256 must be 64 lowercase hex digits, got {sha256!r}")
        with self.transaction() as conn:
            self._require_incident(conn, incident_id)
            conn.execute("INSERT INTO audio_clips (incident_id, sensor_id, path, sha256, start_ns, duration_s, added_ns) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (incident_id, sensor_id, str(p), digest, start_ns, duration_s, self.clock.now_ns()))
            self.audit(conn, actor=actor, action="audio.add", entity="incident", entity_id=incident_id,
                       details={"path": str(p), "sha256": digest, "sensor": sensor_id})
        return digest

    def audio_clips(self, incident_id: int) -> list[sqlite3.Row]:
        """The incident's registered clips (sensor_id, path, sha256, start_ns, duration_s),
        oldest first — without reading the rest of the incident."""
        return self.conn.execute("SELECT sensor_id, path, sha256, start_ns, duration_s FROM audio_clips "
                                 "WHERE incident_id = ? ORDER BY id", (incident_id,)).fetchall()

    def verify_audio(self, incident_id: int) -> list[tuple[str, bool]]:
        """(path, file still matches its recorded SHA-256) for each clip of an incident."""
        out = []
        for r in self.audio_clips(incident_id):
            p = Path(r["path"])
            out.append((r["path"], p.is_file() and sha256_file(p) == r["sha256"]))
        return out
