"""Users and log-in (CJIS-style): unique ids, scrypt hashes, lockout after 5 failures."""
from __future__ import annotations

import pytest

from app.dispatch import MAX_FAILED_LOGINS, Users
from app.dispatch.users import check_password, hash_password
from app.store import ManualClock, PermissionDenied, Store, ValidationError

PW = "s3cret-pass"


@pytest.fixture
def users(tmp_path):
    s = Store.open(tmp_path / "u.sqlite3", clock=ManualClock())
    u = Users(s)
    u.create("admin1", "Ada", "admin", PW, actor=None)
    u.create("disp1", "Dee", "dispatcher", PW, actor="admin1")
    yield u
    s.close_all()


def test_password_hash_is_salted_scrypt_and_verifies():
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$")
    assert check_password("correct horse", a) and not check_password("wrong horse", a)
    assert not check_password("x", "md5$abc")


def test_first_user_must_be_admin_and_others_need_an_admin(tmp_path):
    s = Store.open(tmp_path / "x.sqlite3")
    u = Users(s)
    with pytest.raises(ValidationError, match="first user of a database must be an admin"):
        u.create("d1", "D", "dispatcher", PW, actor=None)
    u.create("a1", "A", "admin", PW, actor=None)
    u.create("d1", "D", "dispatcher", PW, actor="a1")
    with pytest.raises(PermissionDenied, match="needs role admin"):
        u.create("d2", "D2", "dispatcher", PW, actor="d1")
    s.close_all()


@pytest.mark.parametrize("uid, role, pw, match", [
    ("disp1", "dispatcher", PW, "already taken"),
    ("x", "dispatcher", PW, "user id must be 2–64"),
    ("bad id", "dispatcher", PW, "user id must be 2–64"),
    ("new1", "captain", PW, "role must be one of"),
    ("new1", "dispatcher", "short", "at least 8 characters"),
    ("new12345", "dispatcher", "NEW12345", "must not equal the user id"),
])
def test_create_user_validation(users, uid, role, pw, match):
    with pytest.raises(ValidationError, match=match):
        users.create(uid, "Name", role, pw, actor="admin1")


def test_lock_after_five_failed_logins_until_admin_unlocks(users):
    for i in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(PermissionDenied, match="unknown user or wrong password"):
            users.login("disp1", "wrong-password")
    with pytest.raises(PermissionDenied, match="now locked"):
        users.login("disp1", "wrong-password")
    with pytest.raises(PermissionDenied, match="locked"):
        users.login("disp1", PW)                 # the right password no longer helps
    assert users.get("disp1").locked
    with pytest.raises(PermissionDenied):
        users.unlock("disp1", actor="disp1")
    users.unlock("disp1", actor="admin1")
    session = users.login("disp1", PW)
    assert session.user.failed_logins == 0
    failures = [e for e in users.store.audit_entries(entity="user", entity_id="disp1") if e["action"] == "login.failed"]
    assert len(failures) == MAX_FAILED_LOGINS + 1 and failures[4]["details"]["locked"] is True


def test_success_resets_failure_count_and_unknown_user_is_audited(users):
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            users.login("disp1", "nope-nope")
    users.login("disp1", PW)
    assert users.get("disp1").failed_logins == 0
    with pytest.raises(PermissionDenied, match="unknown user or wrong password"):
        users.login("mallory", PW)
    assert users.store.audit_entries(entity="user", entity_id="mallory")[-1]["details"]["reason"] == "unknown user"


def test_deactivate_role_change_and_password_change(users):
    users.set_role("disp1", "supervisor", actor="admin1")
    assert users.get("disp1").role == "supervisor"
    users.set_password("disp1", "another-pass", actor="disp1")
    users.login("disp1", "another-pass")
    with pytest.raises(ValidationError, match="cannot deactivate their own"):
        users.deactivate("admin1", actor="admin1")
    users.deactivate("disp1", actor="admin1")
    with pytest.raises(PermissionDenied, match="deactivated"):
        users.login("disp1", "another-pass")
