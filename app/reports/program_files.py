"""A program report for one month (or year) written to files — the run the console's
Reports menu starts (the CLI has its own, with a text progress bar).  No Qt; the long
part takes a plain ``progress(done, total, label)`` callback that may raise
``Cancelled``."""
from __future__ import annotations

from pathlib import Path

from app.reports import period as periods
from app.reports.progress import ProgressCallback, no_progress


def write_program_report(store, when: str, *, agency, out_dir: str | Path, exercise: bool = False, pdf: bool = True,
                         progress: ProgressCallback = no_progress) -> list[Path]:
    """``when``: a month ``2014-07`` or a year ``2014`` (the agency's time zone).  Writes
    ``program-<period>[-exercise].html`` (and ``.pdf``) in ``out_dir``; returns the paths."""
    from app.reports import to_html, to_pdf
    from app.reports.program import program_report
    from app.reports.program_doc import program_document

    when = when.strip()
    per = periods.year(when, agency.timezone) if when.isdigit() else periods.month(when, agency.timezone)
    report = program_report(store, per, coverage=agency.coverage, exercise=exercise, progress=progress)
    doc = program_document(report, agency=agency.name, exercise=exercise)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"program-{per.label}" + ("-exercise" if exercise else "")
    paths = [out / f"{stem}.html"]
    paths[0].write_text(to_html(doc), encoding="utf-8")
    if pdf:
        paths.append(out / f"{stem}.pdf")
        to_pdf(doc, paths[-1])
    return paths
