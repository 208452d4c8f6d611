"""Staff identity: argon2 passwords, growing delays after failed logins, server-side sessions.

The cookie holds a random value; only its sha256 is stored, so a leaked database cannot be
replayed as a live session. Time comes from `bot.clock` so tests can move it.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import clock
from bot.clock import as_utc
from bot.config import settings
from bot.console.throttle import rules, seconds_left
from bot.store.models import StaffSession, StaffUser

log = logging.getLogger(__name__)
ROLES = ("agent", "supervisor")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# Sliding expiry is written at most this often, not on every click.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Staff:
    """The signed-in person as the request handlers see it (no ORM object leaks out)."""

    id: int
    username: str
    display_name: str
    role: str
    session_id: str
    csrf_token: str

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"



def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < 12:
        raise ValueError("a staff password needs at least 12 characters")


def create_user(session: Session, username: str, password: str, role: str, display_name: str) -> StaffUser:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if not username or len(username) > 64:
        raise ValueError("username must be 1 to 64 characters")
    check_password_strength(password)
    if session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none():
        raise ValueError(f"user {username!r} exists already")
    user = StaffUser(username=username, display_name=display_name or username, role=role,
                     password_hash=hash_password(password), failed_logins=0)
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    ok: bool
    reason: str  # ok | unknown_user | bad_password | throttled
    wait_seconds: int = 0


def authenticate(session: Session, username: str, password: str) -> LoginResult:
    """Checks a password and keeps the account's failure count (bot/console/throttle.py).

    While the account's delay runs, an attempt is refused without looking at the password and
    without counting: guessing cannot go faster, and a stranger's failures delay the real person
    by at most the capped delay, never lock them out."""
    rule = rules()["account"]
    now = clock.utcnow()
    user = session.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    if user is None:
        _verify(_DUMMY_HASH, password)
        return LoginResult(None, False, "unknown_user")
    # `locked_until` is "no attempt before": the last failure plus its delay.
    not_before = as_utc(user.locked_until)
    wait = seconds_left(not_before, now)
    if wait:
        return LoginResult(user.id, False, "throttled", wait)
    if not_before is not None and rule.forgotten(not_before, now):
        user.failed_logins = 0
    if not _verify(user.password_hash, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        user.locked_until = now + rule.delay(user.failed_logins)
        if user.locked_until > now:
            log.warning("console account %s: next login attempt delayed after %d failures", user.id,
                        user.failed_logins)
        return LoginResult(user.id, False, "bad_password")
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user.id, True, "ok")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _digest(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def start_session(session: Session, user_id: int, old_cookie: str | None = None) -> str:
    """A new session id at every login (no fixation); returns the cookie value."""
    now = clock.utcnow()
    if old_cookie:
        session.execute(delete(StaffSession).where(StaffSession.id == _digest(old_cookie)))
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id, StaffSession.expires_at < now))
    cookie_value = secrets.token_urlsafe(32)
    session.add(StaffSession(id=_digest(cookie_value), user_id=user_id, csrf_token=secrets.token_urlsafe(32),
                             created_at=now, expires_at=now + _idle()))
    return cookie_value


def end_session(session: Session, cookie_value: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.id == _digest(cookie_value)))


def _idle() -> timedelta:
    return timedelta(minutes=settings().console_session_idle_minutes)


def load_session(session: Session, cookie_value: str | None, *, touch: bool = True) -> Staff | None:
    """The signed-in staff member, or None when the cookie is unknown or the session expired."""
    if not cookie_value or len(cookie_value) > 128:
        return None
    row = session.get(StaffSession, _digest(cookie_value))
    if row is None:
        return None
    now = clock.utcnow()
    if as_utc(row.expires_at) <= now:
        session.delete(row)
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None:
        return None
    if touch and now + _idle() - as_utc(row.expires_at) > _TOUCH_EVERY:
        row.expires_at = now + _idle()
    return Staff(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                 session_id=row.id, csrf_token=row.csrf_token)
