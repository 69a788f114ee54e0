"""``tocsin db init | verify | purge | backup | export | user`` — the incident database.

Acting users authenticate with their password, read from ``$TOCSIN_PASSWORD`` or asked
for on the terminal.  Every command works on ``--db PATH`` (default: the platformdirs
user data dir, or ``$TOCSIN_DB``).
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from app.cli import CliError


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", type=Path, default=None, help="database file (default: user data dir or $TOCSIN_DB)")
    return p


def _user_opts() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--user", required=True, help="your user id (password from $TOCSIN_PASSWORD or prompted)")
    p.add_argument("--agency", default="default", help="agency profile: a shipped name or a TOML path (default: default)")
    return p


def register(subparsers) -> None:
    db = subparsers.add_parser("db", help="incident database: init, verify, purge, backup, export, users")
    sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    common, user = _common(), _user_opts()

    p = sub.add_parser("init", parents=[common], help="create (or migrate) the database")
    p.add_argument("--admin", help="create the first admin account with this user id")
    p.add_argument("--name", default=None, help="the admin's full name")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("verify", parents=[common], help="SQLite integrity check and audit hash chain")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("purge", parents=[common, user], help="delete data past retention (legal holds kept)")
    p.add_argument("--years", type=float, default=None, help="override the agency's retention years")
    p.add_argument("--dry-run", action="store_true", help="report what would be purged, change nothing")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("backup", parents=[common], help="consistent online copy of the database")
    p.add_argument("dest", type=Path)
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("export", parents=[common, user], help="export incidents as CAP, EIDO, GeoJSON or CSV")
    p.add_argument("--format", required=True, choices=("cap", "eido", "geojson", "csv"))
    p.add_argument("--incident", action="append", default=[], help="incident uid or #id (repeatable; default: all matching)")
    p.add_argument("--since", help="only incidents starting on/after this ISO date")
    p.add_argument("--until", help="only incidents starting before this ISO date")
    p.add_argument("--limit", type=int, default=10000)
    p.add_argument("--recipient", default="internal", help="who receives it; anything but 'internal' is a release")
    p.add_argument("--public", action="store_true", help="public release: no sensor ids or positions")
    p.add_argument("--out", type=Path, help="output file (directory for CAP with several incidents); default stdout")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("user", parents=[common], help="manage users: add, unlock, list")
    p.add_argument("action", choices=("add", "unlock", "list"))
    p.add_argument("user_id", nargs="?")
    p.add_argument("--name")
    p.add_argument("--role", choices=("dispatcher", "supervisor", "analyst", "trainer", "admin"))
    p.add_argument("--as", dest="actor", help="acting admin (password from $TOCSIN_PASSWORD or prompted)")
    p.add_argument("--new-password-env", default="TOCSIN_NEW_PASSWORD",
                   help="environment variable holding the new user's password (else prompted)")
    p.set_defaults(func=cmd_user)


# ----------------------------------------------------------------- helpers
def open_store(path: Path | None, *, create: bool = False):
    from app.store import Store, StoreError, default_db_path

    p = path or default_db_path()
    try:
        return Store.open(p, create=create)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _password(prompt: str, env: str = "TOCSIN_PASSWORD") -> str:
    pw = os.environ.get(env)
    if pw is None:
        if not sys.stdin.isatty():
            raise CliError(f"no password: set ${env} or run in a terminal")
        pw = getpass.getpass(prompt)
    return pw


def authenticate(store, user_id: str):
    from app.dispatch.users import Users
    from app.store import StoreError

    users = Users(store)
    try:
        session = users.login(user_id, _password(f"password for {user_id}: "), monitoring=False)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    users.logout(session.id)
    return session.user


def _agency(name: str):
    from app.dispatch.agency import load_agency
    from app.store import StoreError

    try:
        return load_agency(name)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _date_ns(text: str | None) -> int | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"not an ISO date: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1_000_000_000


# ---------------------------------------------------------------- commands
def cmd_init(args) -> int:
    from app.dispatch.users import Users
    from app.store import StoreError

    store = open_store(args.db, create=True)
    with store:
        print(f"database {store.path} at schema version {store.schema_version()}")
        if args.admin:
            try:
                Users(store).create(args.admin, args.name or args.admin, "admin",
                                    _password(f"new password for {args.admin}: "), actor=None)
            except StoreError as exc:
                raise CliError(str(exc)) from None
            print(f"created admin {args.admin}")
    return 0


def cmd_verify(args) -> int:
    store = open_store(args.db)
    with store:
        integrity = store.integrity_check()
        report = store.verify_audit()
        print(f"integrity_check: {integrity}")
        print(report)
    return 0 if integrity == "ok" and report.ok else 1


def cmd_purge(args) -> int:
    from app.dispatch.retention import Retention
    from app.store import StoreError

    store = open_store(args.db)
    with store:
        user = authenticate(store, args.user)
        if user.role != "admin":
            raise CliError(f"{user.role} {user.id!r} may not purge; needs role admin")
        try:
            r = Retention(store, _agency(args.agency)).purge(actor=user.id, years=args.years, dry_run=args.dry_run)
        except StoreError as exc:
            raise CliError(str(exc)) from None
        verb = "would purge" if r.dry_run else "purged"
        print(f"{verb} {len(r.incident_ids)} incidents, {r.pulses} pulses, {r.missed_reports} missed reports, "
              f"{len(r.audio_files_removed)} audio files; {len(r.held_ids)} kept under legal hold")
    return 0


def cmd_backup(args) -> int:
    from app.store import StoreError

    store = open_store(args.db)
    with store:
        try:
            dest = store.backup(args.dest, actor=f"cli:{getpass.getuser()}")
        except StoreError as exc:
            raise CliError(str(exc)) from None
    print(f"backup written to {dest}")
    return 0


def cmd_export(args) -> int:
    from app.dispatch.release import Releases
    from app.store import IncidentQuery, StoreError

    store = open_store(args.db)
    with store:
        user = authenticate(store, args.user)
        try:
            if args.incident:
                ids = [int(i[1:]) if i.startswith("#") else store.incident_id_for(i) for i in args.incident]
            else:
                q = IncidentQuery(since_ns=_date_ns(args.since), until_ns=_date_ns(args.until))
                ids = [r.id for r in store.list_incidents(q, limit=args.limit)]
            if not ids:
                raise CliError("no incidents match")
            result = Releases(store, _agency(args.agency)).export(ids, args.format, user_id=user.id,
                                                                  recipient=args.recipient, public=args.public)
        except (StoreError, ValueError) as exc:
            raise CliError(str(exc)) from None
    files = result.files
    if args.out is None:
        for content in files.values():
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.write(b"\n")
    elif len(files) == 1 and not args.out.is_dir():
        args.out.write_bytes(next(iter(files.values())))
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (args.out / name).write_bytes(content)
        print(f"wrote {len(files)} files to {args.out}", file=sys.stderr)
    return 0


def cmd_user(args) -> int:
    from app.dispatch.users import Users
    from app.store import StoreError

    store = open_store(args.db)
    with store:
        users = Users(store)
        try:
            if args.action == "list":
                for u in users.list():
                    flags = ("locked " if u.locked else "") + ("" if u.active else "inactive")
                    print(f"{u.id:20} {u.role:11} {u.name} {flags}".rstrip())
                return 0
            if not args.user_id or not args.actor:
                raise CliError(f"user {args.action} needs USER_ID and --as ADMIN")
            actor = authenticate(store, args.actor)
            if args.action == "add":
                if not args.role:
                    raise CliError("user add needs --role")
                pw = _password(f"new password for {args.user_id}: ", env=args.new_password_env)
                users.create(args.user_id, args.name or args.user_id, args.role, pw, actor=actor.id)
                print(f"created {args.role} {args.user_id}")
            else:
                users.unlock(args.user_id, actor=actor.id)
                print(f"unlocked {args.user_id}")
        except StoreError as exc:
            raise CliError(str(exc)) from None
    return 0
