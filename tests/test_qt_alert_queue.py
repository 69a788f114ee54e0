"""The alert queue model/proxy: Qt's model tester, ordering, filtering, live fields."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.qt.alert_queue_model import AlertQueueModel, Col, Role
from app.qt.alert_queue_proxy import AlertQueueProxy
from app.store import ManualClock
from tests.console_fixtures import incidents, open_dispatch


@pytest.fixture
def setup(tmp_path):
    clock = ManualClock()
    d = open_dispatch(tmp_path, clock)
    model = AlertQueueModel(clock, 60.0)
    return clock, d, model


def ingest(d, inc):
    """Record through Intake (as the worker does) and take the view (as the GUI does)."""
    return d.accept(d.record([inc])[0])


def test_model_passes_qt_model_tester_through_inserts_updates_and_sorts(qtmodeltester, setup):
    clock, d, model = setup
    qtmodeltester.check(model, force_py=True)
    for inc in incidents(12, clock):
        clock.advance(3)
        rec, _ = ingest(d, inc)
        model.add_or_update(rec)
    d.acknowledge("SYN-000003", d.users.get("disp1"))
    model.record_changed("SYN-000003")
    model.sort(Col.ROUNDS, Qt.SortOrder.DescendingOrder)
    model.sort(Col.LOCATION, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model, force_py=True)
    proxy = AlertQueueProxy()
    proxy.setSourceModel(model)
    proxy.set_state_filter("unacknowledged")
    qtmodeltester.check(proxy, force_py=True)


def test_new_alerts_arrive_at_the_top_and_ages_are_live(setup):
    clock, d, model = setup
    for inc in incidents(3, clock):
        clock.advance(10)
        model.add_or_update(ingest(d, inc)[0])
    assert model.index(0, Col.TIME).data(Role.INCIDENT_ID) == "SYN-000002"
    assert model.index(2, Col.TIME).data(Role.INCIDENT_ID) == "SYN-000000"
    clock.advance(133)
    assert model.index(0, Col.AGE).data() == "2 m 13 s"
    assert model.index(2, Col.AGE).data() == "2 m 33 s"


def test_sort_by_rounds_then_filter_by_state_and_text(setup):
    clock, d, model = setup
    for inc in incidents(20, clock):
        model.add_or_update(ingest(d, inc)[0])
    model.sort(Col.ROUNDS, Qt.SortOrder.DescendingOrder)
    rounds = [model.index(r, Col.ROUNDS).data() for r in range(model.rowCount())]
    assert rounds == sorted(rounds, reverse=True)
    assert model.row_of("SYN-000005") == [model.index(r, 0).data(Role.INCIDENT_ID)
                                          for r in range(model.rowCount())].index("SYN-000005")
    proxy = AlertQueueProxy()
    proxy.setSourceModel(model)
    d.acknowledge("SYN-000005", d.users.get("disp1"))
    model.record_changed("SYN-000005")
    proxy.set_state_filter("unacknowledged")
    assert proxy.rowCount() == 19   # dynamic filter drops the acknowledged row
    proxy.set_state_filter("all")
    word = d.get("SYN-000007").location_words.split(" of ")[0]
    proxy.set_text(word)
    ids = {proxy.incident_id_at(r) for r in range(proxy.rowCount())}
    assert "SYN-000007" in ids and all(word.lower() in d.get(i).location_words.lower() for i in ids)


def test_escalated_rows_are_coloured_and_labelled(setup):
    clock, d, model = setup
    inc = incidents(1, clock)[0]
    model.add_or_update(ingest(d, inc)[0])
    clock.advance(d.agency.ack_timeout_s + 1)
    assert [r.incident_id for r in d.escalate_overdue()] == [inc.id]
    idx = model.index(0, Col.STATE)
    assert idx.data() == "ESCALATED"
    assert idx.data(Role.ESCALATED) is True
    assert model.index(0, Col.TIME).data(Qt.ItemDataRole.BackgroundRole).name() == "#5a0b1c"


def test_incident_marked_probable_fireworks_stays_in_the_queue_and_says_review(setup):
    import dataclasses

    from app.console_services.readout import readout

    clock, d, model = setup
    inc = dataclasses.replace(incidents(1, clock, rounds=9)[0], kind="possible_gunfire", gunfire_p=0.05,
                              review_label="probable_fireworks",
                              notes=("audio: gunfire probability 0.05, probable fireworks — review (…)",))
    rec, _ = ingest(d, inc)
    assert rec.incident.review_label == "probable_fireworks"   # through the store and back
    model.add_or_update(rec)
    assert model.rowCount() == 1 and rec.state == "new"       # the alert is kept, unacknowledged
    row = model.index(0, Col.TYPE)
    assert model.data(row) == "Possible · fireworks?"
    assert "probable fireworks — review" in model.data(row, Qt.ItemDataRole.ToolTipRole)
    text = readout(rec.incident, location_words="305 Birch St", near_words=None, reported_ns=rec.reported_ns,
                   now_ns=rec.reported_ns)
    assert text.startswith("Possible gunfire — probable fireworks, review, 9 rounds")
