"""History loaded in bulk (``ConsoleDispatch.load_recent``): the same views as loading each
incident alone, no shot decoded until an alert is looked at, the queue working on the
summaries alone, and each view's incident the revision its row shows."""
from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import Qt

from app.console_services.cad import prefill
from app.console_services.console_dispatch import ConsoleDispatch
from app.console_services.demo_seed import seed_history
from app.console_services.site import fallback_site
from app.qt.alert_queue_model import HEADERS, AlertQueueModel, Col, Role
from app.qt.alert_queue_proxy import AlertQueueProxy
from app.store import IncidentSummary, ManualClock, Store
from app.store.samples import sample_incident
from tests.console_fixtures import incidents, open_dispatch


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


def _fresh(d: ConsoleDispatch) -> ConsoleDispatch:
    site = fallback_site()
    return ConsoleDispatch(Store.open(d.store.path, clock=d.clock), site.agency, frame=site.frame, exercise=True)


def test_bulk_loaded_views_equal_views_loaded_one_by_one(worked):
    bulk_d, one_d = _fresh(worked), _fresh(worked)
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
    d = _fresh(worked)
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
    d = _fresh(worked)
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
