"""Analyst reports: the program report (month / year) and the Investigative Lead Summary,
as HTML (inline SVG charts) and PDF (fpdf2), generated offline from the store.  No Qt.

    report = program_report(store, period.month("2014-07", "America/Los_Angeles"))
    html = to_html(program_document(report)); to_pdf(program_document(report), "r.pdf")
"""
from app.reports.blocks import Document
from app.reports.html import to_html
from app.reports.period import Period, month, year
from app.reports.program import ProgramReport, program_report
from app.reports.program_doc import program_document

__all__ = ["Document", "Period", "ProgramReport", "month", "program_document", "program_report", "to_html", "year"]


def to_pdf(doc: Document, path=None) -> bytes:
    """PDF bytes of ``doc`` (written to ``path`` when given); imports fpdf2 on first use."""
    from app.reports.pdf import to_pdf as _to_pdf

    return _to_pdf(doc, path)
