"""Agency profiles: the shipped examples load with their policies; bad profiles fail clearly."""
from __future__ import annotations

import tomllib

import pytest

from app.dispatch.agency import AGENCIES_DIR, AgencyProfileError, default_agency, load_agency, parse_agency, shipped_agencies


def test_shipped_profiles():
    assert set(shipped_agencies()) >= {"default", "sacramento", "pasadena", "stockton", "port-tocsin"}
    sac, pas, sto = load_agency("sacramento"), load_agency("pasadena"), load_agency("stockton")
    assert (sac.type_code, sac.priority, sac.supervisor_confirmation_required) == ("SHOTS", 2, False)
    assert (pas.type_code, pas.priority, pas.min_monitors, pas.supervisor_confirmation_required) == ("SSPOT", 1, 2, True)
    assert pas.missed_report_due_h == 24
    assert sto.type_code == "WEAPON" and "generic" in sto.type_description
    assert sac.release_title.startswith("Captain")
    d = default_agency()
    assert d.retention_years == 7 and d.ack_timeout_s == 60 and d.release_roles == ("admin",)
    pt = load_agency("port-tocsin")
    assert "fictional" in pt.name and len(pt.coverage) >= 4 and "1A1" in pt.units


def _base() -> dict:
    return tomllib.loads((AGENCIES_DIR / "default.toml").read_text())


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.pop("format_version"), "format_version must be 1"),
    (lambda d: d.update(dispatch={}), r"unknown section \[dispatch\]"),
    (lambda d: d.pop("cad"), r"missing section \[cad\]"),
    (lambda d: d["cad"].pop("priority"), r"missing key \[cad\]\.priority"),
    (lambda d: d["cad"].update(priorty=1), r"unknown key \[cad\]\.priorty"),
    (lambda d: d["cad"].update(priority="high"), r"\[cad\]\.priority must be an integer"),
    (lambda d: d["cad"].update(priority=0), r"between 1 \(highest\) and 9"),
    (lambda d: d["cad"].update(type_code="SHOTS FIRED"), "type_code must be 1–16 letters"),
    (lambda d: d["acknowledgment"].update(supervisor_confirmation_required="yes"), "must be true or false"),
    (lambda d: d["acknowledgment"].update(timeout_s=1), "timeout_s must be between 5 and 3600"),
    (lambda d: d["acknowledgment"].update(escalate_to="chief"), "escalate_to must be one of"),
    (lambda d: d["staffing"].update(min_monitors=True), r"\[staffing\]\.min_monitors must be an integer"),
    (lambda d: d["retention"].update(years=0), "years must be between 1 and 100"),
    (lambda d: d["release"].update(authorizing_roles=["captain"]), "authorizing_roles must be a non-empty list"),
    (lambda d: d["units"].update(roster=["1A1", "1A1"]), "lists a unit twice"),
    (lambda d: d["coverage"].update(polygon=[[0, 0], [1, 1]]), "at least 3 points"),
    (lambda d: d["coverage"].update(polygon=[[0, 95], [1, 1], [2, 2]]), "order is \\[lon, lat\\]"),
    (lambda d: d["temperature"].update(source="metar"), "station .* is required"),
    (lambda d: d["temperature"].update(source="guess"), "source must be one of"),
    (lambda d: d["agency"].update(timezone="Mars/Olympus"), "not a known IANA time zone"),
    (lambda d: d["missed_reports"].update(due_hours=0), "due_hours must be between 0 and 168"),
])
def test_invalid_profiles_name_the_key(edit, match):
    d = _base()
    edit(d)
    with pytest.raises(AgencyProfileError, match=match):
        parse_agency(d, source="test.toml")


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("format_version = [")
    with pytest.raises(AgencyProfileError, match="not valid TOML"):
        load_agency(bad)
    with pytest.raises(AgencyProfileError, match="shipped profiles: .*sacramento"):
        load_agency("atlantis")
