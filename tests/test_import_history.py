"""Incident-history import: the four real vendor exports (counts checked against an
independent count of each CSV), a TOML mapping, rejected rows, idempotent re-import, CLI."""
from __future__ import annotations

import argparse
import csv
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app.cli import CliError, db_cmd, import_cmd
from app.dispatch import users as users_mod
from app.exports.history import BUILTIN, guess_mapping, import_history, load_mapping
from app.store import IncidentQuery, Store, ValidationError

FILES = {
    "washington_dc_2006_2013.csv": ("washington_dc", "Type", {"Single Gunshot": "single_gunshot",
                                                               "Multiple Gunshots": "multiple_gunshots"}),
    "springfield_ma_2008_2018.csv": ("springfield_ma", "Incident Type", None),
    "san_francisco_2013_2015.csv": ("san_francisco", None, None),
    "cambridge_ma_2018_2024.csv": ("cambridge_ma", None, None),
}


def _independent_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def imported(tmp_path_factory, shared_data):
    inc_dir = shared_data / "incidents"
    if not inc_dir.is_dir():
        pytest.skip(f"incident CSVs not found at {inc_dir}; real-data import test skipped")
    store = Store.open(tmp_path_factory.mktemp("hist") / "h.sqlite3")
    reports = {}
    for name in FILES:
        reports[name] = import_history(store, inc_dir / name, guess_mapping(inc_dir / name), actor="analyst1")
    yield store, reports, inc_dir
    store.close_all()


@pytest.mark.realdata
@pytest.mark.parametrize("name", list(FILES))
def test_every_row_of_each_real_export_is_imported(imported, name):
    store, reports, inc_dir = imported
    rows = _independent_rows(inc_dir / name)
    mapping, type_col, kind_map = FILES[name]
    report = reports[name]
    assert report.rows == len(rows) and report.rejected == [], report.summary()
    n = store.count_incidents(IncidentQuery(text=f"{mapping}:"))
    assert n == len(rows) == report.inserted
    if kind_map:  # type counts agree with a count made straight from the file
        want = Counter(kind_map[r[type_col]] for r in rows)
        for kind, count in want.items():
            assert store.count_incidents(IncidentQuery(kind=kind, text=f"{mapping}:")) == count


@pytest.mark.realdata
def test_real_values_survive(imported):
    store, _, inc_dir = imported
    # Washington DC incident 53-3: 1/27/06 3:35 Eastern, single gunshot at 38.861, -77.001
    r = store.get_incident_row(store.incident_id_for("washington_dc:53-3"))
    assert r.kind == "single_gunshot" and (r.lat, r.lon) == (38.861, -77.001)
    assert r.start_ns == int(datetime(2006, 1, 27, 8, 35, tzinfo=timezone.utc).timestamp()) * 10**9
    # San Francisco rows without a type take it from the round count
    sf = _independent_rows(inc_dir / "san_francisco_2013_2015.csv")
    multi = sum(1 for x in sf if (x["Type"] == "Multiple_Gunshots") or (not x["Type"] and int(x["Rnds"]) > 1))
    assert store.count_incidents(IncidentQuery(kind="multiple_gunshots", text="san_francisco:")) == multi
    # Cambridge: casings or injuries make a founded disposition
    camb = _independent_rows(inc_dir / "cambridge_ma_2018_2024.csv")
    founded = sum(1 for x in camb if float(x["shell_casings"] or 0) > 0 or float(x["injuries"] or 0) > 0)
    got = store.conn.execute("SELECT count(*) FROM incidents WHERE uid LIKE 'cambridge_ma:%' "
                             "AND disposition = 'founded'").fetchone()[0]
    assert got == founded
    # Springfield rows with typos in the coordinates ("42,116", "42.108 .") are repaired, not lost
    r = store.get_incident_row(store.incident_id_for("springfield_ma:row1427"))
    assert r.lat == pytest.approx(42.116)
    assert store.verify_audit().ok


@pytest.mark.realdata
def test_reimport_is_idempotent(imported):
    store, _, inc_dir = imported
    before = store.count_incidents()
    rep = import_history(store, inc_dir / "cambridge_ma_2018_2024.csv", BUILTIN["cambridge_ma"], actor="a")
    assert rep.inserted == 0 and rep.skipped_existing == 86 and store.count_incidents() == before


def test_toml_mapping_and_rejected_rows(tmp_path):
    (tmp_path / "m.toml").write_text(
        '[mapping]\nname = "acme"\ntimezone = "America/Chicago"\nformats = ["%Y/%m/%d %H:%M"]\n'
        'id = "Event"\ndate = "Day"\ntime = "Clock"\nlat = "Y"\nlon = "X"\nkind = "What"\n'
        'kind_map = { "GS1" = "single_gunshot", "GSM" = "multiple_gunshots" }\nrounds = "N"\n')
    (tmp_path / "acme.csv").write_text(
        "Event,Day,Clock,Y,X,What,N\n"
        "A1,2020/07/04,23:15,41.88,-87.63,GS1,1\n"
        "A2,2020/07/04,23:16,41.88,-87.62,GSM,4\n"
        "A3,2020/07/04,25:99,41.88,-87.62,GSM,4\n"
        "A4,2020/07/05,00:10,,-87.62,GSM,2\n"
        "A5,2020/07/05,00:11,41.9,-87.6,BANG,2\n")
    m = load_mapping(str(tmp_path / "m.toml"))
    s = Store.open(tmp_path / "t.sqlite3")
    rep = import_history(s, tmp_path / "acme.csv", m, actor="analyst1")
    assert (rep.rows, rep.inserted, len(rep.rejected)) == (5, 2, 3)
    reasons = dict(rep.rejected)
    assert "matches none of" in reasons[3] and "latitude/longitude" in reasons[4] and "unknown incident type" in reasons[5]
    r = s.get_incident_row(s.incident_id_for("acme:A2"))
    assert r.kind == "multiple_gunshots" and r.rounds == 4
    assert r.start_ns == int(datetime(2020, 7, 5, 4, 16, tzinfo=timezone.utc).timestamp()) * 10**9  # CDT = UTC-5
    s.close_all()
    (tmp_path / "bad.toml").write_text('name = "x"\ntimezone = "UTC"\nformats = ["%Y"]\ncolour = "red"\n')
    with pytest.raises(ValidationError, match="unknown mapping key"):
        load_mapping(str(tmp_path / "bad.toml"))
    with pytest.raises(ValidationError, match="column\\(s\\) 'Incident ID'"):
        import_history(Store.open(tmp_path / "u.sqlite3"), tmp_path / "acme.csv", BUILTIN["washington_dc"], actor="a")


# ------------------------------------------------------------------------ CLI
def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tocsin")
    sub = parser.add_subparsers(dest="command")
    db_cmd.register(sub)
    import_cmd.register(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"tocsin: error: {exc}")
        return 2


def test_cli_init_import_verify_export_purge(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(users_mod._SCRYPT, "n", 2**10)
    monkeypatch.setenv("TOCSIN_PASSWORD", "chief-pass-1")
    db = str(tmp_path / "cli.sqlite3")
    assert _cli(["db", "init", "--db", db, "--admin", "chief"]) == 0
    (tmp_path / "h.csv").write_text("uid,start,kind,rounds,lat,lon,address,disposition\n"
                                    "H1,2010-01-01T00:00:00+00:00,single_gunshot,1,29.5,-140.5,1 Main St,\n"
                                    "H2,2024-01-01T00:00:00+00:00,multiple_gunshots,3,29.5,-140.5,2 Main St,founded\n")
    assert _cli(["import-history", str(tmp_path / "h.csv"), "--db", db, "--user", "chief"]) == 2  # name not guessable
    assert "pass --mapping" in capsys.readouterr().out
    assert _cli(["import-history", str(tmp_path / "h.csv"), "--mapping", "tocsin", "--db", db, "--user", "chief"]) == 0
    assert "2 imported" in capsys.readouterr().out
    assert _cli(["db", "verify", "--db", db]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    out = tmp_path / "cap"
    assert _cli(["db", "export", "--db", db, "--user", "chief", "--format", "cap", "--out", str(out)]) == 0
    files = sorted(out.iterdir())
    assert len(files) == 2
    from app.exports import validate_cap
    assert all(validate_cap(f.read_bytes()) == [] for f in files)
    assert _cli(["db", "purge", "--db", db, "--user", "chief", "--dry-run"]) == 0
    assert "would purge 1 incidents" in capsys.readouterr().out
    assert _cli(["db", "purge", "--db", db, "--user", "chief"]) == 0
    assert _cli(["db", "backup", "--db", db, str(tmp_path / "b.sqlite3")]) == 0
    monkeypatch.setenv("TOCSIN_PASSWORD", "wrong-pass")
    assert _cli(["db", "export", "--db", db, "--user", "chief", "--format", "csv"]) == 2
    assert "wrong password" in capsys.readouterr().out
    assert _cli(["db", "verify", "--db", str(tmp_path / "none.sqlite3")]) == 2
    assert "tocsin db init" in capsys.readouterr().out


def test_cli_verify_fails_on_tampering(tmp_path, capsys):
    import sqlite3

    from app.store.samples import sample_incident
    db = tmp_path / "t.sqlite3"
    s = Store.open(db)
    s.record_incident(sample_incident("E1"))
    s.close_all()
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER audit_log_no_update")
    raw.execute("UPDATE audit_log SET details = '{}'")
    raw.commit()
    raw.close()
    assert _cli(["db", "verify", "--db", str(db)]) == 1
    assert "BROKEN" in capsys.readouterr().out
