"""Alerts whose incident the retention purge removed after the console had read them (the
history was loaded before the purge): every reader that goes back to the store for the
incident says it was purged — the full incident behind the detail pane, the map's shots,
the CAD narrative and the CAD entry, the user's actions — and the other alerts keep working.
No Qt: these are the services the console's widgets call."""
from __future__ import annotations

import numpy as np
import pytest

from app.console_services.cad import prefill
from app.console_services.console_dispatch import IncidentPurged
from app.console_services.map_features import incident_features
from app.console_services.site import fallback_site
from app.console_services.synthetic import make_incident
from app.dispatch.dispositions import LABELS
from app.store import ManualClock
from app.store.samples import T0_NS
from tests.console_fixtures import aged_history, incidents, open_dispatch, purge, reopened
from tests.store_fixtures import give_incident_ids_again_from

PURGED = r"Incident SYN-0000\d\d \(#\d+\) was purged under the retention policy: it can no longer be read or changed"


@pytest.fixture
def history(tmp_path):
    """A console that loaded 4 old and 3 recent alerts as history, then the purge ran."""
    clock = ManualClock()
    writer = open_dispatch(tmp_path, clock)
    old, new = aged_history(writer, clock, 4, 3)
    d = reopened(writer)
    writer.store.close_all()
    views = d.load_recent(100)
    assert len(views) == 7 and all(v.loaded_incident is None for v in views)
    yield d, [i.id for i in old], [i.id for i in new]
    d.store.close_all()


def test_the_full_incident_of_a_purged_history_alert_says_it_was_purged(history):
    d, old, new = history
    read_before = d.get(old[1]).incident                 # read while it was still stored
    assert len(purge(d)) == 4
    with pytest.raises(IncidentPurged, match=PURGED):
        d.get(old[0]).incident
    assert d.get(old[1]).incident == read_before          # what was read stays readable
    assert d.get(new[0]).incident.id == new[0]           # the others are read as before


def test_the_map_leaves_purged_alerts_out_and_draws_the_others_unchanged(history):
    d, old, new = history
    views = d.records()
    frame = fallback_site().frame
    before, _ = incident_features(views, frame, d.shot_outlines(views))
    purge(d)
    drawn, purged = incident_features(views, frame, d.shot_outlines(views))
    assert sorted(v.incident_id for v in purged) == sorted(old)
    assert drawn == [f for f in before if f["id"] in new]
    assert all(v.loaded_incident is None for v in views)   # no full incident was read


def test_the_cad_narrative_of_a_purged_alert_says_it_was_purged(history):
    d, old, new = history
    d.get(old[1]).incident                                # the form was filled before the purge
    purge(d)
    with pytest.raises(IncidentPurged, match=PURGED):
        prefill(d.get(old[0]), d.agency)                  # the narrative reads the incident
    for uid in old[:2]:
        with pytest.raises(IncidentPurged, match=PURGED):
            d.cad_prefill(uid)
    assert d.cad_prefill(new[0]).narrative.startswith("TRAINING; Acoustic alert")


@pytest.mark.parametrize("action", ["acknowledge", "create_cad", "on_scene", "close", "supervisor_confirm",
                                    "link_call"])
def test_actions_on_a_purged_alert_say_it_was_purged_and_write_nothing(history, action):
    d, old, new = history
    sup = d.users.get("sup1")
    draft = d.cad_prefill(old[0]).with_(units=("1A12",))   # drafted before the purge
    purge(d)
    args = {"create_cad": (draft,), "close": (LABELS[4],)}.get(action, ())
    audit_before = len(d.store.audit_entries())
    with pytest.raises(IncidentPurged, match=PURGED):
        getattr(d, action)(old[0], sup, *args)
    assert len(d.store.audit_entries()) == audit_before
    assert d.acknowledge(new[0], sup).state == "acknowledged"     # the other alerts keep working


def test_an_alert_whose_store_id_the_store_gave_to_a_newer_incident_is_still_purged(tmp_path):
    """The store never gives a purged incident's id again, but should an alert's store id name
    another incident all the same — an older copy of the database restored from a backup counts
    ids from where that copy was — the alert is still the purged incident (defence in depth)."""
    clock = ManualClock()
    writer = open_dispatch(tmp_path, clock)
    clock.advance((writer.agency.retention_years + 1) * 365.25 * 86400)
    recent = incidents(1, clock, seed=31)[0]
    late = make_incident(np.random.default_rng(32), 1, T0_NS, radius_m=600)   # older than the records kept
    writer.record([recent])
    writer.record([late])                                 # recorded last: the largest id
    d = reopened(writer)
    try:
        d.load_recent(10)
        view = d.get(late.id)
        assert purge(d) == (view.store_id,)
        newer = incidents(1, clock, seed=33, first=2)[0]
        give_incident_ids_again_from(writer.store, view.store_id)
        writer.record([newer])
        assert d.store.incident_id_for(newer.id) == view.store_id     # the id was given again
        with pytest.raises(IncidentPurged, match=late.id):
            view.incident
        assert d.shot_outlines([view]) == {}
        with pytest.raises(IncidentPurged, match=late.id):
            d.acknowledge(late.id, d.users.get("sup1"))
        assert d.get(newer.id).state == "new"            # the newer incident was not acknowledged for it
    finally:
        d.store.close_all()
        writer.store.close_all()


def test_the_alerts_a_purge_removed_are_found_and_forgotten_all_at_once(history):
    d, old, new = history
    assert d.forget_purged() == []
    purge(d)
    gone = d.forget_purged()
    assert sorted(v.incident_id for v in gone) == sorted(old)
    assert [(v.reported_ns, v.store_id) for v in gone] == sorted((v.reported_ns, v.store_id) for v in gone)
    assert sorted(v.incident_id for v in d.records()) == sorted(new) and len(d) == 3
    with pytest.raises(KeyError, match=r"no incident with id 'SYN-0000\d\d' \(never recorded, or purged\)"):
        d.get(old[0])
    assert d.forget_purged() == []
    assert d.get(new[0]).incident.id == new[0]            # the others are read as before


def test_an_alert_whose_store_id_names_another_incident_is_forgotten_as_purged(tmp_path):
    clock = ManualClock()
    writer = open_dispatch(tmp_path, clock)
    clock.advance((writer.agency.retention_years + 1) * 365.25 * 86400)
    late = make_incident(np.random.default_rng(32), 1, T0_NS, radius_m=600)   # older than the records kept
    writer.record([late])
    d = reopened(writer)
    try:
        view = d.load_recent(10)[0]
        purge(d)
        give_incident_ids_again_from(writer.store, view.store_id)      # an older copy of the database restored
        newer = incidents(1, clock, seed=33, first=2)[0]
        writer.record([newer])
        assert d.store.incident_id_for(newer.id) == view.store_id
        assert d.forget_purged() == [view] and d.records() == []
    finally:
        d.store.close_all()
        writer.store.close_all()
