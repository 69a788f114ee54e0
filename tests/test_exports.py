"""Exports: CAP 1.2 (schema rules), EIDO-style JSON, GeoJSON, CSV — validated and round-tripped."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from app.dispatch import Users, Workflow, load_agency
from app.dispatch import users as users_mod
from app.exports import incident_document, to_cap, to_csv, to_eido, to_geojson, validate_cap, validate_eido
from app.exports.cap import CAP_NS
from app.exports.history import BUILTIN, import_history
from app.store import ManualClock, Store
from app.store.samples import FRAME, sample_incident
from localization.types import Sensor

NS = {"cap": CAP_NS}


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch):
    monkeypatch.setitem(users_mod._SCRYPT, "n", 2**10)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "e.sqlite3", clock=ManualClock())
    s.upsert_sensor(Sensor("PT-01", 10.0, 0.0), frame=FRAME)
    s.upsert_sensor(Sensor("PT-02", -300.0, 200.0), frame=FRAME)
    yield s
    s.close_all()


def _doc(store, uid="E1", *, public=False, exercise=False, revisions=1):
    for r in range(revisions):
        res = store.record_incident(sample_incident(uid, revision=r, rounds=2 + r), FRAME, address="305 Birch St",
                                    exercise=exercise)
        store.clock.advance(5)
    return incident_document(store, store.get_incident(res.incident_id), public=public)


def _cap(doc):
    return to_cap(doc, agency_id="port-tocsin", agency_name="Port Tocsin PD", type_code="SHOTS")


def test_cap_alert_is_valid_and_carries_the_fields(store):
    xml = _cap(_doc(store))
    assert validate_cap(xml) == []
    root = ET.fromstring(xml)
    assert root.findtext("cap:status", namespaces=NS) == "Actual"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:scope", namespaces=NS) == "Restricted"
    info = root.find("cap:info", NS)
    assert info.findtext("cap:event", namespaces=NS) == "Multiple gunshots"
    params = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
              for p in info.findall("cap:parameter", NS)}
    assert params["rounds"] == "2" and params["incidentId"] == "E1"
    lat_lon, radius = info.find("cap:area/cap:circle", NS).text.split()
    lat, lon = map(float, lat_lon.split(","))
    assert lat == pytest.approx(29.5, abs=0.01) and lon == pytest.approx(-140.5, abs=0.01) and float(radius) > 0
    assert info.findtext("cap:area/cap:areaDesc", namespaces=NS) == "305 Birch St"
    assert "Z<" not in xml.decode() and "+00:00" in root.findtext("cap:sent", namespaces=NS)


def test_cap_exercise_update_references_previous_and_public_scope(store):
    doc = _doc(store, "X1", exercise=True, revisions=2, public=True)
    xml = _cap(doc)
    assert validate_cap(xml) == []
    root = ET.fromstring(xml)
    assert root.findtext("cap:status", namespaces=NS) == "Exercise"
    assert root.findtext("cap:msgType", namespaces=NS) == "Update"
    assert root.findtext("cap:scope", namespaces=NS) == "Public"
    sender, ident, sent = root.findtext("cap:references", namespaces=NS).split(",")
    assert ident.endswith("-r1") and sender == root.findtext("cap:sender", namespaces=NS)


@pytest.mark.parametrize("mutate, problem", [
    (lambda x: x.replace("<status>Actual</status>", "<status>Real</status>"), "status 'Real' not one of"),
    (lambda x: x.replace("<scope>Restricted</scope>", "<scope>Public</scope>").replace(
        "<restriction>Law enforcement and public-safety dispatch only</restriction>", ""), None),
    (lambda x: x.replace("<restriction>Law enforcement and public-safety dispatch only</restriction>", ""),
     "restriction is required"),
    (lambda x: x.replace("+00:00</sent>", "Z</sent>"), "alert/sent must be a dateTime"),
    (lambda x: x.replace("<identifier>tocsin", "<identifier>tocsin id"), "identifier must be non-empty without spaces"),
    (lambda x: x.replace("<category>Security</category>", ""), "missing required <category>"),
    (lambda x: x.replace("<urgency>Immediate</urgency>", "<urgency>Now</urgency>"), "urgency 'Now' not one of"),
    (lambda x: x.replace("<language>en-US</language>", "").replace("<senderName>", "<language>en-US</language><senderName>"),
     "out-of-order <language>"),
    (lambda x: x.replace("<circle>", "<circle>95.0,"), "circle"),
    (lambda x: x.replace("</alert>", ""), "not well-formed"),
])
def test_cap_validator_catches_each_rule(store, mutate, problem):
    xml = mutate(_cap(_doc(store)).decode())
    errors = validate_cap(xml.encode())
    if problem is None:
        assert errors == []
    else:
        assert any(problem in e for e in errors), errors


def test_eido_object_valid_and_round_trips(store):
    doc = _doc(store, revisions=2)
    obj = to_eido(doc, agency_id="port-tocsin", agency_name="Port Tocsin PD", type_code="SHOTS", priority=1)
    back = json.loads(json.dumps(obj))
    assert validate_eido(back) == []
    assert back["incidentComponent"]["incidentTrackingIdentifier"] == "E1"
    assert back["incidentComponent"]["incidentTypeLocalText"] == "SHOTS"
    geo = back["locationComponent"][0]["locationByValue"]
    assert geo["confidence_pct"] == 95 and geo["semiMajorAxis_m"] >= geo["semiMinorAxis_m"]
    assert geo["center"]["latitude"] == pytest.approx(doc["lat"])
    assert back["additionalDataComponent"]["rounds"] == 3 and back["additionalDataComponent"]["revision"] == 2
    broken = dict(back, incidentComponent=dict(back["incidentComponent"], locationReference="nowhere"))
    assert "locationReference names no locationComponent" in " ".join(validate_eido(broken))
    assert validate_eido({}) and "missing $schema" in validate_eido({})


def test_internal_exports_name_sensors_public_ones_never(store):
    internal = _doc(store, "E1")
    public = incident_document(store, store.get_incident(1), public=True)
    assert internal["shots"][0]["sensors"][0]["id"] == "PT-01" and internal["shots"][0]["sensors"][0]["lat"]
    for rendered in (json.dumps(to_geojson([public])), to_csv([public]), _cap(public).decode(),
                     json.dumps(to_eido(public, agency_id="a", agency_name="A", type_code="S", priority=1))):
        assert "PT-0" not in rendered and "sensors" not in rendered


def test_geojson_round_trip(store):
    docs = [_doc(store, f"E{i}") for i in range(3)]
    gj = json.loads(json.dumps(to_geojson(docs)))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 3
    for f, d in zip(gj["features"], docs):
        lon, lat = f["geometry"]["coordinates"]
        assert (lat, lon) == (d["lat"], d["lon"]) and f["properties"]["rounds"] == d["rounds"]
        assert f["properties"]["address"] == "305 Birch St" and f["id"] == d["uid"]


def test_csv_round_trips_through_history_import(store, tmp_path):
    Users(store).create("admin1", "A", "admin", "s3cret-pass", actor=None)
    Users(store).create("disp1", "D", "dispatcher", "s3cret-pass", actor="admin1")
    Users(store).create("sup1", "S", "supervisor", "s3cret-pass", actor="admin1")
    docs = [_doc(store, f"E{i}") for i in range(4)]
    wf = Workflow(store, load_agency("port-tocsin"))
    wf.acknowledge(1, "disp1")
    wf.dispatch(1, "disp1", ["1A1"])
    wf.on_scene(1, "disp1")
    wf.supervisor_confirm(1, "sup1")
    wf.close(1, "disp1", "founded", evidence=["casings"])
    docs[0] = incident_document(store, store.get_incident(1), public=False)
    text = to_csv(docs)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and rows[0]["disposition"] == "founded" and rows[0]["units"] == "1A1"
    path = tmp_path / "export.csv"
    path.write_text(text)
    other = Store.open(tmp_path / "other.sqlite3")
    report = import_history(other, path, BUILTIN["tocsin"], actor="admin1")
    assert report.inserted == 4 and not report.rejected
    for d in docs:
        r = other.get_incident_row(other.incident_id_for(d["uid"]))
        assert (r.kind, r.rounds, r.address, r.start_ns // 10**9) == (d["kind"], d["rounds"], d["address"],
                                                                       d["start_ns"] // 10**9)
        assert r.lat == pytest.approx(d["lat"], abs=1e-9) and r.disposition == d["disposition"]
    other.close_all()


def test_fireworks_review_label_reaches_cap_and_eido(store):
    import dataclasses

    fw = dataclasses.replace(sample_incident("F1", rounds=9), kind="possible_gunfire", gunfire_p=0.06,
                             review_label="probable_fireworks")
    res = store.record_incident(fw, FRAME, address="305 Birch St")
    doc = incident_document(store, store.get_incident(res.incident_id), public=False)
    assert doc["gunfire_p"] == pytest.approx(0.06) and doc["review_label"] == "probable_fireworks"
    xml = _cap(doc)
    assert validate_cap(xml) == []
    info = ET.fromstring(xml).find("cap:info", NS)
    assert info.findtext("cap:event", namespaces=NS) == "Possible gunfire"
    assert info.findtext("cap:certainty", namespaces=NS) == "Unlikely"
    assert "probable fireworks, under review" in info.findtext("cap:headline", namespaces=NS)
    params = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
              for p in info.findall("cap:parameter", NS)}
    assert params["reviewLabel"] == "probable_fireworks" and params["gunfireProbability"] == "0.06"
    obj = to_eido(doc, agency_id="port-tocsin", agency_name="Port Tocsin PD", type_code="SHOTS", priority=1)
    assert validate_eido(obj) == []
    assert obj["additionalDataComponent"]["reviewLabel"] == "probable_fireworks"
    assert "probable fireworks — under review" in obj["notesComponent"][0]["noteText"]
    # an incident without audio carries neither parameter
    plain = {p.findtext("cap:valueName", namespaces=NS)
             for p in ET.fromstring(_cap(_doc(store))).find("cap:info", NS).findall("cap:parameter", NS)}
    assert "reviewLabel" not in plain and "gunfireProbability" not in plain
