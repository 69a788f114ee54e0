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
                              notes=("audio: gunfire probability 0.05, probable fireworks — review (…)",
                                     "height: source 160 m above ground — an aerial firework shell, or a shooter "
                                     "high in a building"))
    rec, _ = ingest(d, inc)
    assert rec.incident.review_label == "probable_fireworks"   # through the store and back
    model.add_or_update(rec)
    assert model.rowCount() == 1 and rec.state == "new"       # the alert is kept, unacknowledged
    row = model.index(0, Col.TYPE)
    assert model.data(row) == "Possible · fireworks?"
    assert "probable fireworks — review" in model.data(row, Qt.ItemDataRole.ToolTipRole)
    assert "\nheight: source 160 m above ground" in model.data(row, Qt.ItemDataRole.ToolTipRole)
    text = readout(rec.incident, location_words="305 Birch St", near_words=None, reported_ns=rec.reported_ns,
                   now_ns=rec.reported_ns)
    assert text.startswith("Possible gunfire — probable fireworks, review, 9 rounds")


def _reference_ids(model, states, escalated_only, kinds, text):
    """The filter's meaning, decided the slow way from the live records."""
    out = set()
    for row in range(model.rowCount()):
        rec = model.record_at(row)
        hay = f"{rec.location_words} {rec.near_words or ''} {rec.incident_id} {rec.cad_number or ''}".lower()
        if ((states is None or rec.state in states) and (not escalated_only or rec.escalated)
                and (kinds is None or rec.incident.kind in kinds) and text.strip().lower() in hay):
            out.add(rec.incident_id)
    return out


def test_filter_follows_changed_added_and_resorted_rows_exactly_as_the_live_records_say(setup):
    from app.qt.alert_queue_proxy import STATE_FILTERS

    clock, d, model = setup
    incs = incidents(30, clock)
    model.load([ingest(d, inc)[0] for inc in incs[:24]])
    proxy = AlertQueueProxy()
    proxy.setSourceModel(model)
    word = "NE of"                       # fallback site: "604 m NE of Port Tocsin centre"
    settings = {"states": STATE_FILTERS["open"], "escalated_only": False, "kinds": None, "text": word}
    proxy.set_state_filter("open")
    proxy.set_text(f"  {word.upper()} ")

    def shown():
        return {proxy.incident_id_at(r) for r in range(proxy.rowCount())}

    expected = _reference_ids(model, **settings)
    assert 0 < len(expected) < model.rowCount() and shown() == expected
    # A CAD number makes a row match the text; closing one drops it from "open".
    rec = next(r for r in d.records() if r.incident_id not in expected)
    rec.cad_number = "CAD-NE OF-77"
    model.record_changed(rec.incident_id)
    assert rec.incident_id in shown()
    closed = next(iter(expected))
    d.get(closed).state = "closed"
    model.record_changed(closed)
    assert closed not in shown() and shown() == _reference_ids(model, **settings)
    # New alerts at the top are decided as they arrive, then a sort renumbers every row.
    for inc in incs[24:]:
        model.add_or_update(ingest(d, inc)[0])
    assert shown() == _reference_ids(model, **settings)
    model.sort(Col.LOCATION, Qt.SortOrder.AscendingOrder)
    assert shown() == _reference_ids(model, **settings)
    rec = next(d.get(f"SYN-{i:06d}") for i in range(24, 30) if f"SYN-{i:06d}" not in shown())
    rec.location_words = "12 m NE of Harbour Rd"
    model.record_changed(rec.incident_id)
    assert rec.incident_id in shown() and shown() == _reference_ids(model, **settings)
    # Kind and escalated filters combine with the text; no text shows the state filter only.
    kind = d.get("SYN-000003").incident.kind
    proxy.set_kinds(frozenset({kind}))
    assert shown() == _reference_ids(model, **{**settings, "kinds": frozenset({kind})})
    proxy.set_kinds(None)
    proxy.set_text("")
    proxy.set_state_filter("escalated")
    assert shown() == _reference_ids(model, STATE_FILTERS["unacknowledged"], True, None, "") == set()
    proxy.set_state_filter("all")
    assert proxy.rowCount() == model.rowCount() == 30


def test_typing_in_the_queue_search_filters_once_the_typing_pauses(qtbot, setup):
    from app.ui.alert_queue_view import AlertQueueView

    clock, d, model = setup
    model.load([ingest(d, inc)[0] for inc in incidents(12, clock)])
    view = AlertQueueView(model)
    qtbot.addWidget(view)
    view.proxy.set_state_filter("all")
    calls = []
    real_set_text = view.proxy.set_text
    view.proxy.set_text = lambda text: (calls.append(text), real_set_text(text))
    for ch in "ne of":
        qtbot.keyClicks(view.search, ch)
    assert calls == [] and view.proxy.rowCount() == 12          # nothing filtered per keystroke
    qtbot.waitUntil(lambda: calls == ["ne of"], timeout=2000)
    expected = _reference_ids(model, None, False, None, "ne of")
    assert {view.proxy.incident_id_at(r) for r in range(view.proxy.rowCount())} == expected
    assert view.count_label.text() == f"{len(expected)} shown / 12"
    view.search.setText("syn-000004")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)                    # Return filters at once
    assert calls[-1] == "syn-000004" and view.proxy.incident_id_at(0) == "SYN-000004"


def _display_ids(model) -> list[str]:
    return [model.index(r, 0).data(Role.INCIDENT_ID) for r in range(model.rowCount())]


def test_removed_alerts_leave_the_model_and_every_other_row_keeps_its_place(qtmodeltester, setup):
    clock, d, model = setup
    model.load([ingest(d, inc)[0] for inc in incidents(14, clock)])
    model.sort(Col.LOCATION, Qt.SortOrder.AscendingOrder)          # purged rows scattered, some adjacent
    qtmodeltester.check(model, force_py=True)
    proxy = AlertQueueProxy()
    proxy.setSourceModel(model)
    proxy.set_text("syn-00000")                                    # SYN-000000 … SYN-000009
    before = _display_ids(model)
    gone = {before[0], before[1], before[5], before[6], before[7], before[-1], "SYN-999999"}
    removed = []
    model.rowsAboutToBeRemoved.connect(lambda _p, first, last: removed.append(
        [model.index(r, 0).data(Role.INCIDENT_ID) for r in range(first, last + 1)]))
    assert model.remove(gone) == 6                                 # the unknown id is ignored
    assert sorted(sum(removed, [])) == sorted(gone - {"SYN-999999"}) and len(removed) == 3   # one removal per run
    kept = [i for i in before if i not in gone]
    assert _display_ids(model) == kept
    assert [model.row_of(i) for i in kept] == list(range(len(kept))) and model.row_of(before[5]) == -1
    records, keys = model.stored()
    assert keys == [f"{r.location_words} {r.near_words or ''} {r.incident_id} {r.cad_number or ''}".lower()
                    for r in records]                              # search texts stay beside their rows
    assert {proxy.incident_id_at(r) for r in range(proxy.rowCount())} == {i for i in kept if i < "SYN-000010"}
    model.add_or_update(ingest(d, incidents(1, clock, first=20)[0])[0])   # the model goes on as before
    assert _display_ids(model) == ["SYN-000020", *kept]
    assert model.remove(kept) == len(kept) and _display_ids(model) == ["SYN-000020"]
    qtmodeltester.check(model, force_py=True)


def _queue_view(qtbot, setup, n=6):
    from app.ui.alert_queue_view import AlertQueueView

    clock, d, model = setup
    model.load([ingest(d, inc)[0] for inc in incidents(n, clock)])
    view = AlertQueueView(model)
    qtbot.addWidget(view)
    view.proxy.set_state_filter("all")
    announced = []
    view.incident_selected.connect(announced.append)
    return view, announced


def test_removing_the_current_alert_names_the_next_one_down_the_queue(qtbot, setup):
    view, announced = _queue_view(qtbot, setup)
    shown = [view.proxy.incident_id_at(r) for r in range(view.proxy.rowCount())]   # newest first
    view.select(shown[2])
    announced.clear()
    assert view.remove({shown[2], shown[3]}) == shown[4]            # the next row that stays
    assert announced == []                                         # the queue announced no choice itself
    assert view.select(shown[4]) and view.current_incident_id() == shown[4]
    assert view.remove({shown[4], shown[5]}) == shown[1]            # at the bottom: the nearest above
    assert announced == []
    assert view.select(shown[1]) and view.current_incident_id() == shown[1]
    assert view.remove({shown[0]}) is None                         # not the current one: it stays current
    assert view.current_incident_id() == shown[1] and announced == []
    assert view.remove({shown[1]}) is None and view.proxy.rowCount() == 0
    assert view.current_incident_id() is None and view.count_label.text() == "0 shown / 0"


def test_the_next_alert_is_the_next_one_the_filtered_queue_shows(qtbot, setup):
    view, announced = _queue_view(qtbot, setup)
    clock, d, model = setup
    d.acknowledge("SYN-000003", d.users.get("disp1"))
    model.record_changed("SYN-000003")
    view.state_filter.setCurrentIndex(view.state_filter.findData("unacknowledged"))   # SYN-000003 hidden
    assert view.select("SYN-000004")
    assert view.remove({"SYN-000004"}) == "SYN-000002"                 # SYN-000003 is not shown
    assert model.row_of("SYN-000003") >= 0
