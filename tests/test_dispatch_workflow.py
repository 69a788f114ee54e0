"""Dispatch workflow services: lifecycle, roles, supervisor confirmation, escalation,
monitors, citizen calls and EMS, missed-incident reports, release control, retention."""
from __future__ import annotations

import json

import pytest

from app.dispatch import (
    CitizenCalls,
    IllegalTransition,
    MissedIncidents,
    Releases,
    Retention,
    Users,
    Workflow,
    load_agency,
)
from app.dispatch import users as users_mod
from app.store import ManualClock, NotFoundError, PermissionDenied, Store, ValidationError
from app.store.clock import NS_PER_DAY, NS_PER_S
from app.store.samples import FRAME, sample_incident

PW = "s3cret-pass"


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch):
    monkeypatch.setitem(users_mod._SCRYPT, "n", 2**10)  # keep tests quick; production uses 2**14


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "w.sqlite3", clock=ManualClock(start_ns=1_700_000_000 * NS_PER_S))
    u = Users(s)
    u.create("admin1", "Ada Admin", "admin", PW, actor=None)
    for uid, role in (("disp1", "dispatcher"), ("disp2", "dispatcher"), ("sup1", "supervisor"),
                      ("ana1", "analyst"), ("train1", "trainer")):
        u.create(uid, uid.title(), role, PW, actor="admin1")
    yield s
    s.close_all()


def _incident(store, uid="E1", **kw):
    return store.record_incident(sample_incident(uid, **kw), FRAME, address="101 Alder St").incident_id


def test_full_lifecycle_records_every_step(store):
    wf = Workflow(store, load_agency("sacramento"))
    iid = _incident(store)
    store.clock.advance(12)
    assert wf.acknowledge(iid, "disp1") == pytest.approx(12.0)
    cad = wf.dispatch(iid, "disp1", ["1A1", "1A2"])
    wf.attach_unit(iid, "disp1", "K9-1", self_dispatched=True)
    wf.on_scene(iid, "disp1")
    wf.close(iid, "disp1", "founded", evidence=["casings", "witness"], notes="6 casings")
    d = store.get_incident(iid)
    assert d.incident.status == "closed" and d.incident.disposition == "founded"
    assert cad == f"SHOTS-{iid:07d}" and d.cad_entries[0]["type_code"] == "SHOTS" and d.cad_entries[0]["priority"] == 2
    assert [u["unit"] for u in d.units] == ["1A1", "1A2", "K9-1"] and d.units[2]["self_dispatched"] == 1
    assert [e["to_status"] for e in d.status_events] == ["acknowledged", "dispatched", "on_scene", "closed"]
    assert d.acknowledgments[0]["delay_s"] == pytest.approx(12.0)
    assert d.dispositions[0]["evidence"] == "casings,witness"
    actions = [e["action"] for e in store.audit_entries(entity="incident", entity_id=iid)]
    assert actions == ["incident.create", "incident.acknowledge", "incident.dispatch", "incident.attach_unit",
                       "incident.on_scene", "incident.close"]
    assert store.verify_audit().ok


def test_illegal_transitions_raise_clear_errors_and_write_nothing(store):
    wf = Workflow(store, load_agency("sacramento"))
    iid = _incident(store)
    with pytest.raises(IllegalTransition, match="is new; it cannot become dispatched"):
        wf.dispatch(iid, "disp1", ["1A1"])
    with pytest.raises(IllegalTransition, match="cannot become closed"):
        wf.close(iid, "disp1", "unfounded")
    wf.acknowledge(iid, "disp1")
    with pytest.raises(IllegalTransition, match="is acknowledged; it cannot become acknowledged"):
        wf.acknowledge(iid, "disp2")
    assert store.get_incident(iid).cad_entries == ()
    assert store.get_incident_row(iid).status == "acknowledged"
    with pytest.raises(NotFoundError):
        wf.acknowledge(999, "disp1")


@pytest.mark.parametrize("disposition, kw, match", [
    ("founded", {}, "needs evidence"),
    ("founded", {"evidence": ["blood"]}, "unknown evidence 'blood'"),
    ("unfounded", {"evidence": ["casings"]}, "takes no evidence"),
    ("other_source", {"other_source": "thunder"}, "other_source must be one of"),
    ("maybe", {}, "disposition must be founded, unfounded or other_source"),
])
def test_disposition_validation(store, disposition, kw, match):
    wf = Workflow(store, load_agency("sacramento"))
    iid = _incident(store)
    wf.acknowledge(iid, "disp1")
    wf.dispatch(iid, "disp1", ["1A1"])
    wf.on_scene(iid, "disp1")
    with pytest.raises(ValidationError, match=match):
        wf.close(iid, "disp1", disposition, **kw)
    assert store.get_incident_row(iid).status == "on_scene"


def test_roles_are_enforced(store):
    wf = Workflow(store, load_agency("sacramento"))
    iid = _incident(store)
    with pytest.raises(PermissionDenied, match="analyst 'ana1' may not acknowledge"):
        wf.acknowledge(iid, "ana1")
    with pytest.raises(PermissionDenied, match="trainer 'train1' may not acknowledge incidents on a live"):
        wf.acknowledge(iid, "train1")
    with pytest.raises(PermissionDenied, match="unknown user"):
        wf.acknowledge(iid, "ghost")
    ex = store.record_incident(sample_incident("X1"), FRAME, exercise=True).incident_id
    wf.acknowledge(ex, "train1")  # trainers may work exercise incidents
    assert store.get_incident_row(ex).exercise is True


def test_pasadena_supervisor_confirmation_required_before_close(store):
    agency = load_agency("pasadena")
    wf = Workflow(store, agency)
    iid = _incident(store)
    store.clock.advance(5)
    wf.acknowledge(iid, "disp1")
    wf.dispatch(iid, "disp1", ["3"])
    wf.on_scene(iid, "disp1")
    with pytest.raises(PermissionDenied, match="requires a supervisor's confirmation"):
        wf.close(iid, "disp1", "unfounded")
    with pytest.raises(PermissionDenied, match="needs role supervisor"):
        wf.supervisor_confirm(iid, "disp1")
    store.clock.advance(40)
    assert wf.supervisor_confirm(iid, "sup1") == pytest.approx(45.0)
    with pytest.raises(ValidationError, match="already has a supervisor confirmation"):
        wf.supervisor_confirm(iid, "sup1")
    wf.close(iid, "disp1", "other_source", other_source="fireworks")
    kinds = [a["kind"] for a in store.get_incident(iid).acknowledgments]
    assert kinds == ["dispatcher", "supervisor"]
    assert store.get_incident(iid).cad_entries[0]["type_code"] == "SSPOT"
    assert store.get_incident(iid).cad_entries[0]["priority"] == 1


def test_unit_roster_enforced_when_agency_has_one(store):
    wf = Workflow(store, load_agency("port-tocsin"))
    iid = _incident(store)
    wf.acknowledge(iid, "disp1")
    with pytest.raises(ValidationError, match="'9Z9' is not on"):
        wf.dispatch(iid, "disp1", ["1A1", "9Z9"])
    with pytest.raises(ValidationError, match="at least one unit"):
        wf.dispatch(iid, "disp1", [])
    wf.dispatch(iid, "disp1", ["1A1"])
    with pytest.raises(ValidationError, match="already assigned"):
        wf.attach_unit(iid, "disp1", "1A1")


def test_escalation_after_agency_timeout_with_injected_clock(store):
    wf = Workflow(store, load_agency("sacramento"))  # 60 s timeout
    a = _incident(store, "A")
    store.clock.advance(30)
    b = _incident(store, "B")
    store.clock.advance(29)
    assert wf.escalate_overdue() == []
    store.clock.advance(2)                     # A is now 61 s old, B 31 s
    [esc] = wf.escalate_overdue()
    assert esc.incident_id == a and esc.delay_s == pytest.approx(61.0) and esc.to_role == "supervisor"
    assert wf.escalate_overdue() == []         # once only
    wf.acknowledge(b, "disp1")
    store.clock.advance(100)
    assert wf.escalate_overdue() == []         # B was acknowledged in time
    assert store.get_incident(a).escalation["delay_s"] == pytest.approx(61.0)
    assert [i for i, _ in wf.unacknowledged()] == [a]


def test_minimum_monitors_reported(store):
    wf = Workflow(store, load_agency("pasadena"))  # two monitors
    users = Users(store)
    s1 = users.login("disp1", PW)
    st = wf.monitoring_status()
    assert not st.ok and st.on_duty == ("disp1",) and "only 1 of the 2" in st.message
    users.login("ana1", PW)                        # analysts do not count as monitors
    assert not wf.monitoring_status().ok
    s2 = users.login("sup1", PW)
    assert wf.monitoring_status().ok
    store.clock.advance(31 * 60)                   # idle sessions lock and stop counting
    users.touch(s2.id)
    assert wf.monitoring_status().on_duty == ("sup1",) and users.session_idle_locked(s1.id)
    users.logout(s2.id)
    assert wf.monitoring_status().on_duty == ()


def test_citizen_call_linked_as_duplicate_and_victim_triggers_ems(store):
    agency = load_agency("sacramento")
    calls = CitizenCalls(store, agency)
    iid = _incident(store)
    row = store.get_incident_row(iid)
    store.clock.advance(90)
    lat, lon = row.lat + 0.0005, row.lon             # ~55 m north
    assert calls.find_original(lat, lon, row.start_ns + 90 * NS_PER_S) == iid
    assert calls.find_original(lat + 0.05, lon, row.start_ns) is None       # 5 km away
    assert calls.find_original(lat, lon, row.start_ns + 3600 * NS_PER_S) is None  # an hour later
    r1 = calls.link_call(iid, "disp1", subject_description="male, red hoodie", vehicle_description="white sedan")
    assert r1.ems_request_id is None
    r2 = calls.link_call(iid, "disp2", victim_confirmed=True)
    assert r2.ems_request_id is not None
    d = store.get_incident(iid)
    assert store.count_incidents() == 1                       # no second incident
    assert [c["subject_description"] for c in d.citizen_calls] == ["male, red hoodie", None]
    assert d.ems_requests[0]["call_id"] == r2.call_id
    with pytest.raises(ValidationError, match="longer than 500"):
        calls.link_call(iid, "disp1", discarded_weapon="x" * 501)
    with pytest.raises(PermissionDenied):
        calls.link_call(iid, "ana1", victim_confirmed=True)
    assert len(store.get_incident(iid).ems_requests) == 1


def test_missed_incident_reports_due_in_24h_and_overdue_list(store):
    agency = load_agency("port-tocsin")
    missed = MissedIncidents(store, agency)
    now = store.clock.now_ns()
    inside = (29.5, -140.5)
    r = missed.open(officer="Ofc. Reyes #311", found_ns=now, lat=inside[0], lon=inside[1],
                    evidence=["casings"], user_id="sup1")
    assert r.due_ns - r.found_ns == 24 * 3600 * NS_PER_S
    with pytest.raises(ValidationError, match="outside the agency's coverage"):
        missed.open(officer="Ofc. Reyes", found_ns=now, lat=30.0, lon=-140.5, evidence=["casings"], user_id="sup1")
    with pytest.raises(ValidationError, match="evidence of gunfire is required"):
        missed.open(officer="Ofc. Reyes", found_ns=now, lat=inside[0], lon=inside[1], evidence=[], user_id="sup1")
    r2 = missed.open(officer="Ofc. Lin", found_ns=now, lat=inside[0], lon=inside[1], evidence=["victim"], user_id="disp1")
    store.clock.advance(23 * 3600)
    assert missed.overdue() == []
    missed.file(r2.id, narrative="Victim found at 101 Alder St; no alert.", user_id="sup1")
    store.clock.advance(2 * 3600)
    assert [m.id for m in missed.overdue()] == [r.id]
    with pytest.raises(ValidationError, match="already filed"):
        missed.file(r2.id, narrative="again, a second time", user_id="sup1")
    late = missed.file(r.id, narrative="Casings found behind 140 Birch St.", user_id="sup1")
    assert late.filed_ns > late.due_ns and missed.overdue() == []
    assert store.audit_entries(entity="missed_report", entity_id=r.id)[-1]["details"]["late"] is True


def test_release_control_by_role_audited_and_public_has_no_sensor_locations(store):
    from localization.types import Sensor

    agency = load_agency("sacramento")
    store.upsert_sensor(Sensor("PT-01", 1.0, 2.0), frame=FRAME)
    iid = _incident(store)
    rel = Releases(store, agency)
    with pytest.raises(PermissionDenied, match="Captain, Office of the Chief, or higher"):
        rel.export([iid], "geojson", user_id="sup1", recipient="Sacramento Bee", public=True)
    denied = store.audit_entries(entity="release")[-1]
    assert denied["action"] == "release.denied" and denied["actor"] == "sup1"
    internal = rel.export([iid], "geojson", user_id="ana1")          # internal analysis needs no release role
    assert "PT-01" in internal.files["incidents.geojson"].decode()
    with pytest.raises(PermissionDenied):
        rel.export([iid], "csv", user_id="disp1")
    public = rel.export([iid], "eido", user_id="admin1", recipient="Sacramento Bee", public=True)
    for fmt in ("cap", "eido", "geojson", "csv"):
        out = rel.export([iid], fmt, user_id="admin1", recipient="Court", public=True)
        blob = b"".join(out.files.values()).decode()
        assert "PT-01" not in blob and '"sensors"' not in blob
    assert json.loads(public.files["incidents.eido.json"])["incidentComponent"]["incidentTypeLocalText"] == "SHOTS"
    with pytest.raises(ValidationError, match="audio is not released to the public"):
        rel.export([iid], "csv", user_id="admin1", recipient="Press", public=True, include_audio=True)
    actions = [e["action"] for e in store.audit_entries(entity="release")]
    assert actions.count("release") == 5 and actions.count("export") == 1
    assert store.conn.execute("SELECT count(*) FROM releases WHERE public = 1").fetchone()[0] == 5


def test_retention_purge_respects_legal_hold_and_audits(store, tmp_path):
    agency = load_agency("sacramento")
    ret = Retention(store, agency)
    start = store.clock.now_ns()
    old = _incident(store, "OLD", t0_ns=start - 8 * 365 * NS_PER_DAY)
    held = _incident(store, "HELD", t0_ns=start - 9 * 365 * NS_PER_DAY)
    recent = _incident(store, "NEW", t0_ns=start - 2 * 365 * NS_PER_DAY)
    clip = tmp_path / "old.wav"
    clip.write_bytes(b"audio")
    store.add_audio_clip(old, clip, actor="engine")
    wf = Workflow(store, agency)
    wf.acknowledge(old, "disp1")
    with pytest.raises(PermissionDenied):
        ret.place_hold(held, user_id="disp1", reason="case 21-0042")
    ret.place_hold(held, user_id="sup1", reason="case 21-0042")
    dry = ret.purge(actor="admin1", dry_run=True)
    assert dry.incident_ids == (old,) and store.count_incidents() == 3 and clip.exists()
    result = ret.purge(actor="admin1")
    assert result.incident_ids == (old,) and result.held_ids == (held,)
    assert not clip.exists() and result.audio_files_removed == (str(clip),)
    assert {r.uid for r in store.list_incidents()} == {"HELD", "NEW"}
    for table in ("incident_revisions", "shots", "status_events", "acknowledgments", "audio_clips"):
        assert store.conn.execute(f"SELECT count(*) FROM {table} WHERE "
                                  + ("revision_id IN (SELECT id FROM incident_revisions WHERE incident_id = ?)"
                                     if table == "shots" else "incident_id = ?"), (old,)).fetchone()[0] == 0
    entry = store.audit_entries()[-1]
    assert entry["action"] == "retention.purge" and entry["details"]["incidents"] == 1
    assert store.verify_audit().ok and store.integrity_check() == "ok"
    ret.release_hold(held, user_id="sup1", reason="case closed")
    assert ret.purge(actor="admin1").incident_ids == (held,)
    assert ret.purge(actor="admin1", years=1).incident_ids == (recent,)
    with pytest.raises(ValidationError, match="at least 1 year"):
        ret.purge(actor="admin1", years=0.5)


def test_intake_records_engine_incidents_with_the_address_in_words(tmp_path):
    from app.dispatch import Intake
    from app.geo import AddressLocator, load_democity

    city = load_democity()
    loc = AddressLocator(city.layers())
    L = loc.layers
    i = next(k for k in range(len(L.addr_x)) if L.label(k) == "305 Birch St")
    s = Store.open(tmp_path / "i.sqlite3")
    intake = Intake(s, city.frame, loc)
    r = intake.record(sample_incident("ENG-1", x_m=float(L.addr_x[i]), y_m=float(L.addr_y[i]) - 8))
    row = s.get_incident_row(r.incident_id)
    assert row.address.startswith("in front of 305 Birch St")
    assert row.lat == pytest.approx(29.5, abs=0.02)
    r2 = intake.record(sample_incident("ENG-1", revision=1, rounds=4, x_m=float(L.addr_x[i]), y_m=float(L.addr_y[i]) + 40))
    assert r2.revision == 2 and s.get_incident_row(r.incident_id).address.startswith("behind 305 Birch St")
    s.close_all()
