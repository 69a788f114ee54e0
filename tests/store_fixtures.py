"""Shared builders for the store tests: a database worked through the real services, and
a store id given to a second incident (as restoring an older copy of the database would)."""
from __future__ import annotations

import dataclasses

from app.dispatch import Users, Workflow, default_agency
from app.dispatch.calls import CitizenCalls
from app.store import ImportedIncident, Store
from app.store.samples import FRAME, T0_NS, sample_incident

PW = "correct-horse"


def varied_records(store: Store, n: int = 24) -> list[int]:
    """n engine incidents worked to different points of the workflow, some revised by the
    engine or by a person, plus two imported incidents (no shots)."""
    users = Users(store)
    users.create("admin", "A", "admin", PW, actor=None)
    users.create("disp", "D", "dispatcher", PW, actor="admin")
    users.create("sup", "S", "supervisor", PW, actor="admin")
    agency = default_agency()
    wf, calls = Workflow(store, agency), CitizenCalls(store, agency)
    ids = []
    for i in range(n):
        store.clock.advance(7)
        inc = sample_incident(f"E{i:02d}", rounds=1 + i % 4, x_m=40.0 * i, t0_ns=T0_NS + i * 10**9)
        if i % 5 == 1:
            inc = dataclasses.replace(inc, tags=("mobile_shooter", "full_auto"), speed_mps=11.5, heading_deg=271.25,
                                      notes=("audio: probable fireworks “crackle”", 'quote " and \\ backslash'),
                                      gunfire_p=0.12, review_label="probable_fireworks", kind="possible_gunfire")
        iid = store.record_incident(inc, FRAME, address=f"in front of {i} Elm St (near Elm St & {i}th Ave)",
                                    exercise=i % 2 == 0).incident_id
        ids.append(iid)
        if i % 3 == 0:   # a later engine revision with one more round
            store.clock.advance(2)
            store.record_incident(sample_incident(f"E{i:02d}", revision=1, rounds=2 + i % 4, x_m=40.0 * i + 3,
                                                  t0_ns=T0_NS + i * 10**9), FRAME, address=f"near {i} Elm St")
        if i % 4 == 1:
            wf.acknowledge(iid, "disp")
            wf.dispatch(iid, "disp", ["1A1"])
            wf.attach_unit(iid, "disp", "K9-4", self_dispatched=True)
        if i % 4 == 2:
            calls.link_call(iid, "disp", victim_confirmed=True, subject_description="red hoodie")
        if i % 8 == 1:
            wf.on_scene(iid, "disp")
            wf.close(iid, "disp", "founded", evidence=["casings"])
        if i % 7 == 3:
            store.revise_incident(iid, actor="sup", reason="recount from the audio", rounds=9, kind="multiple_gunshots")
    store.clock.advance(agency.ack_timeout_s + 5)
    wf.escalate_overdue()
    store.import_incidents([ImportedIncident(f"IMP-{k}", T0_NS + k, "single_gunshot", 1, 29.5, -140.5,
                                             disposition="unfounded") for k in range(2)],
                           actor="admin", source_label="vendor.csv")
    return ids


def give_incident_ids_again_from(store: Store, incident_id: int) -> None:
    """Make the next incident recorded get ``incident_id`` (when no incident has an id that
    large): the store never gives an id twice, but an older copy of the database restored
    from a backup starts counting again from where that copy was."""
    with store.transaction() as conn:
        conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'incidents'", (incident_id - 1,))
