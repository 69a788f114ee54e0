"""Program report: counts on hand-made incidents (each figure can fail), month/year
periods in local time, HTML/PDF output, the CLI, and the real San Francisco history
checked against an independent count of the CSV."""
from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.cli import main as cli_main
from app.exports.history import BUILTIN, import_history
from app.reports import month, program_document, program_report, to_html, to_pdf, year
from app.reports.progress import TextProgress
from app.store import Store
from app.store.records import ImportedIncident

LA = "America/Los_Angeles"


def _ns(y, mo, d, h=12, mi=0, tz=LA) -> int:
    return int(datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz)).timestamp()) * 10**9


@pytest.fixture
def small(tmp_path):
    store = Store.open(tmp_path / "r.sqlite3")
    recs = [
        ImportedIncident("t:1", _ns(2014, 7, 1, 0, 30), "single_gunshot", 1, 37.75, -122.40, "1 A St", "founded", ("casings",)),
        ImportedIncident("t:2", _ns(2014, 7, 4, 23, 10), "multiple_gunshots", 12, 37.76, -122.41, "2 B St", "unfounded"),
        ImportedIncident("t:3", _ns(2014, 7, 31, 23, 59), "multiple_gunshots", 3, 37.74, -122.39, "3 C St", None),
        # 00:30 on 1 August local is still 31 July in UTC: must count for August, not July
        ImportedIncident("t:4", _ns(2014, 8, 1, 0, 30), "single_gunshot", 1, 37.75, -122.40, "4 D St", "other_source"),
        ImportedIncident("t:5", _ns(2014, 6, 30, 23, 0), "single_gunshot", 1, 37.75, -122.40, None, None),
    ]
    store.import_incidents(recs, actor="tester", source_label="unit")
    yield store
    store.close_all()


def test_month_counts_by_local_calendar(small):
    r = program_report(small, month("2014-07", LA))
    assert r.activations == 3
    assert r.by_kind == {"multiple_gunshots": 2, "single_gunshot": 1}
    assert r.rounds_total == 16 and r.rounds_max == 12 and r.rounds_median == 3
    assert r.dispositions == {"founded": 1, "unfounded": 1, "other_source": 0, "not recorded": 1}
    assert r.by_slice["01"] == 1 and r.by_slice["04"] == 1 and r.by_slice["31"] == 1 and len(r.by_slice) == 31
    assert r.by_hour[0] == 1 and r.by_hour[23] == 2
    assert r.by_weekday["Tue"] == 1  # 1 July 2014 was a Tuesday
    assert [s.uid for s in r.significant] == ["t:2"] and r.significant[0].why == ("12 rounds",)
    assert r.with_calls == 0 and r.without_calls == 3
    aug = program_report(small, month("2014-08", LA))
    assert aug.activations == 1 and aug.dispositions["other_source"] == 1


def test_year_report_and_progress(small):
    seen = []
    r = program_report(small, year(2014, LA), progress=lambda d, t, label: seen.append((d, t)))
    assert r.activations == 5 and list(r.by_slice)[:2] == ["Jan", "Feb"] and r.by_slice["Jul"] == 3
    assert seen[-1][0] == seen[-1][1] and len(seen) >= 13
    assert sum(sum(row) for row in r.heat.counts) == 5


def test_workflow_figures_calls_and_response_times(tmp_path):
    from app.dispatch import CitizenCalls, MissedIncidents, Workflow, default_agency
    from app.dispatch.users import Users
    from app.store.clock import ManualClock
    from localization.sim import scenarios as sc  # noqa: F401 - engine types for a recorded incident
    from tests_support_incident import engine_incident

    clock = ManualClock(_ns(2014, 7, 10, 12, 0, "UTC"))
    store = Store.open(tmp_path / "w.sqlite3", clock=clock)
    agency = default_agency()
    users = Users(store)
    users.create("admin", "Admin", "admin", "pw-admin-1234", actor=None)
    users.create("disp1", "Dispatcher", "dispatcher", "pw-disp-1234", actor="admin")
    inc = engine_incident(clock.now_ns())
    rid = store.record_incident(inc, None, actor="engine").incident_id
    wf = Workflow(store, agency)
    clock.advance(20)
    wf.acknowledge(rid, "disp1")
    clock.advance(40)
    wf.dispatch(rid, "disp1", ["U1"])
    clock.advance(240)
    wf.on_scene(rid, "disp1")
    CitizenCalls(store, agency).link_call(rid, "disp1", victim_confirmed=True)
    MissedIncidents(store, agency).open(officer="Ofc. A", found_ns=clock.now_ns() - 3600 * 10**9, lat=37.7,
                                        lon=-122.4, evidence=["casings"], user_id="disp1")
    r = program_report(store, month("2014-07", "UTC"), now_ns=clock.now_ns())
    assert r.activations == 1 and r.with_calls == 1 and r.calls == 1 and r.ems_requests == 1
    assert r.response["alert → acknowledge"].median_s == pytest.approx(20)
    assert r.response["alert → dispatch"].median_s == pytest.approx(60)
    assert r.response["acknowledge → dispatch"].median_s == pytest.approx(40)
    assert r.response["alert → on scene"].median_s == pytest.approx(300)
    assert "victim" in r.significant[0].why and "EMS requested" in r.significant[0].why
    assert r.missed["reported"] == 1 and r.missed["pending"] == 1
    html = to_html(program_document(r))
    assert "alert → acknowledge" in html and "<svg" in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    store.close_all()


def test_exercise_incidents_stay_out_of_real_reports(small):
    from tests_support_incident import engine_incident

    small.record_incident(engine_incident(_ns(2014, 7, 15)), None, actor="engine", exercise=True)
    assert program_report(small, month("2014-07", LA)).activations == 3
    assert program_report(small, month("2014-07", LA), exercise=True).activations == 1


def test_pdf_is_written(small, tmp_path):
    doc = program_document(program_report(small, month("2014-07", LA)), agency="Test PD")
    data = to_pdf(doc, tmp_path / "r.pdf")
    assert data[:5] == b"%PDF-" and (tmp_path / "r.pdf").stat().st_size == len(data)
    assert b"/Count 3" in data or b"/Count 2" in data or b"/Count 4" in data


def test_text_progress_draws_a_bar(tmp_path):
    import io

    buf = io.StringIO()
    bar = TextProgress(buf, force=True)
    bar(0, 4, "start")
    bar(4, 4, "done")
    out = buf.getvalue()
    assert "100%" in out and out.endswith("\n")


def test_cli_program_report(small, tmp_path, capsys):
    db = small.path
    small.close_all()
    rc = cli_main(["report", "program", "--month", "2014-07", "--tz", LA, "--db", str(db), "--out",
                   str(tmp_path / "out"), "--pdf", "--quiet"])
    assert rc == 0
    assert "3 activations" in capsys.readouterr().out
    assert (tmp_path / "out" / "program-2014-07.html").is_file() and (tmp_path / "out" / "program-2014-07.pdf").is_file()
    assert cli_main(["report", "program", "--month", "July", "--db", str(db)]) == 2
    assert "month must look like 2014-07" in capsys.readouterr().err
    assert cli_main(["report", "program", "--year", "2014", "--tz", "Mars/Base", "--db", str(db)]) == 2
    assert cli_main(["report", "program", "--year", "2014", "--db", str(tmp_path / "none.sqlite3")]) == 2


# ------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def sf_store(tmp_path_factory, shared_data):
    csv_path = shared_data / "incidents" / "san_francisco_2013_2015.csv"
    if not csv_path.is_file():
        pytest.skip(f"{csv_path} not found; San Francisco monthly-report count check skipped")
    store = Store.open(tmp_path_factory.mktemp("sf") / "sf.sqlite3")
    rep = import_history(store, csv_path, BUILTIN["san_francisco"], actor="analyst")
    assert rep.rejected == []
    yield store, csv_path
    store.close_all()


def _independent_counts(csv_path: Path):
    """Straight from the CSV text: month key from the 'Date' column (local dates as
    written, e.g. '1-Jan-13'), rounds from 'Rnds', type from 'Type' or the round count."""
    months = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                          "Nov", "Dec"), start=1)}
    n, rounds, multi = Counter(), Counter(), Counter()
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            d, mon, yy = row["Date"].split("-")
            key = f"20{yy}-{months[mon]:02d}"
            n[key] += 1
            r = int(row["Rnds"])
            rounds[key] += r
            multi[key] += row["Type"] == "Multiple_Gunshots" or (not row["Type"] and r > 1)
    return n, rounds, multi


@pytest.mark.realdata
def test_san_francisco_monthly_reports_match_the_csv(sf_store):
    store, csv_path = sf_store
    n, rounds, multi = _independent_counts(csv_path)
    assert sum(n.values()) > 4000
    for key in sorted(n):
        r = program_report(store, month(key, LA))
        assert (key, r.activations) == (key, n[key])
        assert (key, r.rounds_total) == (key, rounds[key])
        assert (key, r.by_kind.get("multiple_gunshots", 0)) == (key, multi[key])
    y = program_report(store, year(2014, LA))
    assert y.activations == sum(v for k, v in n.items() if k.startswith("2014"))
    assert sum(y.by_slice.values()) == y.activations and sum(y.by_hour.values()) == y.activations
