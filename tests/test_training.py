"""Trainer mode: scenario validation (one error per rule), the headless run through the
engine into an exercise database, scoring that can fail, the after-action report, CLI."""
from __future__ import annotations

import copy

import pytest

from app.cli import main as cli_main
from app.reports import to_html, to_pdf
from app.training import ScenarioError, load_scenario, run_headless, score_session, shipped_scenarios
from app.training.after_action import after_action_document
from app.training.scenario import FORMAT, scenario_from_dict

BASE = {
    "format": FORMAT,
    "scenario": {"title": "t", "agency": "sacramento", "duration_s": 120, "seed": 1},
    "conditions": {"preset": "clean"},
    "event": [{"id": "a", "kind": "round_string", "at_s": 10, "x_m": 100, "y_m": -100, "rounds": 3}],
    "call": [{"id": "c", "at_s": 40, "event": "a", "caller": "x", "says": "shots", "victim_confirmed": True}],
    "expect": [{"action": "acknowledge", "event": "a", "within_s": 30},
               {"action": "cad_entry", "event": "a", "within_s": 60},
               {"action": "link_call", "call": "c", "within_s": 30},
               {"action": "request_ems", "call": "c", "within_s": 30}],
}


def _with(**changes):
    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, key = path.split("__")
        t = d
        for p in parents:
            t = t[p] if not p.isdigit() else t[int(p)]
        if value is None:
            del t[key]
        else:
            t[key] = value
    return d


@pytest.mark.parametrize("changes, message", [
    ({"format": "v0"}, "format must be"),
    ({"extra": 1}, "unknown top-level key 'extra'"),
    ({"scenario__duration_s": 5}, "duration_s must be 10 s"),
    ({"scenario__agency": "atlantis"}, "no agency profile 'atlantis'"),
    ({"scenario__site": "moon"}, "site must be one of"),
    ({"event__0__kind": "cannon"}, "kind must be one of"),
    ({"event__0__at_s": 500}, "at_s must be within the scenario"),
    ({"event__0__x_m": "far"}, "x_m must be a number"),
    ({"call__0__event": "b"}, "event 'b' is not an [[event]] id"),
    ({"call__0__colour": "red"}, "unknown key 'colour'"),
    ({"expect__0__action": "panic"}, "action must be one of"),
    ({"expect__2__event": "a"}, "refers to one call"),
    ({"expect__0__within_s": 0}, "within_s must be > 0"),
    ({"expect__1__disposition": "founded"}, "disposition belongs to action 'close'"),
    ({"scenario__title": None}, "missing key 'title'"),
])
def test_validation_errors_say_what_is_wrong(changes, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        scenario_from_dict(_with(**changes), source="x.toml")


def test_every_shipped_scenario_loads_and_there_are_six():
    paths = shipped_scenarios()
    assert len(paths) >= 6
    names = {p.stem for p in paths}
    assert {"lancaster-unreported-gunfire", "sacramento-duplicate-calls", "pasadena-missed-incident"} <= names
    for p in paths:
        sc = load_scenario(p)
        assert sc.expectations and sc.events


def test_headless_run_scores_a_perfect_and_an_absent_trainee(tmp_path):
    sc = scenario_from_dict(BASE)
    script = [{"action": "acknowledge", "event": "a", "after_s": 5}, {"action": "cad_entry", "event": "a", "after_s": 20},
              {"action": "link_call", "call": "c", "after_s": 10}]
    s = run_headless(sc, tmp_path / "a.sqlite3", script=script)
    assert "a" in s.alert_of and s.alert_t["a"] > 10          # the engine raised the alert after the shots
    r = score_session(s)
    assert [x.status for x in r.results] == ["met", "met", "met", "met"] and r.percent == 100
    inc = s.store.get_incident_row(s.alert_of["a"])
    assert inc.exercise and inc.status == "dispatched"         # training records are exercise incidents
    detail = s.store.get_incident(inc.id)
    assert detail.cad_entries[0]["type_code"] == "SHOTS" and len(detail.ems_requests) == 1
    s.store.close_all()
    absent = score_session(run_headless(sc, tmp_path / "b.sqlite3", script=[]))
    assert [x.status for x in absent.results] == ["missed"] * 4 and absent.percent == 0


def test_late_wrong_and_new_incident_are_scored(tmp_path):
    sc = scenario_from_dict(BASE)
    script = [{"action": "acknowledge", "event": "a", "after_s": 45},
              {"action": "cad_entry", "event": "a", "after_s": 50, "type_code": "WEAPON", "priority": 1},
              {"action": "new_incident", "call": "c", "after_s": 5}]
    r = score_session(run_headless(sc, tmp_path / "c.sqlite3", script=script))
    status = {x.expectation.action: x for x in r.results}
    assert status["acknowledge"].status == "late"
    assert status["cad_entry"].status == "wrong" and "type code WEAPON (expected SHOTS)" in status["cad_entry"].detail
    assert status["link_call"].status == "wrong" and "new incident" in status["link_call"].detail
    assert status["request_ems"].status == "missed"
    assert r.percent == pytest.approx(100 * (0.5 + 0.25 + 0.25) / 4)


def test_decoy_must_not_be_dispatched(tmp_path):
    d = _with()
    d["event"].append({"id": "fw", "kind": "firecracker_string", "at_s": 60, "x_m": -300, "y_m": 200, "pops": 15})
    d["expect"] = [{"action": "no_dispatch", "event": "fw", "within_s": 60}]
    d.pop("call")
    sc = scenario_from_dict(d)
    ok = score_session(run_headless(sc, tmp_path / "d.sqlite3", script=[]))
    assert ok.results[0].status == "met"


def test_after_action_report_html_and_pdf(tmp_path):
    sc = load_scenario("pasadena-missed-incident")
    s = run_headless(sc, tmp_path / "p.sqlite3")
    r = score_session(s)
    refused = [a for a in s.actions if not a.ok]
    assert refused and "supervisor" in refused[0].detail   # Pasadena: no close before the supervisor confirms
    assert {x.status for x in r.results} == {"met"}
    doc = after_action_document(s, r)
    html = to_html(doc)
    assert "EXERCISE" in html and "Ofc. Ramos" in html and "REFUSED" in html
    assert to_pdf(doc, tmp_path / "a.pdf")[:5] == b"%PDF-"


def test_cli_train_list_headless_and_errors(tmp_path, capsys):
    assert cli_main(["train", "--list"]) == 0
    assert "lancaster-unreported-gunfire" in capsys.readouterr().out
    assert cli_main(["train", "lancaster-unreported-gunfire", "--headless", "--db", str(tmp_path / "t.sqlite3"),
                     "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "score 100 %" in out and (tmp_path / "after-action-lancaster-unreported-gunfire.html").is_file()
    assert cli_main(["train", "lancaster-unreported-gunfire", "--headless", "--db", str(tmp_path / "t.sqlite3")]) == 2
    assert "already exists" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('format = "tocsin-training/1"\n[scenario]\ntitle = "x"\n')
    assert cli_main(["train", str(bad), "--headless"]) == 2
    assert "missing key 'duration_s'" in capsys.readouterr().err
