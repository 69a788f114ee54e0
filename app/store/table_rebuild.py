"""Rebuilding a table inside a migration (SQLite's "other kinds of table schema changes").

SQLite cannot add AUTOINCREMENT to an existing table: the table is made again under a
new name with the new definition, every row copied with its id, the old table dropped,
the new one renamed, and the old table's indexes and triggers made again.  The caller
(``schema.migrate``) runs this inside the migration's one transaction, with foreign-key
enforcement off — dropping a table others reference would otherwise delete their rows
through ``ON DELETE CASCADE``, which this module refuses to risk.  Ids are copied as
they are, so every row that named a row of the rebuilt table still names it.
"""
from __future__ import annotations

import re
import sqlite3

from app.store.errors import SchemaError

_REBUILT_SUFFIX = "_rebuilt"


def with_autoincrement(conn: sqlite3.Connection, table: str, *, ids_used_sql: str) -> None:
    """Give ``table`` (``id INTEGER PRIMARY KEY``) an AUTOINCREMENT id, keeping every row,
    index and trigger as they were, and start its sequence above both its largest id and the
    largest id ``ids_used_sql`` (one value, or NULL) finds named elsewhere — ids of rows
    deleted before the rebuild that the audit log or other records still name."""
    if conn.execute("PRAGMA foreign_keys").fetchone()[0]:
        raise SchemaError(f"cannot rebuild table {table} with foreign-key enforcement on: dropping it would "
                          "delete the rows that reference it (Migration.rebuilds_tables turns it off)")
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if row is None:
        raise SchemaError(f"cannot rebuild table {table}: the database has no such table")
    ddl, n_head = re.subn(rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {table}{_REBUILT_SUFFIX} (", row[0])
    ddl, n_key = re.subn(r"\bid INTEGER PRIMARY KEY(?=,)", "id INTEGER PRIMARY KEY AUTOINCREMENT", ddl)
    if (n_head, n_key) != (1, 1):
        raise SchemaError(f"cannot rebuild table {table}: its definition is not one Tocsin made "
                          f"(expected 'CREATE TABLE {table} (id INTEGER PRIMARY KEY, …'): {row[0][:120]!r}")
    # Indexes and triggers go with the dropped table; the ones SQLite makes itself (UNIQUE,
    # sql NULL) come back with the new definition.
    others = [r[0] for r in conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "ORDER BY type, name", (table,))]
    cols = ", ".join(f'"{r[1]}"' for r in conn.execute(f'PRAGMA table_info("{table}")'))
    conn.execute(ddl)
    conn.execute(f'INSERT INTO {table}{_REBUILT_SUFFIX} ({cols}) SELECT {cols} FROM "{table}" ORDER BY id')
    conn.execute(f'DROP TABLE "{table}"')
    conn.execute(f'ALTER TABLE {table}{_REBUILT_SUFFIX} RENAME TO "{table}"')
    for sql in others:
        conn.execute(sql)
    used = conn.execute(ids_used_sql).fetchone()[0]
    if used is not None and int(used) > 0:
        if conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (int(used), table)).rowcount == 0:
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, int(used)))
