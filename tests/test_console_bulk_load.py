"""History loaded in bulk (``ConsoleDispatch.load_recent``): the same views as loading each
incident alone, no shot decoded until an alert is looked at, the queue working on the
summaries alone, and each view's incident the revision its row shows."""
from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import Qt

from app.console_services.cad import prefill
from app.console_services.demo_seed import seed_history
from app.console_services.map_features import ellipse_ring, incident_feature
from app.console_services.site import fallback_site
from app.qt.alert_queue_model import HEADERS, AlertQueueModel, Col, Role
from app.qt.alert_queue_proxy import AlertQueueProxy
from app.store import IncidentSummary, ManualClock
from app.store.samples import sample_incident
from tests.console_fixtures import incidents, open_dispatch, reopened


@pytest.fixture
def worked(tmp_path):
    """A training database with yesterday's shift worked through the real workflow, a few
    open alerts, an escalation, a citizen call, a person's revision and an imported record."""
    clock = ManualClock()
    d = open_dispatch(tmp_path, clock)
    seed_history(d, 30, span_s=3600, seed=5)
    live = incidents(4, clock, seed=9)
    for inc in live:
        clock.advance(2)
        d.accept(d.record([inc])[0])
    disp1 = d.users.get("disp1")
    d.link_call(live[0].id, disp1, victim_confirmed=True, subject_description="grey sedan")
    clock.advance(d.agency.ack_timeout_s + 1)
    d.escalate_overdue()
    d.acknowledge(live[3].id, disp1)
    d.create_cad(live[1].id, disp1, prefill(d.get(live[1].id), d.agency).with_(units=("1A12",)))
    d.workflow.reclassify(d.get(live[2].id).store_id, "sup1", reason="recounted on the audio", rounds=7,
                          kind="multiple_gunshots")
    yield d
    d.store.close_all()


def test_bulk_loaded_views_equal_views_loaded_one_by_one(worked):
    bulk_d, one_d = reopened(worked), reopened(worked)
    try:
        bulk = bulk_d.load_recent(1000)
        assert len(bulk) == 34
        ones = [one_d.get(v.incident_id) for v in bulk]
        assert bulk == ones
        assert [v.incident for v in bulk] == [v.incident for v in ones]
        assert all(IncidentSummary.of(v.incident) == v.summary for v in bulk)
        # the fixture reached the states and records the comparison is meant to cover
        assert {v.state for v in bulk} >= {"new", "acknowledged", "dispatched", "closed"}
        assert any(v.calls for v in bulk) and any(v.escalated_ns for v in bulk) and any(v.units for v in bulk)
        assert any(len(v.revisions) > 1 and v.revisions[-1].actor == "sup1" for v in bulk)
        assert bulk_d.load_recent(5) == sorted(bulk, key=lambda v: v.reported_ns)[-5:][::-1]
    finally:
        bulk_d.store.close_all()
        one_d.store.close_all()


def test_queue_shows_filters_and_sorts_bulk_history_without_decoding_a_shot(worked, qtmodeltester):
    d = reopened(worked)
    try:
        views = d.load_recent(1000)
        assert all(v.loaded_incident is None for v in views)
        model = AlertQueueModel(d.clock, 60.0)
        proxy = AlertQueueProxy()
        proxy.setSourceModel(model)
        model.load(views)
        for col in Col:
            model.sort(col, Qt.SortOrder.DescendingOrder)
        proxy.set_text("st")
        proxy.set_kinds(frozenset({"multiple_gunshots"}))
        proxy.set_state_filter("open")
        qtmodeltester.check(model, force_py=True)
        cells = [model.index(r, c).data(role) for r in range(model.rowCount()) for c in range(len(HEADERS))
                 for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Role.SORT_KEY, Role.KIND)]
        assert any(cells)
        assert all(v.loaded_incident is None for v in views)          # nothing decoded
        rounds = [model.index(r, Col.ROUNDS).data() for r in range(model.rowCount())]
        model.sort(Col.ROUNDS, Qt.SortOrder.DescendingOrder)
        assert sorted(rounds, reverse=True) == [model.index(r, Col.ROUNDS).data() for r in range(model.rowCount())]
        picked = model.index(0, 0).data(Role.RECORD)
        assert picked.incident.rounds == picked.summary.rounds == model.index(0, Col.ROUNDS).data()
        assert picked.loaded_incident is not None                    # read when first asked for
    finally:
        d.store.close_all()


def test_the_map_draws_history_as_from_the_full_incidents_without_reading_one(worked):
    """At start-up the console sends the map its newest alerts: from their summaries and one
    query for their shots' outlines, the same features as from each full incident."""
    bulk_d, one_d = reopened(worked), reopened(worked)
    frame = fallback_site().frame

    def ll(x_m, y_m):
        lat, lon, _ = frame.to_geodetic(x_m, y_m)
        return [round(float(lat), 7), round(float(lon), 7)]

    try:
        bulk = bulk_d.load_recent(1000)
        full = [one_d.get(v.incident_id) for v in bulk]                 # each with its full incident
        assert all(v.loaded_incident is not None for v in full)
        shots, full_shots = bulk_d.shot_outlines(bulk), one_d.shot_outlines(full)
        assert all(v.loaded_incident is None for v in bulk)             # no full incident was read
        drawn = [incident_feature(v, frame, shots[v.incident_id]) for v in bulk]
        assert drawn == [incident_feature(v, frame, full_shots[v.incident_id]) for v in full]
        for f, v in zip(drawn, full):                                   # the shots as the engine located them
            inc = v.incident
            assert (f["id"], f["kind"], f["revision"], f["review"]) == (inc.id, inc.kind, inc.revision,
                                                                        inc.review_label)
            assert f["title"].endswith(f" · {inc.rounds} rd") and f["err95_m"] == round(inc.err95_m, 1)
            assert [(m["n"], m["ll"], m["shooter"]) for m in f["shots"]] == [
                (k + 1, ll(s.x_m, s.y_m), inc.shooter_of_shot[k]) for k, s in enumerate(inc.shots)]
            best = min(inc.shots, key=lambda s: s.ellipse.semi_major_m)
            assert f["ellipse"] == ellipse_ring(frame, inc.x_m, inc.y_m, best.ellipse)
            if f["arrow"] is not None:
                assert "mobile_shooter" in inc.tags and f["arrow"]["from"] == ll(inc.shots[-1].x_m, inc.shots[-1].y_m)
        # the fixture has what the map draws specially: a moving shooter, a second shooter
        assert any(f["arrow"] for f in drawn) and any(m["shooter"] for f in drawn for m in f["shots"])
    finally:
        bulk_d.store.close_all()
        one_d.store.close_all()


def test_a_view_reads_the_revision_its_row_shows_until_the_new_one_arrives(tmp_path):
    clock = ManualClock()
    d = open_dispatch(tmp_path, clock)
    try:
        d.record([sample_incident("E1", rounds=2)])
        view = d.load_recent(10)[0]
        newer = sample_incident("E1", revision=1, rounds=5)
        rec = d.record([newer])[0]                       # the worker stored a newer engine revision…
        assert (view.incident.revision, view.incident.rounds) == (0, 2)   # …the row still shows the one read
        view2, is_new = d.accept(rec)                    # …until the GUI takes the new one
        assert view2 is view and not is_new
        assert (view.summary.rounds, view.incident.rounds, view.incident) == (5, 5, newer)
        assert d.get("E1").incident == newer
    finally:
        d.store.close_all()


def test_history_load_leaves_the_collector_as_it_found_it(worked):
    d = reopened(worked)
    try:
        assert gc.isenabled()
        d.load_recent(1000)
        assert gc.isenabled()
        gc.disable()
        try:
            d.load_recent(1000)
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        d.store.close_all()
