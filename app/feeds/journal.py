"""The feed's durable intake journal: an SQLite file that records every accepted sensor
message once (keyed by sensor + sequence number, or sensor + clip id), before the
sensor is acknowledged.

It is the socket server's :class:`~app.feeds.sink.PulseSink` and its memory across
restarts: a sensor that resends after a crash gets "duplicate", never a second row.
WAL mode, ``synchronous=NORMAL``: a committed batch survives the process being killed.
The connection is opened lazily on the thread that first calls ``accept`` and used
only there.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Sequence

from app.feeds.sink import Intake

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intake (
    sensor TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    sent_ns INTEGER NOT NULL,
    received_ns INTEGER NOT NULL,
    stored_ns INTEGER NOT NULL,
    t_ns INTEGER,
    body TEXT NOT NULL,
    PRIMARY KEY (sensor, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clips (
    sensor TEXT NOT NULL,
    clip TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sent_ns INTEGER NOT NULL,
    received_ns INTEGER NOT NULL,
    stored_ns INTEGER NOT NULL,
    start_ns INTEGER NOT NULL,
    sample_rate_hz INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sensor, clip)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('schema_version', '1');
"""


def _body(it: Intake) -> str:
    p, h = it.pulse, it.health
    if p is not None:
        d: dict[str, Any] = {"sensor": p.sensor, "t_ns": p.t_ns, "snr_db": p.snr_db, "peak_db": p.peak_db,
                             "id": p.id, "features": dict(p.features)}
    elif h is not None:
        d = {"sensor": h.sensor, "t_ns": h.t_ns, "gps_lock": h.gps_lock, "clock_err_ns": h.clock_err_ns,
             "battery_pct": h.battery_pct, "on_mains": h.on_mains, "temperature_c": h.temperature_c,
             "mic_dbfs": h.mic_dbfs, "uptime_s": h.uptime_s}
    else:
        d = {}
    return json.dumps(d, separators=(",", ":"))


class SqliteJournal:
    """A :class:`~app.feeds.sink.PulseSink` on an SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self.last_stored_ns = 0

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def accept(self, batch: Sequence[Intake]) -> list[bool]:
        db = self._conn()
        out: list[bool] = []
        stored_ns = time.time_ns()
        db.execute("BEGIN IMMEDIATE")
        try:
            for it in batch:
                if it.kind == "audio":
                    a = it.audio
                    assert a is not None
                    cur = db.execute(
                        "INSERT OR IGNORE INTO clips VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (it.sensor, a.clip_id, it.seq, it.sent_ns, it.received_ns, stored_ns,
                         a.start_ns, a.sample_rate_hz, a.encoding, a.sha256, a.data),
                    )
                else:
                    t_ns = it.pulse.t_ns if it.pulse is not None else None
                    cur = db.execute(
                        "INSERT OR IGNORE INTO intake VALUES (?,?,?,?,?,?,?,?)",
                        (it.sensor, it.seq, it.kind, it.sent_ns, it.received_ns, stored_ns, t_ns, _body(it)),
                    )
                out.append(cur.rowcount == 1)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.last_stored_ns = stored_ns
        return out

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ reading (any thread, own connection)
    @staticmethod
    def read_counts(path: str | Path) -> dict[str, Any]:
        """Rows per kind, distinct (sensor, seq) pairs, and the audio clip count."""
        db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            kinds = dict(db.execute("SELECT kind, COUNT(*) FROM intake GROUP BY kind").fetchall())
            clips = db.execute("SELECT COUNT(*) FROM clips").fetchone()[0]
            return {"kinds": kinds, "clips": clips}
        finally:
            db.close()

    @staticmethod
    def read_latencies_ns(path: str | Path, *, kind: str = "pulse") -> list[int]:
        """stored_ns − sent_ns of every row of ``kind`` (send → stored latency)."""
        db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            return [r[0] for r in db.execute("SELECT stored_ns - sent_ns FROM intake WHERE kind = ?", (kind,))]
        finally:
            db.close()

    @staticmethod
    def read_keys(path: str | Path, *, kind: str = "pulse") -> list[tuple[str, int]]:
        db = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
        try:
            return [(r[0], r[1]) for r in db.execute("SELECT sensor, seq FROM intake WHERE kind = ?", (kind,))]
        finally:
            db.close()
