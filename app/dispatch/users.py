"""Users, roles, log-in and sessions (CJIS-style).

* Unique user ids; roles: dispatcher, supervisor, analyst, trainer, admin.
* Passwords hashed with ``hashlib.scrypt`` (random 16-byte salt, constant-time compare);
  at least 8 characters.
* An account locks after 5 consecutive failed log-ins; only an admin unlocks it.
* A session counts as idle-locked after 30 minutes without activity.
Every change and every failed log-in is written to the audit log.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from app.store import Store
from app.store.clock import NS_PER_S
from app.store.errors import NotFoundError, PermissionDenied, ValidationError
from app.store.schema import ROLES

MAX_FAILED_LOGINS = 5
MIN_PASSWORD_LEN = 8
SESSION_IDLE_LOCK_S = 30 * 60
MONITOR_ROLES = ("dispatcher", "supervisor")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${dk.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algo != "scrypt":
        return False
    dk = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                        dklen=len(digest) // 2)
    return hmac.compare_digest(dk.hex(), digest)


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    role: str
    locked: bool
    active: bool
    failed_logins: int


@dataclass(frozen=True, slots=True)
class Session:
    id: int
    user: User
    login_ns: int


class Users:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ lookup
    def get(self, user_id: str) -> User:
        r = self.store.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        if r is None:
            raise NotFoundError(f"no user {user_id!r}")
        return User(r["id"], r["name"], r["role"], bool(r["locked"]), bool(r["active"]), r["failed_logins"])

    def list(self) -> list[User]:
        return [User(r["id"], r["name"], r["role"], bool(r["locked"]), bool(r["active"]), r["failed_logins"])
                for r in self.store.conn.execute("SELECT * FROM users ORDER BY id")]

    def require(self, user_id: str, roles: tuple[str, ...] | None = None, *, action: str = "do this") -> User:
        """The user, if the account may act and holds one of ``roles``; else PermissionDenied."""
        try:
            u = self.get(user_id)
        except NotFoundError:
            raise PermissionDenied(f"unknown user {user_id!r} may not {action}") from None
        if not u.active:
            raise PermissionDenied(f"user {user_id!r} is deactivated")
        if u.locked:
            raise PermissionDenied(f"user {user_id!r} is locked after {MAX_FAILED_LOGINS} failed log-ins; an admin must unlock it")
        if roles is not None and u.role not in roles:
            raise PermissionDenied(f"{u.role} {user_id!r} may not {action}; needs role {' or '.join(roles)}")
        return u

    # ----------------------------------------------------------------- changes
    def create(self, user_id: str, name: str, role: str, password: str, *, actor: str | None) -> User:
        """Create a user.  ``actor`` must be an admin — except for the very first user, who
        must be an admin (bootstrapping an empty database)."""
        user_id = (user_id or "").strip()
        if not 2 <= len(user_id) <= 64 or not all(c.isalnum() or c in "._-" for c in user_id):
            raise ValidationError(f"user id must be 2–64 letters, digits, '.', '_' or '-', got {user_id!r}")
        if role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not name or not name.strip():
            raise ValidationError("a user needs a name")
        if len(password or "") < MIN_PASSWORD_LEN:
            raise ValidationError(f"password must be at least {MIN_PASSWORD_LEN} characters")
        if password.lower() == user_id.lower():
            raise ValidationError("password must not equal the user id")
        pw = hash_password(password)
        now = self.store.clock.now_ns()
        with self.store.transaction() as conn:
            first = conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0
            if first:
                if role != "admin":
                    raise ValidationError("the first user of a database must be an admin")
                actor = actor or user_id
            else:
                self.require(actor or "", ("admin",), action="create users")
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone():
                raise ValidationError(f"user id {user_id!r} is already taken (user ids are unique and never reused)")
            conn.execute("INSERT INTO users (id, name, role, pw_hash, created_ns, password_changed_ns) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (user_id, name.strip(), role, pw, now, now))
            self.store.audit(conn, actor=actor, action="user.create", entity="user", entity_id=user_id,
                             details={"role": role, "name": name.strip()}, t_ns=now)
        return self.get(user_id)

    def _admin_change(self, user_id: str, actor: str, action: str, sql: str, params: tuple, details: dict) -> None:
        with self.store.transaction() as conn:
            self.require(actor, ("admin",), action=action.replace("user.", "") + " users")
            if conn.execute(sql, params).rowcount == 0:
                raise NotFoundError(f"no user {user_id!r}")
            self.store.audit(conn, actor=actor, action=action, entity="user", entity_id=user_id, details=details)

    def unlock(self, user_id: str, *, actor: str) -> None:
        self._admin_change(user_id, actor, "user.unlock", "UPDATE users SET locked = 0, failed_logins = 0 WHERE id = ?",
                           (user_id,), {})

    def deactivate(self, user_id: str, *, actor: str) -> None:
        if user_id == actor:
            raise ValidationError("an admin cannot deactivate their own account")
        self._admin_change(user_id, actor, "user.deactivate", "UPDATE users SET active = 0 WHERE id = ?", (user_id,), {})

    def set_role(self, user_id: str, role: str, *, actor: str) -> None:
        if role not in ROLES:
            raise ValidationError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        self._admin_change(user_id, actor, "user.role", "UPDATE users SET role = ? WHERE id = ?", (role, user_id),
                           {"role": role})

    def set_password(self, user_id: str, password: str, *, actor: str) -> None:
        if len(password or "") < MIN_PASSWORD_LEN:
            raise ValidationError(f"password must be at least {MIN_PASSWORD_LEN} characters")
        if actor != user_id:
            self.require(actor, ("admin",), action="reset other users' passwords")
        pw = hash_password(password)
        with self.store.transaction() as conn:
            if conn.execute("UPDATE users SET pw_hash = ?, password_changed_ns = ? WHERE id = ?",
                            (pw, self.store.clock.now_ns(), user_id)).rowcount == 0:
                raise NotFoundError(f"no user {user_id!r}")
            self.store.audit(conn, actor=actor, action="user.password", entity="user", entity_id=user_id, details={})

    # ---------------------------------------------------------------- sessions
    def login(self, user_id: str, password: str, *, monitoring: bool = True) -> Session:
        """Check the password; opens a session.  Failures are counted and audited; the
        fifth consecutive failure locks the account."""
        now = self.store.clock.now_ns()
        error: PermissionDenied | None = None
        with self.store.transaction() as conn:
            r = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            if r is None:
                self.store.audit(conn, actor=user_id or "?", action="login.failed", entity="user", entity_id=user_id,
                                 details={"reason": "unknown user"}, t_ns=now)
                error = PermissionDenied("unknown user or wrong password")
            elif not r["active"]:
                self.store.audit(conn, actor=user_id, action="login.failed", entity="user", entity_id=user_id,
                                 details={"reason": "deactivated"}, t_ns=now)
                error = PermissionDenied(f"user {user_id!r} is deactivated")
            elif r["locked"]:
                self.store.audit(conn, actor=user_id, action="login.failed", entity="user", entity_id=user_id,
                                 details={"reason": "locked"}, t_ns=now)
                error = PermissionDenied(f"user {user_id!r} is locked after {MAX_FAILED_LOGINS} failed log-ins; "
                                         "an admin must unlock it")
            elif not check_password(password, r["pw_hash"]):
                failed = r["failed_logins"] + 1
                lock = failed >= MAX_FAILED_LOGINS
                conn.execute("UPDATE users SET failed_logins = ?, locked = ? WHERE id = ?", (failed, int(lock), user_id))
                self.store.audit(conn, actor=user_id, action="login.failed", entity="user", entity_id=user_id,
                                 details={"reason": "wrong password", "failed_logins": failed, "locked": lock}, t_ns=now)
                error = PermissionDenied(f"user {user_id!r} is now locked after {MAX_FAILED_LOGINS} failed log-ins"
                                         if lock else "unknown user or wrong password")
            else:
                conn.execute("UPDATE users SET failed_logins = 0 WHERE id = ?", (user_id,))
                cur = conn.execute("INSERT INTO sessions (user_id, login_ns, last_activity_ns, monitoring) VALUES (?, ?, ?, ?)",
                                   (user_id, now, now, int(monitoring)))
                sid = cur.lastrowid
                self.store.audit(conn, actor=user_id, action="login", entity="session", entity_id=sid,
                                 details={"monitoring": monitoring}, t_ns=now)
        if error is not None:  # raised after commit: the failure count must stick
            raise error
        return Session(sid, self.get(user_id), now)

    def unlock_session(self, session_id: int, password: str) -> User:
        """Unlock an idle-locked console session with its own user's password.  A wrong
        password counts toward the lockout exactly as a failed log-in does."""
        now = self.store.clock.now_ns()
        error: PermissionDenied | None = None
        with self.store.transaction() as conn:
            s = conn.execute("SELECT user_id FROM sessions WHERE id = ? AND logout_ns IS NULL", (session_id,)).fetchone()
            if s is None:
                raise NotFoundError(f"no open session {session_id}")
            user_id = s[0]
            r = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
            if not r["active"] or r["locked"]:
                error = PermissionDenied(f"user {user_id!r} is {'deactivated' if not r['active'] else 'locked'}; "
                                         "an admin must unlock it")
            elif not check_password(password, r["pw_hash"]):
                failed = r["failed_logins"] + 1
                lock = failed >= MAX_FAILED_LOGINS
                conn.execute("UPDATE users SET failed_logins = ?, locked = ? WHERE id = ?", (failed, int(lock), user_id))
                self.store.audit(conn, actor=user_id, action="session.unlock_failed", entity="session",
                                 entity_id=session_id, details={"failed_logins": failed, "locked": lock}, t_ns=now)
                error = PermissionDenied(f"user {user_id!r} is now locked after {MAX_FAILED_LOGINS} failed log-ins"
                                         if lock else "wrong password")
            else:
                conn.execute("UPDATE users SET failed_logins = 0 WHERE id = ?", (user_id,))
                conn.execute("UPDATE sessions SET last_activity_ns = ? WHERE id = ?", (now, session_id))
                self.store.audit(conn, actor=user_id, action="session.unlock", entity="session", entity_id=session_id,
                                 t_ns=now)
        if error is not None:  # raised after commit: the failure count must stick
            raise error
        return self.get(user_id)

    def logout(self, session_id: int) -> None:
        now = self.store.clock.now_ns()
        with self.store.transaction() as conn:
            r = conn.execute("SELECT user_id FROM sessions WHERE id = ? AND logout_ns IS NULL", (session_id,)).fetchone()
            if r is None:
                raise NotFoundError(f"no open session {session_id}")
            conn.execute("UPDATE sessions SET logout_ns = ? WHERE id = ?", (now, session_id))
            self.store.audit(conn, actor=r[0], action="logout", entity="session", entity_id=session_id, t_ns=now)

    def touch(self, session_id: int) -> None:
        """Record activity on a session (keeps it from idle-locking)."""
        with self.store.transaction() as conn:
            conn.execute("UPDATE sessions SET last_activity_ns = ? WHERE id = ? AND logout_ns IS NULL",
                         (self.store.clock.now_ns(), session_id))

    def session_idle_locked(self, session_id: int) -> bool:
        r = self.store.conn.execute("SELECT last_activity_ns, logout_ns FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if r is None or r["logout_ns"] is not None:
            return True
        return self.store.clock.now_ns() - r["last_activity_ns"] > SESSION_IDLE_LOCK_S * NS_PER_S

    def monitors_on_duty(self) -> list[str]:
        """Users with an open, monitoring, not idle-locked session in a monitor role."""
        cutoff = self.store.clock.now_ns() - SESSION_IDLE_LOCK_S * NS_PER_S
        return [r[0] for r in self.store.conn.execute(
            "SELECT DISTINCT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.logout_ns IS NULL AND s.monitoring = 1 AND s.last_activity_ns >= ? AND u.active = 1 "
            f"AND u.locked = 0 AND u.role IN ({', '.join('?' * len(MONITOR_ROLES))}) ORDER BY s.user_id",
            (cutoff, *MONITOR_ROLES))]
