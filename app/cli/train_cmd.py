"""``tocsin train SCENARIO.toml`` (training mode), ``tocsin train --list`` and
``tocsin train SCENARIO --headless`` — play a scenario through the engine into a separate
exercise database, score the trainee (the scenario's scripted one, or none with
``--no-trainee``) and write the after-action report (HTML, ``--pdf`` too)."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from app.cli import CliError


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="trainer mode: scripted scenarios, trainee scoring, after-action report")
    p.add_argument("scenario", nargs="?", help="scenario file, or the name of a shipped one (see --list)")
    p.add_argument("--list", action="store_true", help="list the shipped scenarios")
    p.add_argument("--headless", action="store_true", help="no console: play the scenario with its scripted trainee")
    p.add_argument("--no-trainee", action="store_true", help="with --headless: an absent trainee (does nothing)")
    p.add_argument("--db", type=Path, default=None, help="training database file (default: a new temporary file; "
                                                         "never the real incident database)")
    p.add_argument("--out", type=Path, default=Path("."), help="directory for the after-action report (default: .)")
    p.add_argument("--pdf", action="store_true", help="also write the after-action report as PDF (the console "
                                                      "always writes both)")
    p.add_argument("--user", default=None, help="console: sign in as this training user (disp1, sup1, ...; "
                                                "default: the sign-in dialog, disp1 with --screenshot)")
    p.add_argument("--speed", type=float, default=1.0, help="console: scenario seconds per wall-clock second")
    p.add_argument("--screenshot", metavar="PATH", help="console: render offscreen after --after seconds, save "
                                                        "the window as PATH (PNG), close and write the report")
    p.add_argument("--after", type=float, default=8.0, metavar="S", help="seconds before the screenshot")
    p.add_argument("--size", default="1600x1000", help="window size WxH for screenshots")
    p.set_defaults(func=cmd_train)


def cmd_train(args) -> int:
    from app.training import ScenarioError, load_scenario, shipped_scenarios

    if args.list:
        for path in shipped_scenarios():
            try:
                sc = load_scenario(path)
                print(f"{path.stem:32s} {sc.title}  [{sc.agency}; {len(sc.events)} events, {len(sc.calls)} calls, "
                      f"{len(sc.expectations)} expected actions]")
            except ScenarioError as exc:
                print(f"{path.stem:32s} INVALID: {exc}")
        return 0
    if not args.scenario:
        raise CliError("name a scenario file (or use --list)")
    try:
        sc = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise CliError(str(exc)) from None
    if not args.headless:
        if not args.speed > 0:
            raise CliError(f"--speed must be > 0, got {args.speed}")
        from app.cli.train_console import run_training_console

        return run_training_console(sc, db=_training_db(args), out_dir=args.out, speed=args.speed,
                                    user_id=args.user, screenshot=args.screenshot, after_s=args.after,
                                    size=args.size)
    return _headless(sc, args)


def _training_db(args) -> Path:
    """A new database file for the run: ``--db`` (never the real records, never an
    existing file) or a new temporary one."""
    from app.store import default_db_path

    if args.db is not None:
        if args.db.resolve() == default_db_path().resolve():
            raise CliError("refusing to run training on the real incident database; choose another --db")
        if args.db.exists():
            raise CliError(f"{args.db} already exists; a training run needs a new, separate database file")
        return args.db
    return Path(tempfile.mkdtemp(prefix="tocsin-training-")) / "training.sqlite3"


def _headless(sc, args) -> int:
    from app.reports import to_html, to_pdf
    from app.training import run_headless, score_session
    from app.training.after_action import after_action_document

    db = _training_db(args)
    t0 = time.perf_counter()
    print(f"TRAINING — {sc.title} ({sc.id}); exercise database {db}", file=sys.stderr)
    session = run_headless(sc, db, script=[] if args.no_trainee else None)
    result = score_session(session)
    session.store.close_all()
    for r in result.results:
        print(f"  {r.status:6s} {r.expectation.action:17s} {r.expectation.ref:14s} {r.detail}")
    doc = after_action_document(session, result)
    args.out.mkdir(parents=True, exist_ok=True)
    html = args.out / f"after-action-{sc.id}.html"
    html.write_text(to_html(doc), encoding="utf-8")
    written = [html]
    if args.pdf:
        written.append(args.out / f"after-action-{sc.id}.pdf")
        to_pdf(doc, written[-1])
    print(f"score {result.percent:.0f} % ({result.count('met')} met, {result.count('late')} late, "
          f"{result.count('wrong')} wrong, {result.count('missed')} missed); "
          f"{sum(1 for s in session.stimuli if s.kind == 'alert')} alerts; wrote {', '.join(map(str, written))} "
          f"in {time.perf_counter() - t0:.1f} s")
    return 0
