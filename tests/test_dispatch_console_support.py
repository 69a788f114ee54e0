"""Service pieces the console relies on: the role table, dispositions in words, CAD draft
checks, EMS requests with the CAD entry, the awaiting-supervisor list, unlocking a
session, and rebuilding the engine's incident from the store."""
from __future__ import annotations

import pytest

from app.dispatch import Users, Workflow, can, default_agency, permissions_of
from app.dispatch.cad_entry import CadDraft, validate_cad
from app.dispatch.dispositions import CHOICES, choice, label_for
from app.store import ManualClock, PermissionDenied, Store, ValidationError
from app.store.samples import sample_incident

PW = "correct-horse"


@pytest.fixture
def env(tmp_path):
    clock = ManualClock()
    store = Store.open(tmp_path / "t.sqlite3", clock=clock)
    users = Users(store)
    users.create("admin", "A", "admin", PW, actor=None)
    users.create("disp", "D", "dispatcher", PW, actor="admin")
    users.create("sup", "S", "supervisor", PW, actor="admin")
    wf = Workflow(store, default_agency())
    yield store, clock, users, wf
    store.close_all()


def test_role_table_matches_what_the_workflow_enforces(env):
    store, _, _, wf = env
    assert can("dispatcher", "acknowledge") and not can("analyst", "acknowledge")
    assert not can("trainer", "acknowledge") and can("trainer", "acknowledge", exercise=True)
    assert "view_supervisor" in permissions_of("supervisor") and "view_supervisor" not in permissions_of("dispatcher")
    with pytest.raises(ValueError, match="role must be one of"):
        permissions_of("janitor")
    iid = store.record_incident(sample_incident("E1")).incident_id
    with pytest.raises(PermissionDenied, match="needs role supervisor"):
        wf.supervisor_confirm(iid, "disp")


def test_every_disposition_choice_is_accepted_by_close_and_reads_back(env):
    store, _, _, wf = env
    for i, c in enumerate(CHOICES):
        iid = store.record_incident(sample_incident(f"E{i}")).incident_id
        wf.acknowledge(iid, "disp")
        wf.dispatch(iid, "disp", ["1A1"])
        wf.on_scene(iid, "disp")
        wf.close(iid, "disp", c.disposition, evidence=c.evidence, other_source=c.other_source)
        d = store.get_incident(iid).dispositions[-1]
        assert label_for(d["disposition"], d["evidence"], d["other_source"]) == c.label
    with pytest.raises(ValidationError, match="unknown disposition 'Maybe'"):
        choice("Maybe")


def test_cad_draft_checks_name_the_field():
    ok = CadDraft("SHOOT", 1, "at 12 Elm St", 41.0, -71.0, "Acoustic alert: 3 rounds.", 0, units=("1A1",))
    agency = default_agency()
    assert validate_cad(ok, agency) == {}
    assert "at least 5" in validate_cad(ok.with_(location="x"), agency)["location"]
    assert "at least one unit" in validate_cad(ok.with_(units=()), agency)["units"]
    assert "listed twice" in validate_cad(ok.with_(self_dispatched=("1A1",)), agency)["units"]
    assert "look wrong" in validate_cad(ok.with_(units=("a b",)), agency)["units"]


def test_ems_request_and_awaiting_supervisor_list(env):
    store, clock, _, wf = env
    a = store.record_incident(sample_incident("A")).incident_id
    clock.advance(1)
    b = store.record_incident(sample_incident("B")).incident_id
    assert wf.awaiting_supervisor() == [a, b]          # unacknowledged, oldest first
    wf.acknowledge(a, "disp")
    assert wf.awaiting_supervisor() == [b]
    clock.advance(wf.agency.ack_timeout_s + 1)
    assert [e.incident_id for e in wf.escalate_overdue()] == [b]
    assert wf.escalate_overdue() == []                 # each escalation reported once
    wf.acknowledge(b, "disp")
    assert wf.awaiting_supervisor() == [b]             # escalated, not yet confirmed
    wf.supervisor_confirm(b, "sup")
    assert wf.awaiting_supervisor() == []
    with pytest.raises(ValidationError, match="needs a reason"):
        wf.request_ems(a, "disp", reason=" ")
    wf.request_ems(a, "disp", reason="with CAD")
    assert store.get_incident(a).ems_requests[0]["reason"] == "with CAD"


def test_unlock_session_counts_failures_like_login(env):
    _, _, users, _ = env
    s = users.login("disp", PW)
    assert users.unlock_session(s.id, PW).id == "disp"
    for _ in range(4):
        with pytest.raises(PermissionDenied, match="wrong password"):
            users.unlock_session(s.id, "nope")
    with pytest.raises(PermissionDenied, match="now locked"):
        users.unlock_session(s.id, "nope")
    with pytest.raises(PermissionDenied, match="locked"):
        users.unlock_session(s.id, PW)


def test_engine_incident_round_trips_through_the_store(env):
    store, _, _, _ = env
    inc = sample_incident("E9", rounds=3, revision=2)
    iid = store.record_incident(inc).incident_id
    back = store.engine_incident(iid)
    assert back.id == inc.id and back.revision == 2 and back.rounds == 3
    assert back.shots == inc.shots and back.shooter_of_shot == inc.shooter_of_shot
    store.revise_incident(iid, actor="admin", reason="recount", kind="possible_gunfire")
    assert store.engine_incident(iid).kind == "possible_gunfire"    # human revision wins, shots kept
