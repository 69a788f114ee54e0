"""Roles and what each may see and do, plus console sign-in with lock-out and idle lock.

Stand-in until ``app/dispatch`` publishes its roles/login service: the console asks only
``can(role, permission)`` and ``ConsoleAccess.sign_in``, so swapping the source is one place.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

ROLES: tuple[str, ...] = ("dispatcher", "supervisor", "analyst", "trainer", "admin")

PERMISSIONS: dict[str, frozenset[str]] = {
    "dispatcher": frozenset({"acknowledge", "cad_entry", "disposition", "play_audio", "citizen_call"}),
    "supervisor": frozenset({"acknowledge", "cad_entry", "disposition", "play_audio", "citizen_call",
                             "supervisor_confirm", "view_supervisor", "view_sensors"}),
    "analyst": frozenset({"play_audio", "view_sensors", "release_export"}),
    "trainer": frozenset({"acknowledge", "cad_entry", "disposition", "play_audio", "citizen_call",
                          "view_sensors", "training"}),
    "admin": frozenset({"acknowledge", "cad_entry", "disposition", "play_audio", "citizen_call",
                        "supervisor_confirm", "view_supervisor", "view_sensors", "release_export",
                        "purge", "manage_users", "training"}),
}

MAX_FAILED_SIGN_INS = 5
IDLE_LOCK_S = 30 * 60


def can(role: str, permission: str) -> bool:
    return permission in PERMISSIONS.get(role, frozenset())


class PermissionDenied(Exception):
    pass


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    display_name: str
    role: str


def _hash(password: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 20_000).hex()


class ConsoleAccess:
    """Unique user ids, lock after MAX_FAILED_SIGN_INS failures, idle lock after IDLE_LOCK_S."""

    def __init__(self, idle_lock_s: float = IDLE_LOCK_S) -> None:
        self._users: dict[str, tuple[User, str, str]] = {}
        self._failures: dict[str, int] = {}
        self.idle_lock_s = idle_lock_s

    def add_user(self, user_id: str, display_name: str, role: str, password: str) -> User:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        if user_id in self._users:
            raise ValueError(f"user id {user_id!r} already exists")
        user = User(user_id, display_name, role)
        salt = hashlib.sha256(user_id.encode()).hexdigest()[:16]
        self._users[user_id] = (user, salt, _hash(password, salt))
        return user

    def users(self) -> list[User]:
        return [u for u, _, _ in self._users.values()]

    def is_locked_out(self, user_id: str) -> bool:
        return self._failures.get(user_id, 0) >= MAX_FAILED_SIGN_INS

    def sign_in(self, user_id: str, password: str) -> User:
        """The user, or ValueError with a message to show (never says which part was wrong)."""
        if self.is_locked_out(user_id):
            raise ValueError("This account is locked after too many failed sign-ins. Ask a supervisor.")
        entry = self._users.get(user_id)
        if entry is None or not hmac.compare_digest(_hash(password, entry[1]), entry[2]):
            self._failures[user_id] = self._failures.get(user_id, 0) + 1
            left = MAX_FAILED_SIGN_INS - self._failures[user_id]
            raise ValueError(f"Wrong user id or password ({max(left, 0)} attempts left).")
        self._failures.pop(user_id, None)
        return entry[0]

    def verify(self, user: User, password: str) -> bool:
        """Unlock a locked session: the same user's password."""
        try:
            return self.sign_in(user.user_id, password).user_id == user.user_id
        except ValueError:
            return False


def demo_access() -> ConsoleAccess:
    """The training/demo accounts (password = user id) shown on the sign-in screen."""
    acc = ConsoleAccess()
    acc.add_user("disp1", "Dispatcher R. Ortiz", "dispatcher", "disp1")
    acc.add_user("sup1", "Supervisor K. Lam", "supervisor", "sup1")
    acc.add_user("analyst1", "Analyst J. Berg", "analyst", "analyst1")
    acc.add_user("trainer1", "Trainer M. Osei", "trainer", "trainer1")
    acc.add_user("admin", "Administrator", "admin", "admin")
    return acc
