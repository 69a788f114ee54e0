"""``tocsin report program --month 2014-07 | --year 2014 [--pdf]`` and
``tocsin report ils INCIDENT_ID [--pdf]`` — analyst reports written as HTML (and PDF)
files, offline, from the incident database.  A text progress bar on stderr for long runs."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.cli import CliError


def register(subparsers) -> None:
    rep = subparsers.add_parser("report", help="analyst reports: program report (month/year), investigative lead summary")
    sub = rep.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=None, help="database file (default: user data dir or $TOCSIN_DB)")
    common.add_argument("--out", type=Path, default=Path("."), help="directory for the report files (default: .)")
    common.add_argument("--pdf", action="store_true", help="also write a PDF next to the HTML")
    common.add_argument("--agency", default="default", help="agency profile (name or TOML path) for the time zone, "
                                                            "name and coverage area (default: default)")
    common.add_argument("--tz", default=None, help="IANA time zone for local dates (default: the agency's)")
    common.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("program", parents=[common], help="program report for a month or a year")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--month", help="calendar month, e.g. 2014-07")
    when.add_argument("--year", help="calendar year, e.g. 2014")
    p.add_argument("--exercise", action="store_true", help="report on exercise (training) incidents instead of real ones")
    p.set_defaults(func=cmd_program)

    p = sub.add_parser("ils", parents=[common], help="Investigative Lead Summary of one incident")
    p.add_argument("incident", help="incident number (#12 or 12) or uid")
    p.set_defaults(func=cmd_ils)


def _agency(name: str):
    from app.dispatch.agency import load_agency
    from app.store import StoreError

    try:
        return load_agency(name)
    except StoreError as exc:
        raise CliError(str(exc)) from None


def _write(doc, out_dir: Path, stem: str, pdf: bool) -> list[Path]:
    from app.reports import to_html, to_pdf

    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / f"{stem}.html"
    html.write_text(to_html(doc), encoding="utf-8")
    paths = [html]
    if pdf:
        paths.append(out_dir / f"{stem}.pdf")
        to_pdf(doc, paths[-1])
    return paths


def cmd_program(args) -> int:
    from app.cli.db_cmd import open_store
    from app.reports import period as periods
    from app.reports.program import program_report
    from app.reports.program_doc import program_document
    from app.reports.progress import TextProgress, no_progress

    agency = _agency(args.agency)
    tz = args.tz or agency.timezone
    try:
        per = periods.month(args.month, tz) if args.month else periods.year(args.year, tz)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    t0 = time.perf_counter()
    bar = no_progress if args.quiet else TextProgress()
    store = open_store(args.db)
    with store:
        report = program_report(store, per, coverage=agency.coverage, exercise=args.exercise, progress=bar)
    doc = program_document(report, agency=agency.name, exercise=args.exercise)
    stem = f"program-{per.label}" + ("-exercise" if args.exercise else "")
    paths = _write(doc, args.out, stem, args.pdf)
    print(f"{per.title}: {report.activations} activations, {report.rounds_total} rounds, "
          f"{report.with_calls} also called in; wrote {', '.join(map(str, paths))} "
          f"in {time.perf_counter() - t0:.2f} s", file=sys.stdout)
    return 0


def cmd_ils(args) -> int:
    from app.cli.db_cmd import open_store
    from app.reports.ils import ils_document, lead_summary
    from app.store import StoreError

    agency = _agency(args.agency)
    tz = args.tz or agency.timezone
    store = open_store(args.db)
    with store:
        ref = args.incident.lstrip("#")
        try:
            iid = int(ref) if ref.isdigit() else store.incident_id_for(args.incident)
            summary = lead_summary(store, iid, tz=tz)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    doc = ils_document(summary, agency=agency.name)
    paths = _write(doc, args.out, f"ils-{summary.incident.id}", args.pdf)
    print(f"Investigative Lead Summary of incident #{summary.incident.id} ({summary.incident.rounds} rounds, "
          f"{len(summary.shots)} located shots): wrote {', '.join(map(str, paths))}")
    return 0
