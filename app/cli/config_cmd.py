"""``tocsin config init | show | check`` — the deployment configuration (``app.config``)."""
from __future__ import annotations

import argparse
import json

from app.cli import CliError


def register(sub) -> None:
    p = sub.add_parser("config", help="deployment configuration: write a template, show it, check it")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)

    init = csub.add_parser("init", help="write a commented tocsin.toml (never overwrites)")
    init.add_argument("--path", help="where to write it (default: --config, $TOCSIN_CONFIG or the user config dir)")
    init.add_argument("--config", help=argparse.SUPPRESS)
    init.set_defaults(func=cmd_init)

    show = csub.add_parser("show", help="print the effective configuration and where each value comes from")
    show.add_argument("--config", metavar="PATH", help="configuration file (default: $TOCSIN_CONFIG or the user "
                                                       "config dir)")
    show.add_argument("--json", action="store_true", help="as JSON")
    show.set_defaults(func=cmd_show)

    check = csub.add_parser("check", help="validate everything the configuration names (exit 1 on an error)")
    check.add_argument("--config", metavar="PATH", help="configuration file")
    check.set_defaults(func=cmd_check)


def load(path: str | None, *, missing_ok: bool = True):
    from app.config import ConfigError, load_config

    try:
        return load_config(path, missing_ok=missing_ok)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def cmd_init(args) -> int:
    from app.config import ConfigError, resolve_config_path, write_template

    path, why = resolve_config_path(args.path or args.config)
    try:
        write_template(path)
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc}") from None
    print(f"wrote {path} ({why}); edit it, then run `tocsin config check`")
    return 0


def cmd_show(args) -> int:
    cfg = load(args.config)
    if args.json:
        print(json.dumps({"path": str(cfg.path), "exists": cfg.exists,
                          "values": {k: {"value": None if v is None else (v if isinstance(v, (bool, int, float)) else str(v)),
                                         "source": src} for k, v, src in cfg.items()}}, indent=2))
        return 0
    print(f"# configuration file: {cfg.path} ({cfg.path_source}{'' if cfg.exists else '; does not exist — defaults'})")
    rows = [(k, "(not set)" if v is None else str(v).lower() if isinstance(v, bool) else str(v), src)
            for k, v, src in cfg.items()]
    wk = max(len(r[0]) for r in rows)
    wv = max(len(r[1]) for r in rows)
    for k, v, src in rows:
        print(f"{k:<{wk}}  {v:<{wv}}  # {src}")
    return 0


def cmd_check(args) -> int:
    from app.config import check_config, has_errors

    cfg = load(args.config)
    findings = check_config(cfg)
    marks = {"ok": "ok     ", "warning": "WARNING", "error": "ERROR  "}
    for f in findings:
        print(f"{marks[f.level]} {f.key}: {f.message}")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = sum(1 for f in findings if f.level == "warning")
    print(f"{errors} error(s), {warnings} warning(s)" + ("" if errors else " — ready for `tocsin console --live`"))
    return 1 if has_errors(findings) else 0
