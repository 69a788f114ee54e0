"""``tocsin import-history FILE`` — bring an agency's years of incident history across
from another vendor's CSV export, with a column mapping (built in or a TOML file)."""
from __future__ import annotations

from pathlib import Path

from app.cli import CliError


def register(subparsers) -> None:
    from app.exports.history import BUILTIN

    p = subparsers.add_parser("import-history", help="import incident history from a CSV export")
    p.add_argument("file", type=Path)
    p.add_argument("--mapping", help=f"built-in mapping ({', '.join(BUILTIN)}) or a TOML mapping file; "
                                     "guessed from the file name when omitted")
    p.add_argument("--db", type=Path, default=None, help="database file (default: user data dir or $TOCSIN_DB)")
    p.add_argument("--user", required=True, help="importing analyst or admin (password from $TOCSIN_PASSWORD)")
    p.set_defaults(func=cmd_import)


def cmd_import(args) -> int:
    from app.cli.db_cmd import authenticate, open_store
    from app.exports.history import guess_mapping, import_history, load_mapping
    from app.store import StoreError

    if not args.file.is_file():
        raise CliError(f"no such file: {args.file}")
    try:
        mapping = load_mapping(args.mapping) if args.mapping else guess_mapping(args.file)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    if mapping is None:
        raise CliError(f"cannot guess the column mapping for {args.file.name}; pass --mapping")
    store = open_store(args.db)
    with store:
        user = authenticate(store, args.user)
        if user.role not in ("analyst", "admin"):
            raise CliError(f"{user.role} {user.id!r} may not import history; needs role analyst or admin")
        try:
            report = import_history(store, args.file, mapping, actor=user.id)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    print(f"{args.file.name} ({mapping.name}): {report.summary()}")
    return 0
