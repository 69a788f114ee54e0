"""What the console launchers (``tocsin console``, ``tocsin train``, ``tocsin console --live``)
share: signing in (a named user with a password, or the sign-in dialog, which can be
cancelled) and the start-up history load."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QLabel

from app.cli import CliError
from app.cli import console_cmd
from app.cli.console_cmd import load_history, sign_in
from app.console_services.demo_seed import DEMO_PASSWORD, HINT, create_demo_users
from app.dispatch import Users
from app.ui.login_dialog import LoginDialog


@pytest.fixture
def users(store):
    u = Users(store)
    create_demo_users(u)
    return u


@pytest.fixture
def dialog(monkeypatch):
    """The sign-in dialog, answered by the test: ``answer["as"]`` = (user, password) to sign
    in, or None to cancel.  ``answer["shown"]`` collects the dialogs that were opened."""
    answer: dict = {"as": None, "shown": []}

    def exec_(dlg):
        answer["shown"].append(dlg)
        if answer["as"] is None:
            dlg.reject()
            return QDialog.DialogCode.Rejected
        dlg.user_id.setText(answer["as"][0])
        dlg.password.setText(answer["as"][1])
        return QDialog.DialogCode.Accepted if dlg.try_sign_in() else QDialog.DialogCode.Rejected

    monkeypatch.setattr(LoginDialog, "exec", exec_)
    return answer


def _never_asked() -> str:
    raise AssertionError("the password was asked for although the dialog signs in")


def test_a_named_user_signs_in_with_the_password_given(users, dialog):
    session = sign_in(users, "sup1", lambda: DEMO_PASSWORD, training=True)
    assert session.user.id == "sup1" and session.user.role == "supervisor"
    assert dialog["shown"] == []


@pytest.mark.parametrize(("training", "match"), [
    (True, r"^cannot sign in as training user 'disp1': "),
    (False, r"^cannot sign in as 'disp1': "),
])
def test_a_refused_sign_in_is_one_cli_error(users, training, match):
    with pytest.raises(CliError, match=match):
        sign_in(users, "disp1", lambda: "wrong", training=training)


def test_without_a_user_the_dialog_signs_in_and_shows_the_hint(users, dialog, qtbot):
    dialog["as"] = ("disp1", DEMO_PASSWORD)
    session = sign_in(users, None, _never_asked, hint=HINT)
    assert session.user.id == "disp1"
    (dlg,) = dialog["shown"]
    qtbot.addWidget(dlg)
    assert HINT in [label.text() for label in dlg.findChildren(QLabel)]


def test_a_cancelled_dialog_signs_nobody_in(users, dialog, qtbot):
    assert sign_in(users, None, _never_asked, hint=HINT) is None
    qtbot.addWidget(dialog["shown"][0])
    assert dialog["shown"][0].session is None


def _launch_offscreen(monkeypatch, qapp):
    """Run a launcher in this test process: the test's QApplication stands in for a new one,
    and the environment variables the launcher sets are put back afterwards."""
    monkeypatch.setattr(console_cmd, "qt_application", lambda: qapp)
    monkeypatch.delenv("QT_LOGGING_RULES", raising=False)


def _closed_stores(monkeypatch) -> list:
    from app.store import Store

    closed: list = []
    close_all = Store.close_all

    def spy(self):
        closed.append(self.path)
        close_all(self)

    monkeypatch.setattr(Store, "close_all", spy)
    return closed


def test_cancelling_the_sign_in_ends_the_demo_console_with_status_1(monkeypatch, qapp, tmp_path, dialog, capsys):
    from app.console_services import demo_seed

    _launch_offscreen(monkeypatch, qapp)
    closed = _closed_stores(monkeypatch)
    db = tmp_path / "training.sqlite3"
    monkeypatch.setattr(demo_seed, "training_db_path", lambda: db)
    assert console_cmd.open_demo_console(user_id=None) == 1
    assert len(dialog["shown"]) == 1 and closed == [db]
    assert f"training database {db}" in capsys.readouterr().err


def test_cancelling_the_sign_in_ends_the_training_console_with_status_1(monkeypatch, qapp, tmp_path, dialog):
    from app.cli.train_console import run_training_console
    from app.training import load_scenario, shipped_scenarios

    _launch_offscreen(monkeypatch, qapp)
    closed = _closed_stores(monkeypatch)
    db = tmp_path / "training.sqlite3"
    sc = load_scenario(shipped_scenarios()[0])
    assert run_training_console(sc, db=db, out_dir=tmp_path, speed=1.0, user_id=None, screenshot=None,
                                after_s=1.0, size="800x600") == 1
    assert len(dialog["shown"]) == 1 and closed == [db]
    assert not list(tmp_path.glob("after-action-*"))          # no session, no report


# ---------------------------------------------------------------- history
def test_history_is_read_from_the_store_once_into_the_queue_and_the_newest_onto_the_map(qtbot, tmp_path,
                                                                                          monkeypatch):
    from app.console_services.console_dispatch import ConsoleDispatch
    from tests.console_fixtures import build_controller, incidents, recorded

    ctl, clock = build_controller(qtbot, tmp_path=tmp_path)
    stored = []
    for inc in incidents(5, clock):
        stored += recorded(ctl, [inc])
        clock.advance(30)
    # A console starting on that database: nothing in memory yet.
    old = ctl.dispatch
    fresh = ConsoleDispatch(old.store, old.agency, frame=ctl.site.frame, exercise=True)
    reads, mapped = [], []
    load_recent = fresh.load_recent
    monkeypatch.setattr(fresh, "load_recent", lambda limit: reads.append(limit) or load_recent(limit))
    monkeypatch.setattr(ctl, "push_records_to_map", mapped.append)
    monkeypatch.setattr(console_cmd, "MAP_HISTORY", 2)

    load_history(ctl, fresh, 3)

    ids = [r.incident.id for r in stored]                            # oldest first: the clock moved on
    assert reads == [3]
    assert [ctl.model.record_at(r).incident_id for r in range(ctl.model.rowCount())] == ids[:-4:-1]  # newest on top
    assert len({r.reported_ns for r in fresh.records()}) == 3
    assert len(mapped) == 1 and [r.incident_id for r in mapped[0]] == ids[-2:]
