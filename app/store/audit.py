"""The append-only audit log, chained by SHA-256.

Each row's ``hash`` covers its own fields and the previous row's hash, so editing,
reordering or deleting any row breaks every hash after it; ``audit_head`` holds the
last (seq, hash) so deleting rows at the end is caught too.  Rows are written inside
the same transaction as the change they describe, under SQLite's write lock, so two
writers (threads or processes) can never fork the chain.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

GENESIS_HASH = "0" * 64


def _canonical(seq: int, t_ns: int, actor: str, action: str, entity: str, entity_id: str | None,
               details: str, prev_hash: str) -> bytes:
    return json.dumps([seq, t_ns, actor, action, entity, entity_id, details, prev_hash],
                      ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(seq: int, t_ns: int, actor: str, action: str, entity: str, entity_id: str | None,
             details: str, prev_hash: str) -> str:
    return hashlib.sha256(_canonical(seq, t_ns, actor, action, entity, entity_id, details, prev_hash)).hexdigest()


def append(conn: sqlite3.Connection, *, t_ns: int, actor: str, action: str, entity: str,
           entity_id: object = None, details: dict | None = None) -> int:
    """Append one entry; the caller holds the write transaction.  Returns its ``seq``."""
    if not conn.in_transaction:
        raise RuntimeError("audit.append must run inside the write transaction of the change it records")
    if not actor:
        raise ValueError("every audit entry needs an actor")
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    eid = None if entity_id is None else str(entity_id)
    text = json.dumps(details or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    h = row_hash(seq, t_ns, actor, action, entity, eid, text, prev)
    conn.execute(
        "INSERT INTO audit_log (seq, t_ns, actor, action, entity, entity_id, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, t_ns, actor, action, entity, eid, text, prev, h),
    )
    conn.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
                 "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash", (seq, h))
    return seq


@dataclass(frozen=True, slots=True)
class AuditReport:
    ok: bool
    entries: int
    problems: tuple[str, ...]

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries"
        shown = "; ".join(self.problems[:5]) + (f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else "")
        return f"audit chain BROKEN ({len(self.problems)} problems in {self.entries} entries): {shown}"


def verify(conn: sqlite3.Connection) -> AuditReport:
    """Walk the whole chain; report every gap, edited row and broken link."""
    problems: list[str] = []
    prev, expected_seq, n = GENESIS_HASH, 1, 0
    for seq, t_ns, actor, action, entity, eid, details, prev_hash, h in conn.execute(
        "SELECT seq, t_ns, actor, action, entity, entity_id, details, prev_hash, hash FROM audit_log ORDER BY seq"
    ):
        n += 1
        if seq != expected_seq:
            problems.append(f"entries {expected_seq}–{seq - 1} are missing")
        if prev_hash != prev:
            problems.append(f"entry {seq} does not link to the entry before it")
        if row_hash(seq, t_ns, actor, action, entity, eid, details, prev_hash) != h:
            problems.append(f"entry {seq} was altered after it was written")
        prev, expected_seq = h, seq + 1
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    if head is None and n:
        problems.append("audit head record is missing")
    elif head is not None and (head[0] != expected_seq - 1 or head[1] != prev):
        problems.append(f"the log ends at entry {expected_seq - 1} but the head records entry {head[0]}: "
                        "entries were deleted from the end or the head was edited")
    return AuditReport(ok=not problems, entries=n, problems=tuple(problems))
